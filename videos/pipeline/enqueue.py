"""Queueing a video's processing run, by the task's name (sage.queueing): videos.tasks runs the
pipeline and the services, which queue it from here."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from sage.queueing import TaskRef
from videos.models import Video

PROCESS_VIDEO = TaskRef[[int]]("videos.tasks.process_video")

# Redis pops a queue's priority 0 first (CELERY_TASK_DEFAULT_PRIORITY, the new work's, is lower):
# a video whose run died is taken before any new upload waiting on the same queue.
RESUMED_PRIORITY = 0


# How long a run may take, per second of a 1080p video: several times what the slowest whole run
# measures on two cores (a ProRes master's rendition, about one second a second, bench/pipeline.py),
# for a busy machine; four times as long for each 4K picture's area. Plus a floor for the fixed part.
# A video short enough keeps the worker's limit (CELERY_TASK_SOFT_TIME_LIMIT, 30 minutes); a long
# master gets its own, so a two-hour film is not cut off at 30 minutes, and a hung run of a short
# one is still stopped at 30.
RUN_SECONDS_PER_SECOND_1080P = 4
RUN_SECONDS_FLOOR = 10 * 60
PICTURE_1080P = 1920 * 1080
# Between a run's soft time limit (it ends as a failure, refunded) and the hard one (killed).
HARD_LIMIT_GRACE_SECONDS = 120


def run_seconds_needed(video: Video) -> int:
    """The soft time limit a processing run of `video` needs, from its probed length and picture."""
    area = max(1.0, (video.width or 0) * (video.height or 0) / PICTURE_1080P)
    return int(RUN_SECONDS_FLOOR + (video.duration or 0.0) * RUN_SECONDS_PER_SECOND_1080P * area)


def video_enqueue(*, video: Video, resumed: bool = False, run_seconds: int | None = None) -> None:
    """Queue processing once the current transaction commits (the worker must see the row).
    `resumed`: a run of it died, or stopped to be queued again; it goes ahead of new work waiting on
    the queue. `run_seconds`: the run's soft time limit, if longer than the worker's default."""
    options: dict[str, Any] = {}
    if resumed:
        options["priority"] = RESUMED_PRIORITY
    if run_seconds is not None and run_seconds > settings.CELERY_TASK_SOFT_TIME_LIMIT:
        options |= {
            "kwargs": {"run_seconds": run_seconds},
            "soft_time_limit": run_seconds,
            "time_limit": run_seconds + HARD_LIMIT_GRACE_SECONDS,
        }
    PROCESS_VIDEO.apply_async_on_commit((video.pk,), **options)
