"""`make run`'s demo pair: two short videos SAGE makes itself — an original and an edited copy with
a replaced stretch, an insertion and a changed soundtrack — processed by the real pipeline and then
compared, so a newcomer has a timeline, notes and chat to try within a minute.

Both videos carry a subtitle track (so they get transcripts without speech recognition) and a tone
soundtrack (no espeak-ng needed on a fresh machine). Given once per demo account: a marker file
remembers it, so a later `make run` adds nothing, even after the user deleted the videos.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.models import User
from sage.synthetic_media import Cue, Scene, Tone, ToneAudio, make_video
from videos.compare.services import ComparisonRefused, comparison_create
from videos.models import Comparison, Video
from videos.services import video_enqueue
from workspaces.selectors import personal_workspace_of

logger = logging.getLogger(__name__)

DEMO_TITLES = ("Demo — original", "Demo — edited")
# How long the comparison task waits for the worker to process both videos: 120 × 5 s, ten minutes.
DEMO_WAIT_RETRIES = 120
DEMO_WAIT_SECONDS = 5

StretchKind = Literal["shapes", "bars", "noise", "gradient"]


@dataclass(frozen=True)
class Stretch:
    """A few seconds of the demo: a picture (scene kind and seed), a tone and the subtitle shown."""

    kind: StretchKind
    seed: int
    tone_hz: float
    words: str
    seconds: float = 4.0


# Stretches last 4 s, a multiple of the 2 s clips, so every edit starts and ends on a clip boundary.
ORIGINAL: tuple[Stretch, ...] = (
    Stretch("shapes", 1, 330, "Welcome to the SAGE demo. Coloured shapes drift across the screen."),
    Stretch("bars", 2, 392, "Now a row of bars slides slowly to one side."),
    Stretch("gradient", 3, 440, "A soft gradient turns like the hand of a clock."),
    Stretch("shapes", 4, 494, "More shapes bounce off the edges of the frame."),
    Stretch("bars", 5, 523, "The bars come back in other colours."),
    Stretch("gradient", 6, 587, "The gradient fades from one colour into another."),
    Stretch("shapes", 7, 659, "A few large shapes cross the middle of the picture."),
    Stretch("bars", 8, 740, "Thin bars march past one last time."),
    Stretch("gradient", 10, 784, "That is the end of the demo. Now compare the two versions."),
)
REPLACED_AT = 2  # 8–12 s: new picture and words, same tone (a visual difference)
REPLACEMENT = Stretch("noise", 9, 440, "This stretch was replaced by a pattern of flickering blocks.")
INSERTED_AT = 5  # 20–26 s of the edited video: only in B
INSERTION = Stretch("noise", 11, 698, "This part was added to the edited version only.", seconds=6.0)
RETONED_AT = 6  # 24–28 s of the original: same picture and words, another tone (a sound difference)
RETONED_HZ = 880.0


def edited_stretches() -> list[Stretch]:
    """The original with its three edits: a replaced stretch, an insertion, a changed tone."""
    stretches = list(ORIGINAL)
    stretches[REPLACED_AT] = REPLACEMENT
    retoned = ORIGINAL[RETONED_AT]
    stretches[RETONED_AT] = Stretch(retoned.kind, retoned.seed, RETONED_HZ, retoned.words, retoned.seconds)
    stretches.insert(INSERTED_AT, INSERTION)
    return stretches


def write_demo_video(path: Path, stretches: Sequence[Stretch]) -> Path:
    """Encode `stretches` (320×240, 15 fps, H.264 + AAC tones, a mov_text subtitle per stretch)."""
    cues: list[Cue] = []
    start = 0.0
    for stretch in stretches:
        cues.append(Cue(start, start + stretch.seconds - 0.2, stretch.words))
        start += stretch.seconds
    return make_video(
        path,
        scenes=[Scene(stretch.seconds, stretch.kind, seed=stretch.seed) for stretch in stretches],
        audio=ToneAudio(segments=[Tone(stretch.seconds, stretch.tone_hz) for stretch in stretches]),
        subtitles=cues,
        threads=0,  # any thread count: these bytes need not be reproducible, only quick to make
    )


def demo_videos_create(*, user: User, then: Callable[[Video, Video], object]) -> tuple[Video, Video]:
    """Both demo videos generated and stored as `user`'s, queued for processing; `then(original,
    edited)` runs after them once the transaction commits (it queues what follows processing)."""
    with tempfile.TemporaryDirectory(prefix="sage-demo-") as directory, ThreadPoolExecutor(2) as pool:
        # Two threads: the encoder and numpy release the GIL, so both files take little more than one.
        original_job = pool.submit(write_demo_video, Path(directory) / "original.mp4", ORIGINAL)
        edited_job = pool.submit(write_demo_video, Path(directory) / "edited.mp4", edited_stretches())
        return _store_and_enqueue(user, original_job.result(), edited_job.result(), then)


def _store_and_enqueue(
    user: User, original_file: Path, edited_file: Path, then: Callable[[Video, Video], object]
) -> tuple[Video, Video]:
    stored_keys: list[str] = []
    try:
        with transaction.atomic():
            original = _stored_video(user, DEMO_TITLES[0], original_file, stored_keys)
            edited = _stored_video(user, DEMO_TITLES[1], edited_file, stored_keys)
            video_enqueue(video=original)
            video_enqueue(video=edited)
            transaction.on_commit(lambda: then(original, edited))
    except Exception:
        for key in stored_keys:  # the rows are gone with the transaction; their files go too
            default_storage.delete(key)
        raise
    return original, edited


def _stored_video(user: User, title: str, source: Path, stored_keys: list[str]) -> Video:
    # The demo pair is the person's own: their personal workspace's.
    video = Video.objects.create(
        owner=user, workspace=personal_workspace_of(user), title=title, status=Video.Status.QUEUED
    )
    with source.open("rb") as handle:
        key = default_storage.save(f"videos/{video.pk}/original.mp4", File(handle))
    stored_keys.append(key)
    video.storage_key, video.size = key, source.stat().st_size
    video.save(update_fields=["storage_key", "size", "updated_at"])
    return video


class DemoPairNotReady(Exception):
    """Both demo videos exist but are still queued or processing: ask again later."""


def demo_comparison_build(*, user_id: int, video_a_id: int, video_b_id: int) -> Comparison | None:
    """The demo pair's comparison (cuts alignment), made once both videos are ready. Raises
    DemoPairNotReady while either is still being processed; None, quietly, when either is gone,
    failed or cancelled, or the pair cannot be compared."""
    pair = Video.objects.select_related("owner").filter(owner_id=user_id, pk__in=(video_a_id, video_b_id))
    videos = {video.pk: video for video in pair}
    video_a, video_b = videos.get(video_a_id), videos.get(video_b_id)
    if video_a is None or video_b is None:
        return None
    statuses = {video_a.status, video_b.status}
    if statuses & {Video.Status.FAILED, Video.Status.CANCELLED}:
        logger.info("demo pair %s/%s did not process; no comparison made", video_a_id, video_b_id)
        return None
    if statuses != {Video.Status.READY}:
        raise DemoPairNotReady(f"demo videos {video_a_id} and {video_b_id} are not both ready yet")
    try:
        comparison, _ = comparison_create(user=video_a.owner, video_a=video_a, video_b=video_b, alignment="cuts")
    except ComparisonRefused as refused:
        logger.warning("demo pair %s/%s cannot be compared: %s", video_a_id, video_b_id, refused.reason)
        return None
    return comparison
