"""Comparisons made by an older engine, made again by the current one.

One engine reads comparisons: a row made by engine 1 (the clip grid) or 2 (refined, before moves,
sync, speed and text were looked for), or stored before any engine made it (UNMADE_ENGINE), is
recomputed from its videos' fingerprints (made first where missing) and verified on its files, at
its own threshold. Until then its pages and the API say only that it is being recomputed.

Each row is recomputed on its own and written in one transaction, so a crash loses at most the row
under way, and a row once done is never done again (it is no longer older): any run, however
interrupted, goes on where the last one stopped. A row whose videos can no longer be read is marked
`unreadable` instead (its result stays empty, never half-written) and is not tried again.

No tokens are charged: the owner paid once, when the videos were processed, and the comparison was
free then as it is now; recomputing it is the site's upkeep, not new work for them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from enum import StrEnum

import av
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from videos.compare.services import (
    CURRENT_ENGINE,
    RECOMPUTE_COMPARISON,
    fingerprint_ready_video,
    refined_row,
    request_gemini_summary,
    store_refined,
    video_fingerprint,
)
from videos.embeddings.base import EmbeddingError
from videos.models import Comparison, Video

logger = logging.getLogger(__name__)

# Rows a sweep recomputes before it hands over to a fresh task (each can take a few minutes of
# decoding on a long pair): a worker is never held for hours, and a deploy loses at most a batch's
# progress on the row under way.
RECOMPUTE_BATCH = 20
# One sweep at a time (the beat's and the one a finished batch queues): a second one would recompute
# the same rows side by side. Held by a cache key that lapses, so a worker that dies holding it
# stops nobody for longer than this.
SWEEP_KEY = "comparison-recompute-sweep"
SWEEP_LEASE_SECONDS = 60 * 60

# Engine 1's threshold was a distance between clip vectors, another scale than the current engine's
# 0–1 change score: its rows take the current default. Engine 2's (and an unmade row's, asked for on
# the current scale) is the same score: kept.
CLIP_GRID_ENGINE = 1

UNREADABLE_NOTE = (
    "This comparison was made by an older engine and its videos can no longer be read: compare them again or delete it."
)
RECOMPUTING_NOTE = "Being recomputed by the current engine…"


class Recomputed(StrEnum):
    """What happened to one row."""

    DONE = "done"
    SKIPPED = "skipped"  # current already, gone, unreadable already, or a video not ready yet
    UNREADABLE = "unreadable"
    FAILED = "failed"  # an unexpected error: logged, the row is tried again by the next run


class _VideosUnreadable(Exception):
    """A video of the row has no file to read any more (failed, cancelled, or its file is gone)."""


def comparisons_to_recompute() -> QuerySet[Comparison]:
    """Rows an older engine made (or none did) that can still be recomputed."""
    return Comparison.objects.filter(engine__lt=CURRENT_ENGINE, unreadable=False)


def comparison_recomputing(comparison: Comparison) -> bool:
    """Whether this row waits for the current engine, or is being made by it now."""
    return comparison.engine < CURRENT_ENGINE and not comparison.unreadable


def comparison_state_note(comparison: Comparison) -> str | None:
    """What the pages and the API say of a row the current engine has not made; None for one it has."""
    if comparison.engine >= CURRENT_ENGINE:
        return None
    return UNREADABLE_NOTE if comparison.unreadable else RECOMPUTING_NOTE


def comparison_recompute_soon(comparison: Comparison) -> None:
    """Queue this older row now rather than at the next sweep (asked twice, queued once a while)."""
    if comparison_recomputing(comparison) and cache.add(f"comparison-recompute:{comparison.pk}", 1, timeout=600):
        RECOMPUTE_COMPARISON.delay_on_commit(comparison.pk)


def comparison_recompute_by_id(comparison_id: int) -> Recomputed:
    """Recompute one older row by the current engine (fingerprinting its videos first where they have
    none), at its threshold, verified on the files; its videos unreadable, mark it so."""
    comparison = comparisons_to_recompute().select_related("video_a", "video_b").filter(pk=comparison_id).first()
    if comparison is None:
        return Recomputed.SKIPPED
    threshold = None if comparison.engine == CLIP_GRID_ENGINE else comparison.threshold
    try:
        for video in (comparison.video_a, comparison.video_b):
            if video.status in (Video.Status.FAILED, Video.Status.CANCELLED) or not video.storage_key:
                raise _VideosUnreadable(f"video {video.pk} is {video.status} with no file to read")
            if video.status != Video.Status.READY:
                return Recomputed.SKIPPED  # being processed again: the next run takes the row
            if video_fingerprint(video) is None:
                fingerprint_ready_video(video)
        result = refined_row(comparison, threshold)
        if result is None:
            raise _VideosUnreadable("no fingerprint could be stored")
    except (_VideosUnreadable, EmbeddingError, OSError, av.error.FFmpegError):
        logger.warning("comparison %s cannot be recomputed: its videos cannot be read", comparison_id, exc_info=True)
        Comparison.objects.filter(pk=comparison_id, engine__lt=CURRENT_ENGINE).update(unreadable=True)
        return Recomputed.UNREADABLE
    with transaction.atomic():
        current = (
            Comparison.objects.select_for_update(of=("self",))
            .select_related("video_a", "video_b")
            .filter(pk=comparison_id, engine__lt=CURRENT_ENGINE)
            .first()
        )
        if current is None:
            return Recomputed.SKIPPED  # made meanwhile by another run, or deleted
        store_refined(current, result)
        current.save()
        request_gemini_summary(current)
    return Recomputed.DONE


def comparisons_recompute(
    *, progress: Callable[[int, int, int, Recomputed], None] | None = None
) -> Counter[Recomputed]:
    """Recompute every older row, one by one in id order; `progress(done, total, id, outcome)`
    after each (the operator's command)."""
    return _recompute(_older_ids(after=0, limit=None), progress)


def comparisons_recompute_batch(*, after: int = 0) -> int | None:
    """The sweep's step: the next RECOMPUTE_BATCH older rows after id `after` recomputed, unless
    another sweep holds the lease. Returns the id the next batch starts after, or None when the
    sweep is over (no older row past this batch, or another sweep runs). Rows left behind (a video
    being processed again, an unexpected error) are taken by the next sweep, which starts at 0."""
    if not cache.add(SWEEP_KEY, 1, timeout=SWEEP_LEASE_SECONDS):
        return None
    try:
        batch = _older_ids(after=after, limit=RECOMPUTE_BATCH)
        _recompute(batch, None)
    finally:
        cache.delete(SWEEP_KEY)
    if not batch or not comparisons_to_recompute().filter(pk__gt=batch[-1]).exists():
        return None
    return batch[-1]


def _older_ids(*, after: int, limit: int | None) -> list[int]:
    rows = comparisons_to_recompute().filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
    return list(rows[:limit])


def _recompute(ids: list[int], progress: Callable[[int, int, int, Recomputed], None] | None) -> Counter[Recomputed]:
    """Each row on its own: one that fails unexpectedly is logged and left for the next run, so one
    bad row never stops the others."""
    outcomes: Counter[Recomputed] = Counter()
    for done, comparison_id in enumerate(ids, start=1):
        try:
            outcome = comparison_recompute_by_id(comparison_id)
        except Exception:  # reported and left, as a failing pass is: the other rows go on
            logger.exception("comparison %s could not be recomputed", comparison_id)
            outcome = Recomputed.FAILED
        outcomes[outcome] += 1
        if progress is not None:
            progress(done, len(ids), comparison_id, outcome)
    return outcomes
