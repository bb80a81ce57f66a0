"""The e-mail digest of reviewers' new comments and of review-status changes (`reviews.approvals`):
one message at most every REVIEW_DIGEST_MINUTES per person, listing what came since their last one,
by object, with links to the object's pages (absolute, from SITE_URL: a task has no request).

Who hears of an item: the object's maker and the maker of the link a comment came through, and in a
team workspace its admins and owner too (a producer hears of every review, as on Frame.io), each
person once; never the one who made the change, nor anyone who opted out (`User.review_digest_emails`)
or who is no longer a member of the object's workspace when the e-mail goes.

Each run first hands every new comment and change out: one `DigestNotice` per person due it, and the
item is marked `notified_at` in the same transaction (its rows locked with SKIP LOCKED, so two
workers never hand one item out twice). Then each person with notices waiting and no e-mail in the
period gets one, under a lock on their user row taken with SKIP LOCKED (another worker passes them
by), and their notices are marked sent in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reviews.exports import DRAWING_ONLY
from reviews.models import Comment, DigestNotice, StatusChange
from sage.formatting import clock_range
from videos.models import Comparison, Video
from workspaces.models import Membership, Role, Workspace

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 300
# Items handed out per transaction: a burst of comments is handed out over a few short transactions.
HAND_OUT_BATCH = 500


def comment_digests_send(*, now: datetime | None = None) -> int:
    """Hand new comments and changes out, then send everyone who is due one their digest; returns
    how many e-mails were sent."""
    now = now or timezone.now()
    while _hand_out(now=now):
        pass
    recipient_ids = set(DigestNotice.objects.filter(sent_at__isnull=True).values_list("recipient_id", flat=True))
    return sum(1 for recipient_id in sorted(recipient_ids) if _digest_for(recipient_id, now=now))


# --- who hears of what ---------------------------------------------------------------------------


def _workspace_and_makers(item: Comment | StatusChange) -> tuple[int, set[int]]:
    """The item's object's workspace, and who made the object (and, for a comment, the link)."""
    target = item.comparison if item.comparison is not None else item.video
    assert target is not None  # the check constraints
    makers: set[int] = {target.owner_id}
    if isinstance(item, Comment) and item.link is not None:  # a member's own comment has none
        makers.add(item.link.owner_id)
    return target.workspace_id, makers


def _hand_out(*, now: datetime) -> int:
    """One batch of new items handed out to the people due them; returns how many items."""
    with transaction.atomic():
        comments = list(
            Comment.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notified_at__isnull=True, by_owner=False)
            .select_related("link", "video", "comparison")
            .order_by("pk")[:HAND_OUT_BATCH]
        )
        changes = list(
            StatusChange.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notified_at__isnull=True)
            .select_related("video", "comparison")
            .order_by("pk")[:HAND_OUT_BATCH]
        )
        items: list[Comment | StatusChange] = [*comments, *changes]
        if not items:
            return 0
        due = _people_due(items)
        DigestNotice.objects.bulk_create(
            [
                DigestNotice(
                    recipient_id=person,
                    comment=item if isinstance(item, Comment) else None,
                    status_change=item if isinstance(item, StatusChange) else None,
                    created_at=now,
                )
                for item in items
                for person in due[id(item)]
            ],
            ignore_conflicts=True,
        )
        Comment.objects.filter(pk__in=[c.pk for c in comments]).update(notified_at=now)
        StatusChange.objects.filter(pk__in=[c.pk for c in changes]).update(notified_at=now)
        return len(items)


def _people_due(items: Iterable[Comment | StatusChange]) -> dict[int, set[int]]:
    """For each item (by `id()`): the people to tell, in two queries whatever the number of items."""
    placed = {id(item): _workspace_and_makers(item) for item in items}
    workspace_ids = {workspace_id for workspace_id, _ in placed.values()}
    members: dict[int, dict[int, str]] = {}
    for workspace_id, user_id, role in Membership.objects.filter(
        workspace_id__in=workspace_ids, user__review_digest_emails=True
    ).values_list("workspace_id", "user_id", "role"):
        members.setdefault(workspace_id, {})[user_id] = role
    teams = set(Workspace.objects.filter(pk__in=workspace_ids, kind=Workspace.Kind.TEAM).values_list("pk", flat=True))
    due: dict[int, set[int]] = {}
    for item in items:
        workspace_id, makers = placed[id(item)]
        roles = members.get(workspace_id, {})
        people = {maker for maker in makers if maker in roles}
        if workspace_id in teams:
            people |= {user_id for user_id, role in roles.items() if role in (Role.ADMIN, Role.OWNER)}
        if isinstance(item, StatusChange):
            people.discard(item.by_user_id)  # nobody is told of their own change
        due[id(item)] = {person for person in people if person is not None}
    return due


def _still_due(notice: DigestNotice, roles: dict[int, str]) -> bool:
    """Whether the notice's person may still hear of its item: a member of the object's workspace
    still, as its maker or as an admin or owner of a team."""
    item = notice.comment or notice.status_change
    assert item is not None  # the check constraint
    workspace_id, makers = _workspace_and_makers(item)
    role = roles.get(workspace_id)
    if role is None:
        return False
    return notice.recipient_id in makers or role in (Role.ADMIN, Role.OWNER)


# --- the e-mail ------------------------------------------------------------------------------------


def _in_team(target: Video | Comparison) -> str:
    """Where a team's object is: its pages open while acting in that workspace (the header's menu)."""
    workspace = target.workspace
    return f" (in “{workspace.name}”)" if workspace.kind == Workspace.Kind.TEAM else ""


def _status_target_name(change: StatusChange) -> str:
    """ "Cut 3 v2" for a version (its stack's title, as the versions are called), else the title."""
    if change.comparison is not None:
        return f"Comparison: {change.comparison.title}{_in_team(change.comparison)}"
    video = change.video
    assert video is not None  # the check constraint
    if video.stack is not None and video.version:
        return f"{video.stack.title} v{video.version}{_in_team(video)}"
    return f"{video.title}{_in_team(video)}"


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
        title = f"Comparison: {comparison.title}{_in_team(comparison)}"
        return title, f"{site}{reverse('compare:comparison', args=[comparison.pk])}"
    assert comment.video is not None
    title = f"Video: {comment.video.label}{_in_team(comment.video)}"
    return title, f"{site}{reverse('videos:video', args=[comment.video.pk])}"


def _line(comment: Comment) -> str:
    where = clock_range(comment.start, comment.end, keep_empty=True)
    side = "" if comment.side == Comment.Side.VIDEO else f" on {comment.side.upper()}"
    text = comment.body or (DRAWING_ONLY if comment.drawing is not None else "")
    body = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
    kind = "reply" if comment.parent_id is not None else "comment"
    indented = "\n    ".join(body.splitlines())
    via = f", link “{comment.link.name}”" if comment.link is not None else ""
    return f"- {comment.author_name} ({kind}, {where}{side}{via}):\n    {indented}"


def _digest_text(comments: list[Comment], changes: list[StatusChange]) -> str:
    sections: dict[tuple[str, str], list[str]] = {}
    for comment in sorted(comments, key=lambda c: (c.comparison_id or 0, c.video_id or 0, c.start, c.created_at)):
        sections.setdefault(_object_heading(comment), []).append(_line(comment))
    parts: list[str] = []
    if comments:
        parts += [f"{len(comments)} new comment(s) from reviewers on shared links.", ""]
    for (heading, url), lines in sections.items():
        parts += [heading, url, *lines, ""]
    if comments:
        parts += ["Reply, resolve or delete them on those pages.", ""]
    if changes:
        parts += ["Review statuses changed:", *(_status_line(change) for change in sorted(changes, key=lambda c: c.at))]
    return "\n".join(parts).rstrip("\n") + "\n"


def _digest_for(recipient_id: int, *, now: datetime) -> bool:
    with transaction.atomic():
        person = User.objects.select_for_update(skip_locked=True).filter(pk=recipient_id).first()
        if person is None:  # another worker is sending this person's digest (or the account is gone)
            return False
        theirs = DigestNotice.objects.filter(recipient_id=recipient_id)
        last_sent = theirs.aggregate(last=Max("sent_at"))["last"]
        if last_sent is not None and last_sent > now - timedelta(minutes=settings.REVIEW_DIGEST_MINUTES):
            return False
        waiting = list(
            theirs.filter(sent_at__isnull=True).select_related(
                "comment__link",
                "comment__video__workspace",
                "comment__comparison__workspace",
                "comment__comparison__video_a__stack",
                "comment__comparison__video_b",
                "status_change__link",
                "status_change__video__stack",
                "status_change__video__workspace",
                "status_change__comparison__workspace",
                "status_change__comparison__video_a__stack",
                "status_change__comparison__video_b",
            )
        )
        roles = dict(Membership.objects.filter(user_id=recipient_id).values_list("workspace_id", "role"))
        wanted = person.review_digest_emails and bool(person.email)
        kept = [notice for notice in waiting if wanted and _still_due(notice, roles)]
        # Removed from the workspace, demoted, or opted out since the hand-out: never told.
        DigestNotice.objects.filter(pk__in=[n.pk for n in waiting if n not in kept]).delete()
        if not kept:
            return False
        comments = [notice.comment for notice in kept if notice.comment is not None]
        changes = [notice.status_change for notice in kept if notice.status_change is not None]
        send_mail(_subject(len(comments), len(changes)), _digest_text(comments, changes), None, [person.email])
        DigestNotice.objects.filter(pk__in=[n.pk for n in kept]).update(sent_at=now)
        return True
