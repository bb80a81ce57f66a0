"""One processing run: claim the video, run the steps in order, then settle — or fail and refund.

The transcript is found beside the picture steps (thumbnails, clips, fingerprint), in a thread of
its own (videos.pipeline.transcribing); everything written, and every stage shown, stays in order.

Money: the hold taken in `ensure_hold` is settled at ceil(duration) when the video is ready, and
released in full when it fails or is cancelled. Both are idempotent, so a run that is repeated
(a retry, a requeue after a crash, a redelivered task) charges once.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.holds import hold_release, hold_settle
from billing.models import Hold
from videos.models import Video
from videos.pipeline.enqueue import run_seconds_needed, video_enqueue
from videos.pipeline.files import local_copy
from videos.pipeline.lease import RUNNABLE, Taken, heartbeat, lease_take, new_lease_owner
from videos.pipeline.progress import push_video
from videos.pipeline.renditions import MAKE_RENDITIONS, ensure_renditions
from videos.pipeline.renditions import STAGE as RENDITION_STAGE
from videos.pipeline.steps import (
    Cancelled,
    StepFailed,
    embed_and_store_clips,
    ensure_chunks,
    ensure_clip_embeddings,
    ensure_fingerprint,
    ensure_hold,
    ensure_probed,
    ensure_summary,
    ensure_thumbnails,
    ensure_transcript,
    progress_reporter,
    stop_if_cancelled,
    tokens_for,
)
from videos.pipeline.transcribing import transcript_beside
from videos.screen_text.state import screen_text_queue
from videos.signals import transcript_settled
from videos.versions.services import versions_may_be_compared

logger = logging.getLogger(__name__)

# What a person reads when processing died with its worker too many times.
CRASHED_MESSAGE = "Processing stopped several times on our side; your tokens were refunded. Retry the video."


class NeedsLongerRun(Exception):
    """This run's time limit is shorter than the video's length needs (`run_seconds_needed`)."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(f"needs a run of {seconds} s")


def process_video(video_id: int, *, task_id: str = "", seconds_allowed: float | None = None) -> Taken:
    """Run the pipeline for one video under its lease. HELD: another run holds the lease (this
    message is stale, redelivered, or came while a cancelled run winds down) and nothing was done.
    `seconds_allowed`: this run's soft time limit (the worker's default when not given). A video
    longer than that allows is probed, then queued again with the limit it needs: the run would
    otherwise be stopped part way, fail and start again from its last finished step, for ever."""
    owner = new_lease_owner()
    taken = lease_take(video_id=video_id, owner=owner, task_id=task_id)
    if taken is not Taken.TAKEN:
        return taken
    video = Video.objects.select_related("owner", "hold").get(pk=video_id)
    if video.crashes >= settings.VIDEO_MAX_ATTEMPTS:
        # This run took over from the last run allowed to die (a redelivered message got here
        # before the takeover sweep): the video fails and is refunded instead.
        video_fail(video, code="crashed", message=CRASHED_MESSAGE, lease_owner=owner)
        return taken
    push_video(video)
    with heartbeat(video_id=video_id, owner=owner):
        try:
            if video.source == Video.Source.YOUTUBE:
                _youtube_steps(video)
            else:
                _upload_steps(video, seconds_allowed or settings.CELERY_TASK_SOFT_TIME_LIMIT)
        except NeedsLongerRun as longer:
            _queue_again(video, lease_owner=owner, run_seconds=longer.seconds)
            return taken
        except Cancelled:
            return taken  # cancelling released the hold already; a lost lease left the video to its holder
        except StepFailed as exc:
            video_fail(video, code=exc.code, message=exc.message, lease_owner=owner)
            return taken
        except Exception:
            logger.exception("processing video %s failed unexpectedly", video_id)
            video_fail(
                video,
                code="internal",
                message="Something went wrong on our side while processing this video.",
                lease_owner=owner,
            )
            return taken
        _finish(video, lease_owner=owner)
    return taken


def _upload_steps(video: Video, seconds_allowed: float) -> None:
    # A video handed on to a longer run keeps its download (on S3) for that run.
    with local_copy(video, kept_on=(NeedsLongerRun,)) as path:
        ensure_probed(video, path)
        stop_if_cancelled(video)
        if (needed := run_seconds_needed(video)) > seconds_allowed:
            raise NeedsLongerRun(needed)
        ensure_hold(video)
        stop_if_cancelled(video)
        # The transcript (speech recognition, mostly) is found beside the picture steps.
        with transcript_beside(video, path) as transcript:
            ensure_thumbnails(video, path)
            stop_if_cancelled(video)
            ensure_clip_embeddings(video, path)
            stop_if_cancelled(video)
            ensure_fingerprint(video, path)
            stop_if_cancelled(video)
            # What players are given: made while the transcript is found beside it.
            ensure_renditions(video, path, small=False, on_progress=progress_reporter(video, RENDITION_STAGE))
            stop_if_cancelled(video)
            ensure_transcript(video, path, found=transcript.result if transcript is not None else None)
        send_transcript_settled(video)
        stop_if_cancelled(video)
    ensure_chunks(video)
    stop_if_cancelled(video)
    ensure_summary(video)


