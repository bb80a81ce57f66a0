"""Where the team is with each event of a change list: "To do", "Done" or "Question", set by members
who may comment (the policy's `change_event.mark`), kept under the event's key (`EventRow.key`) and
sent live to the workspace's open pages (`change_event.status`), so two editors working down one
list see each other's ticks."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from activity.models import ActivityEvent
from activity.services import Target as ActivityTarget
from activity.services import activity_record
from sage.errors import NotFound
from sage.realtime import push_to_workspace
from videos.conform.sheet import change_sheet
from videos.models import ChangeEventStatus, Comparison
from workspaces.current import member_actor
from workspaces.models import Membership
from workspaces.policy import require

EVENT_STATUS_PUSHED = "change_event.status"


class NoSuchEvent(NotFound):
    code = "no_such_event"
    default_message = "The change list has no such event (the comparison may have been compared again)."


def event_statuses(comparison: Comparison) -> dict[str, ChangeEventStatus]:
    """The statuses set on the comparison's events, by event key."""
    return {row.event_key: row for row in ChangeEventStatus.objects.filter(comparison=comparison)}


def event_status_json(status: ChangeEventStatus | None) -> dict[str, Any]:
    """An event's status as the API and the page's live updates give it ("To do", by nobody, when unset)."""
    if status is None:
        return {"status": ChangeEventStatus.Status.TODO, "status_label": "To do", "status_by": "", "status_at": None}
    return {
        "status": status.status,
        "status_label": ChangeEventStatus.Status(status.status).label,
        "status_by": status.by_name,
        "status_at": status.updated_at.isoformat(),
    }


@transaction.atomic
def event_status_set(*, member: Membership, comparison: Comparison, event_key: str, status: str) -> dict[str, Any]:
    """Set one event's status by a member their selector reached the comparison for (PermissionDenied,
    a 403 with a sentence, for a viewer; NoSuchEvent for a key the current change list does not have),
    and return it as its pages are told it: the event's key and number with `event_status_json`'s
    fields. The same status again changes nothing but its time and who set it."""
    require(member_actor(member), "change_event.mark", workspace_id=comparison.workspace_id)
    sheet = change_sheet(comparison)
    row = next((row for row in sheet.rows if row.key == event_key), None)
    if row is None:
        raise NoSuchEvent()
    chosen = ChangeEventStatus.Status(status)
    stored, _ = ChangeEventStatus.objects.update_or_create(
        comparison=comparison,
        event_key=event_key,
        defaults={
            "status": chosen,
            "by_user": member.user,
            "by_name": member.user.name[:80],
            "updated_at": timezone.now(),
        },
    )
    told = {"comparison": comparison.pk, "key": event_key, "number": row.number, **event_status_json(stored)}
    push_to_workspace(comparison.workspace_id, EVENT_STATUS_PUSHED, told)
    activity_record(
        workspace_id=comparison.workspace_id,
        actor=member.user,
        verb=ActivityEvent.Verb.EVENT_MARKED,
        target=ActivityTarget("comparison", comparison.pk, comparison.title),
        details={"key": event_key, "number": row.number, "kind_label": row.label, "to_label": told["status_label"]},
    )
    return told
