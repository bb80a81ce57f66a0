from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings

from sage.celery import app
from videos.pipeline.runner import process_video as run_pipeline
from videos.pipeline.runner import reembed as run_reembed
from videos.services import videos_reap_stalled
from videos.uploads.services import uploads_abort_idle


@shared_task(bind=True)
def process_video(self, video_id: int) -> None:  # type: ignore[no-untyped-def]
    """Process one video (media queue). Safe to run again: finished steps are skipped."""
    run_pipeline(video_id, task_id=self.request.id or "")


@shared_task
def reembed_video(video_id: int) -> None:
    """Admin's re-embed: the clip embeddings of a ready video, again (media queue)."""
    run_reembed(video_id)


def revoke(task_id: str) -> None:
    # terminate=False: a running task sees the cancelled status between steps and stops there.
    app.control.revoke(task_id)


@shared_task
def reap_stalled_videos() -> tuple[int, int]:
    """Every few minutes: requeue processing whose worker died; fail and refund after N tries."""
    return videos_reap_stalled(
        stalled_for=dt.timedelta(seconds=settings.VIDEO_STALL_SECONDS), max_attempts=settings.VIDEO_MAX_ATTEMPTS
    )


@shared_task
def abort_idle_uploads() -> int:
    """Hourly: abort uploads that received no part for a day, freeing their storage."""
    return uploads_abort_idle()