def _queue_again(video: Video, *, lease_owner: str, run_seconds: int) -> None:
    """Hand the video from this run to one with `run_seconds` to run in: queued again, ahead of new
    work (its probe is done and kept), under no lease, so nothing takes it for a dead run."""
    with transaction.atomic():
        queued = Video.objects.filter(pk=video.pk, status=Video.Status.PROCESSING, lease_owner=lease_owner).update(
            status=Video.Status.QUEUED, task_id="", lease_owner="", lease_expires_at=None, lease_process=""
        )
        if queued:  # not cancelled or taken over meanwhile
            logger.info("video %s: %s s long, queued again for a run of %s s", video.pk, video.duration, run_seconds)
            video_enqueue(video=video, resumed=True, run_seconds=run_seconds)
    video.refresh_from_db()
    push_video(video)


def _youtube_steps(video: Video) -> None:
    # Nothing of YouTube's is downloaded or decoded, so nothing is held or charged: the video is
    # its captions, made searchable.
    ensure_transcript(video, None)
    send_transcript_settled(video)
    stop_if_cancelled(video)
    ensure_chunks(video)
    stop_if_cancelled(video)
    ensure_summary(video)


def _finish(video: Video, *, lease_owner: str) -> None:
    # Settling and marking ready happen together under the video's row lock, and only by the run
    # holding the lease: a cancel waits for them (and then finds nothing to cancel), a crash leaves
    # neither done, so the rerun settles the same hold once, and a run that lost its lease does neither.
    with transaction.atomic():
        locked = (
            Video.objects.select_for_update()
            .filter(pk=video.pk, status=Video.Status.PROCESSING, lease_owner=lease_owner)
            .first()
        )
        if locked is None:
            return  # cancelled at the last moment (the cancel released the hold), or taken over
        if video.hold is not None:
            hold_settle(hold=video.hold, actual_amount=min(tokens_for(video), video.hold.amount))
        Video.objects.filter(pk=video.pk).update(
            status=Video.Status.READY,
            stage="",
            percent=100,
            ready_at=timezone.now(),
            task_id="",
            lease_owner="",
            lease_expires_at=None,
            lease_process="",
        )
    video.refresh_from_db()
    push_video(video)
    send_transcript_settled(video)
    versions_may_be_compared(video)
    # The text on screen is read once the video is ready, never before: reading it must not delay "ready".
    screen_text_queue(video)
    # Nor the small copy (from the rendition, or the original that plays): it waits for no one.
    if video.source == Video.Source.UPLOAD and not video.small_key and not video.rendition_error:
        MAKE_RENDITIONS.delay_on_commit(video.pk)


def send_transcript_settled(video: Video) -> None:
    """Tell the apps above (`transcript_settled`) that this video's transcript is made, or will not
    come: AI notes waiting for it are written (or refunded). Safe to call more than once."""
    transcript_settled.send(sender=Video, video_id=video.pk)


def video_fail(video: Video, *, code: str, message: str, lease_owner: str | None = None) -> None:
    """Mark the video failed with a message a person understands, and refund its hold. With
    `lease_owner`, only while that run holds the lease (a run taken over leaves the video alone)."""
    runnable = Video.objects.filter(pk=video.pk, status__in=RUNNABLE)
    if lease_owner is not None:
        runnable = runnable.filter(lease_owner=lease_owner)
    failed = runnable.update(
        status=Video.Status.FAILED,
        error_code=code,
        error_message=message[:500],
        task_id="",
        lease_owner="",
        lease_expires_at=None,
        lease_process="",
    )
    if not failed and lease_owner is not None:
        return
    release_hold_of(video)
    video.refresh_from_db()
    push_video(video)
    send_transcript_settled(video)


def release_hold_of(video: Video) -> None:
    hold = Hold.objects.filter(pk=video.hold_id).first() if video.hold_id else None
    if hold is not None:
        hold_release(hold=hold)


def reembed(video_id: int) -> None:
    """New clip embeddings for a ready upload. It stays ready (and playable, comparable with its old
    vectors) throughout; a failure is logged and leaves the old vectors in place."""
    video = Video.objects.filter(pk=video_id, status=Video.Status.READY, source=Video.Source.UPLOAD).first()
    if video is None:
        return
    try:
        with local_copy(video) as path:
            embed_and_store_clips(video, path)
    except StepFailed:
        logger.exception("re-embedding video %s failed", video_id)
