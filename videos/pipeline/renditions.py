"""The renditions step: what players are given (videos.playback decides, videos.render makes them).

A processing run makes the playable file before "ready" (`ensure_renditions(small=False)`: a new
encode or a remux; nothing for an original that plays). The small copy is made just after ready,
from the rendition when there is one (8-bit 4:2:0 H.264 with the same frames: decoding it costs a
fraction of a master's decode, which the run before ready no longer shares with the small copy's
encode), and videos made ready before renditions existed get theirs, by `renditions_backfill`
(queued after ready, a beat sweep and `manage.py make_renditions`), which leaves the video ready
throughout. Making a
rendition is not charged: the tokens a video costs are its seconds processed, whatever is made
from them. A rendition that cannot be made does not fail the video (its analysis, comparisons and
transcript stand): the page says so and offers the original.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Q

from sage.queueing import TaskRef
from videos.models import Video
from videos.pipeline.files import local_copy
from videos.pipeline.progress import push_video, report
from videos.playback import Playback, playback_plan
from videos.probe import ProbeError, probe_media
from videos.render import RenderError, render_renditions

logger = logging.getLogger(__name__)

MAKE_RENDITIONS = TaskRef[[int]]("videos.tasks.make_renditions")
STAGE = "rendition"
# The probe that decides it ran before, on the same file: this only bounds a pathological re-read.
PROBE_SLACK_SECONDS = 60
# A backfill run holds this lock (in the cache: Redis) while it works, so two never make the same
# video's renditions at once; it lapses on its own after a crash.
BACKFILL_LOCK_SECONDS = 3 * 3600
BACKFILL_BATCH = 20


def needs_renditions(video: Video) -> bool:
    """Players' files still to make: the playable one not judged yet, or the small copy missing."""
    return (
        video.source == Video.Source.UPLOAD
        and bool(video.storage_key)
        and not (video.original_plays is not None and video.small_key)
    )


def ensure_renditions(
    video: Video,
    path: Path,
    *,
    small: bool,
    on_progress: Callable[[float], None] | None = None,
    stage: bool = True,
) -> None:
    """Make from the file at `path` what players need and is not made: the playable file (a new
    encode or a remux; nothing when the original plays), and with `small` the small copy (from the
    same pass when both are made). `path` is the original, or for the small copy alone the playable
    file once made (the same frames). The processing run asks for the playable file only, so an
    original that plays is ready at no cost and a master's at the cost of its one encode; the small
    copy is made just after ready (`renditions_backfill`). `stage`: report the step as the video's
    stage (a processing run)."""
    main = video.original_plays is None
    small = small and not video.small_key
    if video.source != Video.Source.UPLOAD or not (main or small):
        return
    if stage:
        report(video, stage=STAGE, percent=0)
    fields: dict[str, object] = {"rendition_error": ""}
    try:
        probe = probe_media(path, max_seconds=(video.duration or 0) + PROBE_SLACK_SECONDS)
        plan = playback_plan(probe)
        with tempfile.TemporaryDirectory(prefix="sage-rendition-") as directory:
            rendered = render_renditions(
                path, Path(directory), probe=probe, plan=plan, main=main, small=small, on_progress=on_progress
            )
            if main:
                fields["original_plays"] = plan.playback is Playback.AS_IS
                fields["playable_key"] = _store(video, rendered.playable, "playable.mp4") if rendered.playable else ""
            if rendered.small is not None:
                fields["small_key"] = _store(video, rendered.small, "small.mp4")
    except (ProbeError, RenderError) as exc:
        logger.warning("video %s: no rendition (%s): %s", video.pk, exc, getattr(exc, "detail", ""))
        video.rendition_error = f"We could not make a version your browser can play: {exc.message}"[:500]
        Video.objects.filter(pk=video.pk).update(rendition_error=video.rendition_error)
        return
    logger.info("video %s: %s (%s), %s frames", video.pk, plan.playback.value, ", ".join(plan.reasons), rendered.frames)
    Video.objects.filter(pk=video.pk).update(**fields)
    for name, value in fields.items():
        setattr(video, name, value)
    if stage:
        report(video, stage=STAGE, percent=100)


def _store(video: Video, path: Path, name: str) -> str:
    # One name per video and kind: a run that died after storing it writes the same key again.
    key = f"videos/{video.pk}/{name}"
    default_storage.delete(key)
    with path.open("rb") as handle:
        return default_storage.save(key, File(handle))


def renditions_backfill(video_id: int) -> bool:
    """The renditions of a ready upload made before they existed; True when they were made now.
    The video stays ready (and its original downloadable) throughout; its page says the playable
    version is being prepared, and shows the player once it is."""
    video = Video.objects.filter(pk=video_id, status=Video.Status.READY).first()
    if video is None or not needs_renditions(video):
        return False
    lock = f"videos:renditions:{video_id}"
    if not cache.add(lock, "1", timeout=BACKFILL_LOCK_SECONDS):
        return False  # another run is making them
    # The small copy alone comes from the rendition when there is one: the same frames, far cheaper to decode.
    source = video.playable_key if video.original_plays is False and video.playable_key else ""
    try:
        with local_copy(video, key=source) as path:
            ensure_renditions(video, path, small=True, stage=False)
    finally:
        cache.delete(lock)
    video.refresh_from_db()
    push_video(video)  # an open page swaps "preparing" for the player
    return not needs_renditions(video)


def videos_missing_renditions(limit: int = BACKFILL_BATCH) -> list[int]:
    """Ready uploads whose players' files are not all made (and did not fail), oldest first: made
    before renditions existed, or whose small copy's task was lost."""
    missing = Q(original_plays__isnull=True) | Q(small_key="")
    return list(
        Video.objects.filter(missing, status=Video.Status.READY, source=Video.Source.UPLOAD, rendition_error="")
        .exclude(storage_key="")
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
