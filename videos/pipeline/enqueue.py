"""Queueing a video's processing run, by the task's name (sage.queueing): videos.tasks runs the
pipeline and the services, which queue it from here."""

from __future__ import annotations

from sage.queueing import TaskRef
from videos.models import Video

PROCESS_VIDEO = TaskRef[[int]]("videos.tasks.process_video")

# Redis pops a queue's priority 0 first (CELERY_TASK_DEFAULT_PRIORITY, the new work's, is lower):
# a video whose run died is taken before any new upload waiting on the same queue.
RESUMED_PRIORITY = 0


def video_enqueue(*, video: Video, resumed: bool = False) -> None:
    """Queue processing once the current transaction commits (the worker must see the row).
    `resumed`: a run of it died; it goes ahead of new work waiting on the queue."""
    if resumed:
        PROCESS_VIDEO.apply_async_on_commit((video.pk,), priority=RESUMED_PRIORITY)
    else:
        PROCESS_VIDEO.delay_on_commit(video.pk)
