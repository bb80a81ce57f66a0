from __future__ import annotations

from celery import shared_task

from videos.uploads.services import uploads_abort_idle


@shared_task
def abort_idle_uploads() -> int:
    """Hourly: abort uploads that received no part for a day, freeing their storage."""
    return uploads_abort_idle()
