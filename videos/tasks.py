from __future__ import annotations

import logging
from typing import Any

from billiard.einfo import ExceptionInfo, ExceptionWithTraceback  # type: ignore[attr-defined]  # missing from the stubs
from billiard.exceptions import WorkerLostError
from celery import Task, shared_task
from celery.signals import worker_ready
from celery.worker.request import Request
from django.conf import settings
from django.db import connections

from videos.compare.recompute import comparison_recompute_by_id, comparisons_recompute_batch
from videos.compare.services import (
    comparison_refresh_text_by_id,
    comparison_summarize_with_gemini,
    comparison_verify_by_id,
)
from videos.conform.jobs import recut_job_run, recut_jobs_sweep
from videos.models import Comparison, Video
from videos.pipeline.lease import Taken, lease_seconds_left, process_name
from videos.pipeline.renditions import renditions_backfill, videos_missing_renditions
from videos.pipeline.retranscribe import retranscribe as run_retranscribe
from videos.pipeline.runner import process_video as run_pipeline
from videos.pipeline.runner import reembed as run_reembed
from videos.projects.services import projects_purge
from videos.screen_text.stage import screen_text_read
from videos.services import video_take_over_lost_run, videos_take_over_lapsed
from videos.uploads.services import uploads_abort_idle
from videos.versions.services import version_compare_neighbours
from videos.window_sentences import store_window_sentences

logger = logging.getLogger(__name__)


class _ProcessVideoRequest(Request):
    """A `process_video` message as the worker's main process holds it while a pool process runs it."""

    def on_failure(self, exc_info: ExceptionInfo, send_failed_event: bool = True, return_ok: bool = False) -> Any:
        # The pool process running the video died (SIGKILL, the OOM killer): this process saw it
        # exit, so the run is certainly dead. Take the video over now, ahead of new uploads, rather
        # than after its lease lapses and the next sweep (up to a lease and a sweep: ~70 s). The
        # message itself goes back to the queue as before (reject_on_worker_lost), and finds the
        # video taken or done.
        lost = exc_info.exception
        if isinstance(lost, ExceptionWithTraceback):
            lost = lost.exc
        if isinstance(lost, WorkerLostError) and self.worker_pid and self.args:
            try:
                video_take_over_lost_run(
                    video_id=int(self.args[0]),
                    task_id=self.id,
                    process=process_name(int(self.worker_pid)),
                    max_attempts=settings.VIDEO_MAX_ATTEMPTS,
                )
            except Exception:  # the database is away, or the row is locked: the sweep takes it over
                logger.warning("could not take over video %s at once", self.args[0], exc_info=True)
            finally:
                # The worker's main process seldom needs the database: no connection is kept (nor a
                # broken one reused the next time).
                connections.close_all()
        return super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)


class _ProcessVideoTask(Task[Any, Any]):
    Request = "videos.tasks:_ProcessVideoRequest"


# Retries only while an old run winds down (seconds); past that, the takeover sweep requeues it.
@shared_task(bind=True, max_retries=20, base=_ProcessVideoTask)
def process_video(self, video_id: int, run_seconds: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """Process one video (media queue). Safe to run again: finished steps are skipped, and a run
    starts only by taking the video's lease, so a stale or redelivered message does nothing.
    `run_seconds`: the soft time limit this message was sent with (`video_enqueue`), when not the
    worker's default; given as an argument too, as an eager call has no limits to read."""
    taken = run_pipeline(video_id, task_id=self.request.id or "", seconds_allowed=run_seconds)
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
def make_renditions(video_id: int) -> bool:
    """The playable renditions of a ready upload made before they existed (media queue). Done
    once: a video that has them, or whose renditions another run is making, returns at once."""
    return renditions_backfill(video_id)


@shared_task
def make_missing_renditions() -> int:
    """Beat, every 10 minutes: the next ready uploads without renditions get them (media queue),
    a batch at a time, so a site upgraded with many videos is not flooded."""
    missing = videos_missing_renditions()
    for video_id in missing:
        make_renditions.delay(video_id)
    return len(missing)


@shared_task
def read_screen_text(video_id: int) -> None:
    """The text shown in a ready upload, read and stored (media queue), after it became ready or from
    the admin's "Read the screen again". Done once: a video already read returns at once."""
    screen_text_read(video_id)


@shared_task
def store_sentences_of_windows(chunk_ids: list[int]) -> int:
    """The sentences and their vectors of search windows written before they were stored (media
    queue: it embeds). Idempotent: windows that have them are skipped. Returns how many it stored."""
    return store_window_sentences(chunk_ids)


@shared_task
def refresh_comparison_text(comparison_id: int) -> bool:
    """A comparison's on-screen text findings made again, after one of its videos' screen was read
    (default queue: database work, nothing decoded). Run twice, the second run changes nothing."""
    return comparison_refresh_text_by_id(comparison_id)


@shared_task
def summarize_comparison(comparison_id: int) -> bool:
    """Gemini's written summary of a comparison's differences (when configured)."""
    comparison = Comparison.objects.filter(pk=comparison_id).first()
    return comparison is not None and comparison_summarize_with_gemini(comparison=comparison)


@shared_task
def recompute_comparison(comparison_id: int) -> str:
    """One comparison made by an older engine (or by none yet) made by the current one, its videos
    fingerprinted first where they have none (media queue). Done once: a current row is skipped."""
    return comparison_recompute_by_id(comparison_id).value


@shared_task
def recompute_old_comparisons(after: int = 0) -> int | None:
    """Beat, every 10 minutes: the next batch of comparisons made by an older engine recomputed
    (media queue), then the batch after it queued while any remain. Run again, or after a crash, it
    goes on with the rows still older: done ones are no longer picked."""
    next_after = comparisons_recompute_batch(after=after)
    if next_after is not None:
        recompute_old_comparisons.delay(next_after)
    return next_after


@shared_task
def verify_comparison(comparison_id: int) -> bool:
    """Verify on the files a comparison too large to verify while it was made (media queue).
    Done once: a verified row is skipped."""
    return comparison_verify_by_id(comparison_id)


@shared_task
def compare_version_neighbours(video_id: int) -> int:
    """A ready version compared with the ready versions before and after it in its stack (media
    queue: the comparison verifies on the files). Idempotent: stored comparisons are reused."""
    video = Video.objects.filter(pk=video_id).first()
    return 0 if video is None else len(version_compare_neighbours(video=video))


@shared_task
def recut_sound(job_id: int) -> str:
    """A stem laid to a comparison's v1 recut to its v2, null tested and stored (media queue). Done
    once: only a queued job is taken, so a redelivered message returns the job's status."""
    return recut_job_run(job_id)


@shared_task
def sweep_recut_jobs() -> tuple[int, int]:
    """Beat, every 5 minutes: recut jobs whose message was lost queued again, those whose worker
    died failed and refunded."""
    return recut_jobs_sweep()


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


@shared_task
def purge_trashed_projects() -> int:
    """Daily: projects in the trash for more than PROJECT_TRASH_DAYS are deleted for good, with
    what they hold."""
    return projects_purge()
