"""Writes for version stacks: a new upload made the next version of a video, and the automatic
comparison of each ready version with the ready version before it (and after it).

"The one before" is the closest lower version that exists and is ready (videos.versions.selectors),
so a version that failed or was deleted is skipped: its neighbours are compared with each other."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Max

from accounts.models import User
from sage.errors import FieldInvalid
from sage.queueing import TaskRef
from sage.realtime import push_to_workspace
from videos.compare.services import ComparisonRefused, comparison_create
from videos.models import Comparison, Video, VideoStack
from videos.versions.selectors import (
    NEIGHBOUR_ALIGNMENT,
    NEIGHBOUR_METRIC,
    version_ready_after,
    version_ready_before,
)

logger = logging.getLogger(__name__)

COMPARE_VERSION_NEIGHBOURS = TaskRef[[int]]("videos.tasks.compare_version_neighbours")


class VersionRefused(FieldInvalid):
    """This video cannot have a new version (a YouTube video: nothing of ours to compare)."""


def version_check_source(video: Video) -> None:
    """Refuse, before anything is stored, a new version of a video that cannot have one."""
    if video.source != Video.Source.UPLOAD:
        raise VersionRefused(
            f"“{video.title}” is a YouTube video: only uploaded videos can have new versions.", field="version_of"
        )


def version_add(*, previous: Video, video: Video) -> Video:
    """Make `video` (just created, not in a stack) the next version of `previous`'s stack, making the
    stack first — `previous` becomes v1 — when it has none. The stack row is locked while the number
    is chosen, so two new versions at once get two numbers; `previous`'s row is locked first, so two
    first new versions of one video make one stack."""
    version_check_source(previous)
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=previous.pk)
        if locked.stack_id is None:
            stack = VideoStack.objects.create(
                owner_id=locked.owner_id,
                workspace_id=locked.workspace_id,
                title=locked.title,
                project_id=locked.project_id,  # the stack starts where its first version was
            )
            Video.objects.filter(pk=locked.pk).update(stack=stack, version=1)
        stack_id = Video.objects.values_list("stack_id", flat=True).get(pk=locked.pk)
        stack = VideoStack.objects.select_for_update().get(pk=stack_id)
        highest = Video.objects.filter(stack=stack).aggregate(highest=Max("version"))["highest"] or 0
        # A version lives in its stack's project, wherever it was uploaded from.
        Video.objects.filter(pk=video.pk).update(stack=stack, version=highest + 1, project_id=stack.project_id)
    previous.refresh_from_db(fields=["stack", "version", "project"])
    video.refresh_from_db(fields=["stack", "version", "project"])
    return video


def _compare_pair(video_a: Video, video_b: Video) -> Comparison | None:
    """The neighbours' comparison, made once (comparison_create returns the stored row when asked
    again). A pair the engine refuses (say, analysed by different backends) is logged and skipped:
    asking again would be refused again."""
    owner = User.objects.get(pk=video_b.owner_id)
    try:
        comparison, _ = comparison_create(
            user=owner, video_a=video_a, video_b=video_b, metric=NEIGHBOUR_METRIC, alignment=NEIGHBOUR_ALIGNMENT
        )
    except ComparisonRefused as refusal:
        logger.warning("versions %s and %s not compared: %s", video_a.pk, video_b.pk, refusal.reason)
        return None
    return comparison


def version_compare_neighbours(*, video: Video) -> list[Comparison]:
    """Compare a ready version with the ready version before it (it as B) and after it (it as A):
    whichever of two neighbours becomes ready last makes their comparison. Idempotent."""
    if video.status != Video.Status.READY or video.stack_id is None:
        return []
    made = []
    before = version_ready_before(video)
    if before is not None and (comparison := _compare_pair(before, video)) is not None:
        made.append(comparison)
    after = version_ready_after(video)
    if after is not None and (comparison := _compare_pair(video, after)) is not None:
        made.append(comparison)
    if made:
        # The versions' pages say "comparing…" until this: they fetch their versions card again.
        push_to_workspace(video.workspace_id, "stack", {"id": video.stack_id, "comparisons": [row.pk for row in made]})
    return made


def version_compare_with_first(*, user: User, video: Video) -> Comparison:
    """What changed since v1: v1 (as A) compared with this version (as B), made on demand through
    the same service (refused, with the reason, while either is not ready)."""
    first = Video.objects.filter(stack_id=video.stack_id, version=1).first() if video.stack_id else None
    if first is None or first.pk == video.pk:
        raise ComparisonRefused("This video has no earlier first version to compare with.")
    comparison, _ = comparison_create(
        user=user, video_a=first, video_b=video, metric=NEIGHBOUR_METRIC, alignment=NEIGHBOUR_ALIGNMENT
    )
    return comparison


def versions_may_be_compared(video: Video) -> None:
    """After a version became ready, its comparisons with its ready neighbours are made by a worker
    (a comparison decodes the files to verify what it found). Safe to call for any video."""
    if video.stack_id is None or video.source != Video.Source.UPLOAD:
        return
    COMPARE_VERSION_NEIGHBOURS.delay_on_commit(video.pk)


def version_will_be_deleted(video: Video) -> None:
    """Before a version is deleted: the ready versions on either side of it become neighbours, so
    the one after it is compared again (with the one before it) once the deletion is committed."""
    after = version_ready_after(video)
    if after is not None:
        versions_may_be_compared(after)
