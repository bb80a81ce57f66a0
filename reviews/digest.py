"""The owner's e-mail about reviewers' new comments and review-status changes (by guests and other
members; `reviews.approvals`): one message at most every REVIEW_DIGEST_MINUTES per owner, listing
what came since the last one, by object, with links to the owner's own pages (absolute, from
SITE_URL: a task has no request to build them from).

Two workers running the digest at once never send an owner two messages: each owner's digest runs
under a lock on their user row taken with SKIP LOCKED (the other worker passes them by), and the
comments and status changes it lists are marked notified in the same transaction."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reviews.models import Comment, StatusChange
from sage.formatting import clock_range

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 300


def comment_digests_send(*, now: datetime | None = None) -> int:
    """Send every owner who is due one their digest; returns how many e-mails were sent."""
    now = now or timezone.now()
    owner_ids = set(
        Comment.objects.filter(notified_at__isnull=True, by_owner=False).values_list("link__owner_id", flat=True)
    )
    owner_ids |= set(
        StatusChange.objects.filter(notified_at__isnull=True)
        .annotate(owner_id=Coalesce("video__owner_id", "comparison__owner_id"))
        .values_list("owner_id", flat=True)
    )
    return sum(1 for owner_id in sorted(owner_ids) if _digest_for_owner(owner_id, now=now))


def _status_changes_for(owner_id: int) -> QuerySet[StatusChange]:
    """Changes of the owner's objects' statuses by anyone but the owner (theirs are born notified)."""
    return StatusChange.objects.filter(Q(video__owner_id=owner_id) | Q(comparison__owner_id=owner_id)).exclude(
        by_user_id=owner_id
    )


def _status_target_name(change: StatusChange) -> str:
    """ "Cut 3 v2" for a version (its stack's title, as the versions are called), else the title."""
    if change.comparison is not None:
        return f"Comparison: {change.comparison.title}"
    video = change.video
    assert video is not None  # the check constraint
    if video.stack is not None and video.version:
        return f"{video.stack.title} v{video.version}"
    return video.title


def _status_line(change: StatusChange) -> str:
    via = f" (link “{change.link.name}”)" if change.by_guest and change.link is not None else ""
    return f"- {_status_target_name(change)}: {change.get_to_status_display()} by {change.by_name}{via}"


def _subject(comments: int, changes: int) -> str:
    parts = []
    if comments:
        parts.append(f"{comments} new comment{'s' if comments != 1 else ''}")
    if changes:
        parts.append(f"{changes} review status change{'s' if changes != 1 else ''}")
    return " and ".join(parts) + " from reviewers"


def _object_heading(comment: Comment) -> tuple[str, str]:
    """(what the comment is on, the owner's page for it)."""
    site = settings.SITE_URL
    if comment.comparison is not None:
        comparison = comment.comparison
        title = f"Comparison: {comparison.title}"
        return title, f"{site}{reverse('compare:comparison', args=[comparison.pk])}"
    assert comment.video is not None
    return f"Video: {comment.video.label}", f"{site}{reverse('videos:video', args=[comment.video.pk])}"


def _line(comment: Comment) -> str:
    where = clock_range(comment.start, comment.end, keep_empty=True)
    side = "" if comment.side == Comment.Side.VIDEO else f" on {comment.side.upper()}"
    body = comment.body if len(comment.body) <= EXCERPT_CHARS else comment.body[: EXCERPT_CHARS - 1] + "…"
    kind = "reply" if comment.parent_id is not None else "comment"
    indented = "\n    ".join(body.splitlines())
    return f"- {comment.author_name} ({kind}, {where}{side}, link “{comment.link.name}”):\n    {indented}"


def _digest_text(comments: list[Comment], changes: list[StatusChange]) -> str:
    sections: dict[tuple[str, str], list[str]] = {}
    for comment in sorted(comments, key=lambda c: (c.comparison_id or 0, c.video_id or 0, c.start, c.created_at)):
        sections.setdefault(_object_heading(comment), []).append(_line(comment))
    parts: list[str] = []
    if comments:
        parts += [f"{len(comments)} new comment(s) from reviewers on your shared links.", ""]
    for (heading, url), lines in sections.items():
        parts += [heading, url, *lines, ""]
    if comments:
        parts += ["Reply, resolve or delete them on those pages.", ""]
    if changes:
        parts += ["Review statuses changed:", *(_status_line(change) for change in sorted(changes, key=lambda c: c.at))]
    return "\n".join(parts).rstrip("\n") + "\n"


def _digest_for_owner(owner_id: int, *, now: datetime) -> bool:
    with transaction.atomic():
        owner = User.objects.select_for_update(skip_locked=True).filter(pk=owner_id).first()
        if owner is None:  # another worker is sending this owner's digest (or the owner is gone)
            return False
        theirs = Comment.objects.filter(link__owner_id=owner_id, by_owner=False)
        their_changes = _status_changes_for(owner_id)
        sent_times = [
            theirs.aggregate(last=Max("notified_at"))["last"],
            their_changes.aggregate(last=Max("notified_at"))["last"],
        ]
        last_sent = max((moment for moment in sent_times if moment is not None), default=None)
        if last_sent is not None and last_sent > now - timedelta(minutes=settings.REVIEW_DIGEST_MINUTES):
            return False
        pending = list(
            theirs.filter(notified_at__isnull=True).select_related(
                "link", "comparison__video_a__stack", "comparison__video_b", "video"
            )
        )
        changes = list(
            their_changes.filter(notified_at__isnull=True).select_related(
                "link", "video__stack", "comparison__video_a__stack", "comparison__video_b"
            )
        )
        if not pending and not changes:
            return False
        if owner.email:
            send_mail(_subject(len(pending), len(changes)), _digest_text(pending, changes), None, [owner.email])
        Comment.objects.filter(pk__in=[c.pk for c in pending]).update(notified_at=now)
        StatusChange.objects.filter(pk__in=[c.pk for c in changes]).update(notified_at=now)
        return bool(owner.email)
