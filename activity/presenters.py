"""How an event reads on the feed page and in the API: "Ana uploaded “Cut 3”", and where its target
is (a page to open while the target exists; a deleted one's page is the site's 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from activity.models import ActivityEvent

# The page of each kind of target, by URL name (a kind with none is shown without a link).
_TARGET_PAGES = {"video": "videos:video", "comparison": "compare:comparison", "project": "videos:project"}


def event_tail(event: ActivityEvent) -> str:
    """What a sentence says after its target, for the verbs whose target alone does not tell the
    change: a rename's old name, a move's destination, a status's new value, a joiner's role, who
    was handed a session, a note's time, a change list event's number and status (from `details`, as
    written then)."""
    details, verb = event.details, event.verb
    if verb == ActivityEvent.Verb.PROJECT_RENAMED and details.get("from"):
        return f" (was “{details['from']}”)"
    if verb == ActivityEvent.Verb.MOVED:
        to = details.get("to")
        return f" to the project “{to}”" if to else " out of its project"
    if verb == ActivityEvent.Verb.STATUS_CHANGED and details.get("to"):
        # The label as it read then; an event from before labels were kept reads its value.
        label = details.get("to_label") or str(details["to"]).replace("_", " ").capitalize()
        return f" to “{label}”"
    if verb == ActivityEvent.Verb.MEMBER_JOINED and details.get("role"):
        return f" as {_with_article(str(details['role']))}"
    if verb == ActivityEvent.Verb.SESSION_HANDED_OVER and details.get("to_name"):
        return f" to {details['to_name']}"
    if verb == ActivityEvent.Verb.NOTE_ADDED and details.get("at"):
        return f" at {details['at']}"
    if verb == ActivityEvent.Verb.EVENT_MARKED and details.get("to_label"):
        return f" — event {details.get('number')} ({details.get('kind_label')}) as “{details['to_label']}”"
    return ""


def _with_article(role: str) -> str:
    return f"{'an' if role[:1] in 'aeiou' else 'a'} {role}"


def event_sentence(event: ActivityEvent) -> str:
    return f"{event.actor_name} {event.get_verb_display()} “{event.target_label}”{event_tail(event)}"


@dataclass(frozen=True)
class EventLine:
    actor_name: str
    verb: str
    target_label: str
    target_url: str | None
    tail: str
    guest: bool
    created_at: datetime


def event_line(event: ActivityEvent) -> EventLine:
    page = _TARGET_PAGES.get(event.target_kind)
    target_id = event.target_id
    return EventLine(
        actor_name=event.actor_name,
        verb=event.get_verb_display(),
        target_label=event.target_label,
        target_url=reverse(page, args=[int(target_id)]) if page and target_id.isdigit() else None,
        tail=event_tail(event),
        guest=event.actor_id is None and bool(event.details.get("guest")),
        created_at=event.created_at,
    )
