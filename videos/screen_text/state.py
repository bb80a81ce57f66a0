"""Where a video's "reading the screen" stage stands (as the page, the API and the stage say it),
and how it is asked for. Light to import: the reader itself (videos.screen_text.stage) is loaded
only by the worker that runs it.

The stage runs on a ready video (it never delays "ready"), so its state is not the video's status:
it is kept in `Video.backends[SCREEN_TEXT]` (the reader's name once done, FAILED when it could not
read) and, while it runs, in the video's `stage` and `percent`, which the page follows live.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

from sage.queueing import TaskRef
from videos.models import Video

# The key in Video.backends, and the stage name pushed live while the stage runs.
SCREEN_TEXT = "screen_text"
# Video.backends[SCREEN_TEXT] when the text on screen could not be read (the details are logged).
FAILED = "failed"
# What the page and the API say then.
FAILED_MESSAGE = "The text on screen could not be read."

READ_SCREEN_TEXT = TaskRef[[int]]("videos.tasks.read_screen_text")
# Sent ahead of new videos' processing waiting on the same queue (Redis pops priority 0 first; new work
# is at CELERY_TASK_DEFAULT_PRIORITY, 6): a video that is ready is asked about now, and its slides
# are not searchable until read, while a new upload's run takes minutes whenever it starts.
READ_SCREEN_TEXT_PRIORITY = 3
# A ready video still waiting to be read this long after it became ready is taken as one processed
# before the stage existed (it is never read unless an operator asks), not as one about to be read.
BEING_READ_WITHIN = timedelta(hours=1)


class ScreenTextState(models.TextChoices):
    # A YouTube video (no file here), or one that is not ready.
    NONE = "none", "Nothing to read"
    # Ready, and queued to be read (or processed before the stage existed).
    WAITING = "waiting", "Waiting to be read"
    READING = "reading", "Being read"
    DONE = "done", "Read"
    FAILED = "failed", "Could not be read"


def screen_text_state(video: Video) -> ScreenTextState:
    if video.source != Video.Source.UPLOAD or video.status != Video.Status.READY:
        return ScreenTextState.NONE
    mark = video.backends.get(SCREEN_TEXT)
    if mark == FAILED:
        return ScreenTextState.FAILED
    if mark:
        return ScreenTextState.DONE
    return ScreenTextState.READING if video.stage == SCREEN_TEXT else ScreenTextState.WAITING


def screen_being_read(video: Video) -> bool:
    """Whether the text on `video`'s screen is being read or about to be: a question it cannot answer
    yet may be answered once it is."""
    state = screen_text_state(video)
    if state == ScreenTextState.READING:
        return True
    return (
        state == ScreenTextState.WAITING
        and video.ready_at is not None
        and timezone.now() - video.ready_at < BEING_READ_WITHIN
    )


def screen_text_queue(video: Video) -> bool:
    """Queue the stage for a ready upload (once its readiness is committed); False for any other."""
    if video.status != Video.Status.READY or video.source != Video.Source.UPLOAD:
        return False
    READ_SCREEN_TEXT.apply_async_on_commit((video.pk,), priority=READ_SCREEN_TEXT_PRIORITY)
    return True


def screen_text_read_again(*, video: Video) -> bool:
    """An operator's "Read the screen again" (and the way to read videos processed before the stage
    existed): forget that it was read (or failed), and queue it. The old lines answer until the new
    ones replace them. False (nothing queued) for anything but a ready upload."""
    if video.status != Video.Status.READY or video.source != Video.Source.UPLOAD:
        return False
    with transaction.atomic():
        locked = Video.objects.select_for_update().filter(pk=video.pk).first()
        if locked is None:
            return False
        video.backends = {kind: name for kind, name in locked.backends.items() if kind != SCREEN_TEXT}
        Video.objects.filter(pk=video.pk).update(backends=video.backends)
        return screen_text_queue(video)
