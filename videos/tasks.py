from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings

from sage.celery import app
from videos.pipeline.retranscribe import retranscribe as run_retranscribe
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


@shared_task
def retranscribe_video(video_id: int) -> None:
    """Admin's re-transcribe: a ready video's transcript made again, then its chunks and summary (media queue)."""
    run_retranscribe(video_id)


@shared_task
def summarize_comparison(comparison_id: int) -> bool:
    """Gemini's written summary of a comparison's differences (when configured)."""
    from videos.compare.services import comparison_summarize_with_gemini
    from videos.models import Comparison

    comparison = Comparison.objects.filter(pk=comparison_id).first()
    return comparison is not None and comparison_summarize_with_gemini(comparison=comparison)


@shared_task
def refine_comparison(comparison_id: int) -> bool:
    """Move a comparison made on the clip grid to engine 2, fingerprinting its videos first where
    they were processed before fingerprints existed (media queue). Done once: engine-2 rows are skipped."""
    from videos.compare.services import comparison_refine_by_id

    return comparison_refine_by_id(comparison_id)


@shared_task
def verify_comparison(comparison_id: int) -> bool:
    """Verify on the files a comparison too large to verify while it was made (media queue).
    Done once: a verified row is skipped."""
    from videos.compare.services import comparison_verify_by_id

    return comparison_verify_by_id(comparison_id)


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


@shared_task(bind=True)
def build_demo_comparison(self, user_id: int, a_id: int, b_id: int) -> None:  # type: ignore[no-untyped-def]
    """`make run`'s demo comparison, once both demo videos are ready (asks again every few seconds)."""
    from videos.demo import DEMO_WAIT_RETRIES, DEMO_WAIT_SECONDS, DemoPairNotReady, demo_comparison_build

    try:
        demo_comparison_build(user_id=user_id, video_a_id=a_id, video_b_id=b_id)
    except DemoPairNotReady:
        raise self.retry(countdown=DEMO_WAIT_SECONDS, max_retries=DEMO_WAIT_RETRIES) from None


@shared_task(bind=True)
def build_sample(self, a_id: int, b_id: int) -> None:  # type: ignore[no-untyped-def]
    """The shared sample's comparison, notes and conversation, once both its videos are ready."""
    from videos.demo import DEMO_WAIT_RETRIES, DEMO_WAIT_SECONDS, DemoPairNotReady
    from videos.sample import sample_build  # the sample imports the chat and notes apps

    try:
        sample_build(video_a_id=a_id, video_b_id=b_id)
    except DemoPairNotReady:
        raise self.retry(countdown=DEMO_WAIT_SECONDS, max_retries=DEMO_WAIT_RETRIES) from None
