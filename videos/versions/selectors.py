"""Reads for version stacks. Ownership lives here: another user's stack is a 404.

"The one before" a version is the closest lower version number that still exists and is ready:
the automatic comparison (videos.versions.services) and `stack_latest_pair` agree on it, so a
deleted or failed version is skipped the same way by both."""

from __future__ import annotations

from itertools import pairwise
from typing import Final, Literal

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from videos.models import Comparison, Video, VideoStack
from videos.selectors import videos_for_user
from workspaces.models import Membership

# The settings the automatic comparison of neighbours is made with (comparison_create's defaults,
# named here so that finding it again asks for exactly the row that was made).
NEIGHBOUR_METRIC: Final = "cosine"
NEIGHBOUR_ALIGNMENT: Final = "cuts"


def stacks_for_user(member: Membership) -> QuerySet[VideoStack]:
    return VideoStack.objects.filter(project__deleted_at__isnull=True, workspace_id=member.workspace_id)


def stack_get_for_user(member: Membership, pk: int | str) -> VideoStack:
    try:
        return stacks_for_user(member).get(pk=int(pk))
    except (VideoStack.DoesNotExist, ValueError, TypeError):
        raise Http404("No such stack.") from None


def stack_versions(stack: VideoStack) -> list[Video]:
    """The stack's versions, oldest (v1) first."""
    return list(Video.objects.filter(stack=stack).order_by("version", "pk"))


def _ready_versions(stack: VideoStack) -> QuerySet[Video]:
    return Video.objects.filter(stack=stack, status=Video.Status.READY, version__isnull=False)


def version_ready_before(video: Video) -> Video | None:
    """The closest lower version of the same stack that exists and is ready (None for v1, or when
    none below is ready)."""
    if video.stack_id is None or video.version is None:
        return None
    return (
        Video.objects.filter(stack_id=video.stack_id, status=Video.Status.READY, version__lt=video.version)
        .order_by("-version")
        .first()
    )


def version_ready_after(video: Video) -> Video | None:
    """The closest higher version of the same stack that exists and is ready."""
    if video.stack_id is None or video.version is None:
        return None
    return (
        Video.objects.filter(stack_id=video.stack_id, status=Video.Status.READY, version__gt=video.version)
        .order_by("version")
        .first()
    )


def neighbour_comparison(video_a: Video, video_b: Video) -> Comparison | None:
    """The automatic comparison of `video_a` (the version before) with `video_b`, once made."""
    return (
        Comparison.objects.filter(
            workspace_id=video_b.workspace_id,
            video_a=video_a,
            video_b=video_b,
            metric=NEIGHBOUR_METRIC,
            alignment=NEIGHBOUR_ALIGNMENT,
        )
        .select_related("video_a", "video_b")
        .first()
    )


def review_partner(target: Video | Comparison) -> Video | Comparison | None:
    """What shares `target`'s review status: a version and its automatic comparison with the version
    before it, each the other's (reviewing v2 is reviewing what changed since v1: approving one and
    not the other left them disagreeing). None for anything else."""
    if isinstance(target, Video):
        before = version_ready_before(target)
        return neighbour_comparison(before, target) if before is not None else None
    if target.metric != NEIGHBOUR_METRIC or target.alignment != NEIGHBOUR_ALIGNMENT:
        return None
    before = version_ready_before(target.video_b)
    return target.video_b if before is not None and before.pk == target.video_a_id else None


def stack_latest_pair(stack: VideoStack) -> tuple[Video, Comparison | None]:
    """The newest ready version and its comparison (as B) with the ready version before it (as A);
    the comparison is None when there is one ready version or it is not made yet. While no version
    is ready, the newest version (whatever its state) with None; Http404 when the stack has no
    version left at all."""
    newest = _ready_versions(stack).order_by("-version").first()
    if newest is None:
        pending = Video.objects.filter(stack=stack).order_by("-version", "-pk").first()
        if pending is None:
            raise Http404("This stack has no versions.")
        return pending, None
    before = version_ready_before(newest)
    if before is None:
        return newest, None
    return newest, neighbour_comparison(before, newest)


def neighbour_comparisons(versions: list[Video]) -> list[Comparison]:
    """The automatic comparisons between neighbouring ready versions of `versions` (one stack's, in
    order), oldest pair first; pairs not compared yet are left out. One query."""
    ready = [video for video in versions if video.status == Video.Status.READY]
    pairs = list(pairwise(ready))
    if not pairs:
        return []
    rows = Comparison.objects.filter(
        workspace_id=ready[0].workspace_id,
        video_b__in=[b for _, b in pairs],
        metric=NEIGHBOUR_METRIC,
        alignment=NEIGHBOUR_ALIGNMENT,
    ).select_related("video_a", "video_b")
    by_pair = {(row.video_a_id, row.video_b_id): row for row in rows}
    return [by_pair[(a.pk, b.pk)] for a, b in pairs if (a.pk, b.pk) in by_pair]


def without_older_versions(videos: QuerySet[Video], *, matching: Q | None = None) -> QuerySet[Video]:
    """`videos` (less those not `matching`) less every version that has a newer one in its stack that
    matches too: the library shows a stack once, as its newest version (older ones are reached from
    its page), or, filtered, as its newest version that passes the filter (a stack whose newest
    version failed still shows under "Ready", through the ready version before it). Each row gets
    `newest_version`, its stack's newest version number, so a page can say it shows an older one.
    Subqueries, no query per row."""
    matching = matching if matching is not None else Q()
    newer = Video.objects.filter(matching, stack=OuterRef("stack"), version__gt=OuterRef("version"))
    newest = Video.objects.filter(stack=OuterRef("stack")).order_by("-version").values("version")[:1]
    return (
        videos.filter(matching)
        .exclude(Q(stack__isnull=False) & Exists(newer))
        .annotate(newest_version=Subquery(newest))
    )


# `library_videos(project=NO_PROJECT)`: only the videos at the workspace's top level.
NO_PROJECT: Final = "none"


def library_videos(
    member: Membership,
    *,
    title_words: str = "",
    status: str = "",
    review: str = "",
    project: int | Literal["none"] | None = None,
) -> QuerySet[Video]:
    """The library's videos, newest first: each stack once, filtered within the stack (by words of
    the title, by processing status, by review status) so a stack shows through its newest version
    that matches. `project`: a project's id, NO_PROJECT, or None for all."""
    matching = Q(title__icontains=title_words) if title_words else Q()
    if status:
        matching &= Q(status=status)
    if review:
        matching &= Q(review_status=review)
    videos = videos_for_user(member)
    if project == NO_PROJECT:
        videos = videos.filter(project__isnull=True)
    elif project is not None:
        videos = videos.filter(project_id=project)
    return without_older_versions(videos, matching=matching).order_by("-created_at", "-pk")
