"""Live frames of review sessions: one channel-layer group per session (`review-session.<code>`),
joined by every socket of its participants, whatever web process serves them.

Services push here after their transaction commits (`sage.realtime`); the sockets relay each event
as a `{"type": event, "data": ...}` frame (`review_sessions.consumers`)."""

from __future__ import annotations

from typing import Any

from sage.realtime import object_group, push_to_object

SESSION_KIND = "review-session"

STATE = "state"
PARTICIPANTS = "participants"
PRESENTER = "presenter"
PRESENTER_AWAY = "presenter.away"
PRESENTER_BACK = "presenter.back"
DRAWING_DRAFT = "drawing.draft"
DRAWING_CLEAR = "drawing.clear"
SESSION_ENDED = "session.ended"
SESSION_LEFT = "session.left"
# What a session's group carries, each relayed as it is to the session's participants.
SESSION_EVENTS = frozenset(
    {STATE, PARTICIPANTS, PRESENTER, PRESENTER_AWAY, PRESENTER_BACK, DRAWING_DRAFT, DRAWING_CLEAR, SESSION_ENDED}
)


def session_group(code: str) -> str:
    return object_group(SESSION_KIND, code)


def push_to_session(code: str, event: str, data: Any) -> None:
    """`event` to every socket of the session, once the current transaction commits."""
    assert event in SESSION_EVENTS
    push_to_object(SESSION_KIND, code, event, data)


def session_message(event: str, data: Any) -> dict[str, Any]:
    """The channel-layer message a socket sends its session's group itself (drafts: nothing stored)."""
    assert event in SESSION_EVENTS
    return {"type": "push.event", "event": event, "data": data}
