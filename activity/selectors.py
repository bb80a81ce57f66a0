"""Reading the feed and the audit log of one workspace.

The feed is read by keyset, not by page number: a page is "the events older than this one", named
by its (created_at, id) cursor, so events recorded while someone reads never shift the pages (no
event is shown twice or skipped), and a page deep in a long feed costs what the first does.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from activity.models import ActivityEvent, AuditEntry
from sage.errors import NotFound

FEED_PAGE_SIZE = 50
FEED_PAGE_MAX = 100


@dataclass(frozen=True)
class Cursor:
    """A position in a feed: the last event shown (a page continues with the ones older than it)."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        """The cursor `encode` wrote; NotFound for anything else: like a page number past the end, it
        names no page of the feed (as DRF's own cursor pagination answers)."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            stamp, _, pk = raw.rpartition("|")
            created_at = datetime.fromisoformat(stamp)
            if timezone.is_naive(created_at) or not pk.isascii() or not pk.isdigit():
                raise ValueError(value)
            return cls(created_at=created_at, id=int(pk))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise NotFound("No such page: use the `next` of a page as its cursor.") from None

    @classmethod
    def after(cls, event: ActivityEvent) -> Cursor:
        return cls(created_at=event.created_at, id=event.pk)


@dataclass(frozen=True)
class FeedPage:
    events: list[ActivityEvent]
    next: Cursor | None  # None: this page holds the oldest event


def activity_for_workspace(workspace_id: int, *, before: Cursor | None = None, limit: int = FEED_PAGE_SIZE) -> FeedPage:
    """`workspace_id`'s events, newest first: `limit` of them older than `before` (from the newest
    without it). Reads the `activity_feed` index in its order; one extra row says if more follow."""
    limit = max(1, min(limit, FEED_PAGE_MAX))
    events = ActivityEvent.objects.filter(workspace_id=workspace_id)
    if before is not None:
        # Ties on the time are broken by id, in the same order as the sort: nothing repeats or is
        # skipped. The `lte` repeats what the OR says so that the index scan starts at the cursor.
        events = events.filter(
            Q(created_at__lte=before.created_at),
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.id),
        )
    rows = list(events.order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return FeedPage(events=rows, next=Cursor.after(rows[-1]) if more else None)


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log is narrowed to; every part optional. `until` is a day, included whole."""

    action: str = ""
    actor: str = ""  # an e-mail address, or part of one
    since: date | None = None
    until: date | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_for_workspace(workspace_id: int, filters: AuditFilters | None = None) -> QuerySet[AuditEntry]:
    """`workspace_id`'s audit entries, newest first, narrowed by `filters`; no other workspace's."""
    filters = filters or AuditFilters()
    entries = AuditEntry.objects.filter(workspace_id=workspace_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.actor:
        entries = entries.filter(actor_email__icontains=filters.actor)
    if filters.since is not None:
        entries = entries.filter(created_at__gte=_day_start(filters.since))
    if filters.until is not None:
        entries = entries.filter(created_at__lt=_day_start(filters.until + timedelta(days=1)))
    return entries.order_by("-created_at", "-id")
