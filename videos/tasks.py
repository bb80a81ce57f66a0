from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from sage.celery import app
from videos.models import Video
from videos.pipeline.lease import Taken, lease_seconds_left
from videos.pipeline.retranscribe import retranscribe as run_retranscribe
from videos.pipeline.runner import process_video as run_pipeline
from videos.pipeline.runner import reembed as run_reembed
from videos.services import videos_take_over_lapsed
from videos.uploads.services import uploads_abort_idle


# Retries only while an old run winds down (seconds); past that, the takeover sweep requeues it.
@shared_task(bind=True, max_retries=20)
def process_video(self, video_id: int) -> None:  # type: ignore[no-untyped-def]
    """Process one video (media queue). Safe to run again: finished steps are skipped, and a run
    starts only by taking the video's lease, so a stale or redelivered message does nothing."""
    taken = run_pipeline(video_id, task_id=self.request.id or "")
    if taken is Taken.HELD and Video.objects.filter(pk=video_id, status=Video.Status.QUEUED).exists():
        # Queued again (a retry after a cancel) while the old run still holds the lease on its way
        # out: ask again once that lease is released or lapses, rather than leave the video queued.
        seconds_left = lease_seconds_left(video_id) or 0.0
        raise self.retry(countdown=min(seconds_left, settings.VIDEO_HEARTBEAT_SECONDS) + 1)


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
def take_over_lapsed_videos() -> tuple[int, int]:
    """Every 30 s and when a worker starts: requeue videos whose worker died (their processing
    lease lapsed); fail and refund those whose runs died VIDEO_MAX_ATTEMPTS times."""
    return videos_take_over_lapsed(max_attempts=settings.VIDEO_MAX_ATTEMPTS)


@worker_ready.connect
def _take_over_lapsed_videos_at_start(sender: object = None, **kwargs: object) -> None:
    # A worker (re)starting after a crash should not wait for beat: sweep now, and once more when
    # the leases of runs that died just before it started have had time to lapse.
    take_over_lapsed_videos.delay()
    take_over_lapsed_videos.apply_async(countdown=settings.VIDEO_LEASE_SECONDS + 1)


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
