"""A session and its participants as the API and the socket show them: one shape for both."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from rest_framework.fields import DateTimeField

from review_sessions.models import Participant, ReviewSession
from reviews.presenters import share_link_path
from reviews.tokens import unseal

# A participant counted as connected whose socket's process went without counting it down (a crash)
# stops counting once that process's heartbeat (every 10 s, review_sessions.heartbeat) has not
# refreshed `last_seen_at` for this long: three beats missed, not one slow one.
STALE_AFTER = timedelta(seconds=30)


# Times as the API writes them everywhere else, so the socket's welcome and the API agree.
_WHEN = DateTimeField()


def _when(value: datetime | None) -> str | None:
    return None if value is None else _WHEN.to_representation(value)


def member_path(code: str) -> str:
    return f"/sessions/{code}/"


def guest_path(token: str, code: str) -> str:
    return f"{share_link_path(token)}sessions/{code}/"


def is_connected(participant: Participant, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return participant.open_sockets > 0 and participant.last_seen_at >= now - STALE_AFTER


def participant_json(
    participant: Participant, *, presenter_id: int | None, now: datetime | None = None
) -> dict[str, Any]:
    return {
        "id": participant.pk,
        "name": participant.name,
        "guest": participant.guest,
        "following": participant.following,
        "connected": is_connected(participant, now),
        "presenter": participant.pk == presenter_id,
    }


def participants_json(session: ReviewSession, participants: list[Participant]) -> list[dict[str, Any]]:
    now = timezone.now()
    return [participant_json(one, presenter_id=session.presenter_id, now=now) for one in participants]


def state_json(session: ReviewSession) -> dict[str, Any]:
    return {
        "playing": session.playing,
        "position": session.position,
        "rate": session.rate,
        "difference": session.difference,
        "threshold": session.threshold,
        "at": session.state_at,
        "apart": session.apart,
        "seq": session.seq,
    }


def target_json(session: ReviewSession) -> dict[str, Any]:
    if session.comparison is not None:
        return {"kind": "comparison", "id": session.comparison.pk, "title": session.comparison.title}
    if session.stack is not None:
        return {"kind": "stack", "id": session.stack.pk, "title": session.stack.title}
    assert session.video is not None
    return {"kind": "video", "id": session.video.pk, "title": session.video.label}


def _absolute(request: HttpRequest | None, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def session_fixed_json(
    session: ReviewSession, *, request: HttpRequest | None = None, with_guest_url: bool = False
) -> dict[str, Any]:
    """The parts of the contract's session JSON that stay as they are while it runs: a socket's
    welcome reuses them from what its process read of the session (`selectors.session_facts`).
    `guest_url` holds the link's token, a capability: only for who may read it (the link's own
    guests, members whose role may share); null for everyone else, and in a socket's welcome."""
    guest_url = None
    if session.link is not None and with_guest_url:
        token = unseal(session.link.token_sealed)
        guest_url = None if token is None else _absolute(request, guest_path(token, session.code))
    return {
        "code": session.code,
        "url": _absolute(request, member_path(session.code)),
        "guest_url": guest_url,
        "target": target_json(session),
        "started_by_name": session.started_by_name,
        "created_at": _when(session.created_at),
        "ends_at": _when(session.ends_at),
    }


def session_now_json(session: ReviewSession, participants: list[Participant]) -> dict[str, Any]:
    """The parts that change: who presents and is in it, the state, whether it ended."""
    now = timezone.now()
    by_id = {one.pk: one for one in participants}
    presenter = by_id.get(session.presenter_id) if session.presenter_id is not None else None
    return {
        "presenter": None
        if presenter is None
        else participant_json(presenter, presenter_id=session.presenter_id, now=now),
        "state": state_json(session),
        "participants": [participant_json(one, presenter_id=session.presenter_id, now=now) for one in participants],
        "ended_at": _when(session.ended_at),
        "end_reason": session.end_reason or None,
        "live": session.ended_at is None and session.ends_at > now,
    }


def session_json(
    session: ReviewSession,
    participants: list[Participant],
    *,
    request: HttpRequest | None = None,
    with_guest_url: bool = False,
) -> dict[str, Any]:
    """The contract's session JSON. URLs are absolute when there is a request to build them from
    (the API), paths otherwise (the socket's welcome, whose page knows its own origin)."""
    fixed = session_fixed_json(session, request=request, with_guest_url=with_guest_url)
    return {**fixed, **session_now_json(session, participants)}
