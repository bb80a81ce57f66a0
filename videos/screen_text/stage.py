"""The "reading the screen" stage: the text shown in a ready upload, read from its file and stored as
its on-screen lines (searchable beside what is said).

It runs after the video is ready, as a task of its own, so it never delays "ready": the video stays
playable, comparable and chattable throughout, and a failure is logged and recorded for the page
("The text on screen could not be read.") without touching the video's status. Its price is in the
1 token a second the video was charged. YouTube videos have no file here: they are skipped. Lines
read make the video's summary be written again, with what its slides show.

Safe to run again: a video already read (or that failed) returns at once; a run that died midway
stored nothing (the lines are written at the end, in one transaction), so the next run starts clean.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.db import transaction

from videos.compare.services import comparisons_refresh_text, video_fingerprint
from videos.models import ScreenTextLine, Video
from videos.pipeline.files import local_copy
from videos.pipeline.progress import push_video, report
from videos.pipeline.steps import summary_write
from videos.screen_text.indexing import index_shown_lines
from videos.screen_text.reading import ScreenReadError, ShownLine, read_screen
from videos.screen_text.state import FAILED, SCREEN_TEXT

logger = logging.getLogger(__name__)

# Video.backends[SCREEN_TEXT] once read: which reader read it.
READER_NAME = "rapidocr"


class _NoLongerReady(Exception):
    """The video was deleted (or is no longer ready) while its screen was being read."""


def screen_text_read(video_id: int) -> None:
    """Read the screen of one ready upload and store what it shows (the task's body)."""
    video = Video.objects.filter(pk=video_id, status=Video.Status.READY, source=Video.Source.UPLOAD).first()
    if video is None or video.backends.get(SCREEN_TEXT):
        return
    report(video, stage=SCREEN_TEXT, percent=0)
    try:
        with local_copy(video) as path:
            lines = read_screen(
                path,
                duration=video.duration or 0.0,
                fingerprint=video_fingerprint(video),  # where the picture changes, when known
                on_progress=_progress_reporter(video),
            )
    except _NoLongerReady:
        return  # deleted meanwhile: nothing to store, nothing to say
    except ScreenReadError as exc:
        logger.warning("could not read the screen of video %s: %s", video_id, exc)
        _finish(video, mark=FAILED, lines=None)
        return
    except Exception:
        # Whatever went wrong (an unreadable frame, the reader's model, the time limit), the video
        # itself is fine: it stays ready, and its page says the text on screen could not be read.
        logger.exception("reading the screen of video %s failed", video_id)
        _finish(video, mark=FAILED, lines=None)
        return
    _finish(video, mark=READER_NAME, lines=lines)
    if (
        lines
        and video.backends.get("summary")
        and Video.objects.filter(pk=video.pk, status=Video.Status.READY).exists()
    ):
        # The summary was written before the screen was read: now it can say what the slides show.
        # (One not written yet will be, by the step that writes it, with these lines.)
        summary_write(video)
        push_video(video)


def _progress_reporter(video: Video) -> Callable[[float], None]:
    """Whole percents, saved and pushed live; a deleted video stops the reading at the next one."""

    def on_progress(fraction: float) -> None:
        percent = int(max(0.0, min(1.0, fraction)) * 100)
        if percent == video.percent and video.stage == SCREEN_TEXT:
            return
        if not Video.objects.filter(pk=video.pk, status=Video.Status.READY).exists():
            raise _NoLongerReady
        report(video, stage=SCREEN_TEXT, percent=percent)

    return on_progress


def store_screen_lines(video: Video, lines: Sequence[ShownLine]) -> None:
    """The video's on-screen lines, in time order, replacing any it had, and made searchable (the
    `shown` windows). Call in a transaction."""
    ScreenTextLine.objects.filter(video=video).delete()
    ScreenTextLine.objects.bulk_create(
        ScreenTextLine(
            video=video,
            index=index,
            start=line.start,
            end=line.end,
            text=line.text,
            box=[round(value, 4) for value in line.box],
            confidence=line.confidence,
        )
        for index, line in enumerate(sorted(lines, key=lambda line: (line.start, line.end)))
    )
    index_shown_lines(video)


def _finish(video: Video, *, mark: str, lines: Sequence[ShownLine] | None) -> None:
    """Store the lines (all at once, replacing any), record `mark`, and take the stage off the page.
    Under the video's row lock: a deletion waits for it and then removes the rows by cascade, or
    came first and this stores nothing."""
    with transaction.atomic():
        locked = Video.objects.select_for_update().filter(pk=video.pk, status=Video.Status.READY).first()
        if locked is None:
            return
        if lines is not None:
            store_screen_lines(video, lines)
            # Comparisons made before the screen was read learn what its text says (once committed).
            comparisons_refresh_text(video)
        # From the locked row: another writer's kinds (a re-transcribe's) are kept as they are now.
        video.backends = {**locked.backends, SCREEN_TEXT: mark}
        video.stage, video.percent = "", 100
        Video.objects.filter(pk=video.pk).update(backends=video.backends, stage="", percent=100)
    push_video(video)
