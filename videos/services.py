"""Writes for videos: adding a YouTube video, deleting a video with everything derived from it."""

from __future__ import annotations

import logging
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from sage.errors import Conflict, FieldInvalid
from sage.queueing import TaskRef, revoke
from videos.models import Transcript, Upload, Video
from videos.pipeline.enqueue import run_seconds_needed
from videos.pipeline.enqueue import video_enqueue as video_enqueue  # one of the services this module offers
from videos.pipeline.lease import lapsed_videos, lease_clear_lapsed, lease_clear_lost
from videos.pipeline.progress import push_video
from videos.pipeline.runner import CRASHED_MESSAGE, release_hold_of, send_transcript_settled, video_fail
from videos.stored_files import delete_stored_files
from videos.transcripts.base import TranscriptError
from videos.transcripts.subtitles import validate_subtitle_file
from videos.uploads.services import upload_abort
from videos.versions.services import version_will_be_deleted
from videos.youtube import fetch_metadata, parse_youtube_id
from workspaces.models import Membership

logger = logging.getLogger(__name__)

REEMBED_VIDEO = TaskRef[[int]]("videos.tasks.reembed_video")


def video_add_youtube(*, member: Membership, url: str) -> tuple[Video, bool]:
    """The user's video for this YouTube link, created if new; raises YouTubeError for a bad link."""
    youtube_id = parse_youtube_id(url)
    workspace_id = member.workspace_id
    existing = Video.objects.filter(
        workspace_id=workspace_id, source=Video.Source.YOUTUBE, youtube_id=youtube_id
    ).first()
    if existing is not None:
        return existing, False
    metadata = fetch_metadata(youtube_id)  # outside any transaction: a network call
    try:
        with transaction.atomic():
            video = Video.objects.create(
                owner=member.user,
                workspace_id=workspace_id,
                source=Video.Source.YOUTUBE,
                youtube_id=youtube_id,
                title=(metadata.title if metadata and metadata.title else f"YouTube video {youtube_id}"),
                poster_url=metadata.thumbnail_url if metadata else "",
                status=Video.Status.QUEUED,
            )
            video_enqueue(video=video)  # fetches the captions and makes them searchable
            push_video(video)  # the library shows it at once (after commit)
    except IntegrityError:  # added at the same moment by another request
        return Video.objects.get(workspace_id=workspace_id, source=Video.Source.YOUTUBE, youtube_id=youtube_id), False
    return video, True


def video_cancel(*, video: Video) -> bool:
    """Stop processing: the video is marked cancelled, its task revoked and its hold refunded."""
    with transaction.atomic():
        cancelled = Video.objects.filter(pk=video.pk, status__in=(Video.Status.QUEUED, Video.Status.PROCESSING)).update(
            status=Video.Status.CANCELLED, stage="", task_id=""
        )
        if not cancelled:
            return False
        release_hold_of(video)
    if video.task_id:
        revoke(video.task_id)
    video.refresh_from_db()
    push_video(video)
    send_transcript_settled(video)  # AI notes waiting for its transcript are refunded
    return True


RETRYABLE_STATUSES = (Video.Status.FAILED, Video.Status.CANCELLED)


def video_can_retry(video: Video) -> bool:
    """What video_retry accepts: processing failed or was cancelled, and an upload still has its
    file (a YouTube video needs nothing of ours: its captions are fetched again)."""
    return video.status in RETRYABLE_STATUSES and (video.source != Video.Source.UPLOAD or bool(video.storage_key))


def video_retry(*, video: Video) -> bool:
    """Process a failed or cancelled video again (see video_can_retry); steps already done are skipped."""
    with transaction.atomic():
        # The same rule as video_can_retry, checked in the UPDATE so that two retries queue it once.
        requeued = (
            Video.objects.filter(pk=video.pk, status__in=RETRYABLE_STATUSES)
            .exclude(source=Video.Source.UPLOAD, storage_key="")
            # Asked again: the runs that died before count no more.
            .update(status=Video.Status.QUEUED, error_code="", error_message="", percent=0, crashes=0)
        )
        if requeued:
            video_enqueue(video=video)
    if requeued:
        video.refresh_from_db()
        push_video(video)
    return bool(requeued)


def videos_take_over_lapsed(*, max_attempts: int) -> tuple[int, int]:
    """Requeue videos whose processing run died (its lease lapsed) for a live worker; fail and
    refund those whose runs have died `max_attempts` times. Returns (requeued, failed). Safe to run
    from several places at once: each video is cleared by one filtered UPDATE, won by one sweep."""
    requeued = failed = 0
    for video in lapsed_videos():
        with transaction.atomic():
            crashes = lease_clear_lapsed(video)
            if crashes is None:
                continue
            if _take_over(video, crashes=crashes, max_attempts=max_attempts):
                requeued += 1
            else:
                failed += 1
    return requeued, failed


def video_take_over_lost_run(*, video_id: int, task_id: str, process: str, max_attempts: int) -> bool:
    """The worker saw `process`, running task `task_id` on the video, die: requeue the video ahead of
    new work now rather than after its lease lapses (or fail and refund it, out of attempts).
    False when that run held no lease any more (it had finished, or been taken over)."""
    with transaction.atomic():
        crashes = lease_clear_lost(video_id=video_id, task_id=task_id, process=process)
        if crashes is None:
            return False
        video = Video.objects.select_related("owner").get(pk=video_id)
        _take_over(video, crashes=crashes, max_attempts=max_attempts)
    return True


def _take_over(video: Video, *, crashes: int, max_attempts: int) -> bool:
    """A dead run's lease was just cleared (in this transaction): requeue the video, ahead of new
    work, or fail and refund it after `max_attempts` dead runs. True when requeued."""
    if crashes >= max_attempts:
        video_fail(video, code="crashed", message=CRASHED_MESSAGE)
        return False
    logger.warning("video %s: its processing run died (%s of %s); requeued", video.pk, crashes, max_attempts)
    # A long video's run gets the time its length needs at once (known once it was probed).
    video_enqueue(video=video, resumed=True, run_seconds=run_seconds_needed(video) if video.duration else None)
    video.refresh_from_db()
    push_video(video)  # the page shows it queued again, resuming, rather than frozen at a stage
    return True


def video_delete(*, video: Video) -> None:
    """Delete a video, its unfinished upload, its stored files and every row derived from it."""
    upload = Upload.objects.filter(video=video, status=Upload.Status.ACTIVE).first()
    if upload is not None:
        upload_abort(upload=upload)
    video_cancel(video=video)  # stops a running task and refunds its hold
    files = (
        video.storage_key,
        video.playable_key,
        video.small_key,
        video.poster_key,
        video.sprite_key,
        video.subtitle_key,
    )
    keys = [key for key in files if key]
    with transaction.atomic():
        version_will_be_deleted(video)  # its stack's versions either side become neighbours (on commit)
        Video.objects.filter(pk=video.pk).delete()  # derived rows go by cascade
        transaction.on_commit(lambda: delete_stored_files(keys))


def video_reembed(*, video: Video) -> bool:
    """Compute a ready upload's clip embeddings again (with the backend configured now), e.g. after
    switching backends. The old rows stay until the new set replaces them in one transaction."""
    if video.status != Video.Status.READY or video.source != Video.Source.UPLOAD:
        return False
    REEMBED_VIDEO.delay_on_commit(video.pk)
    return True


def video_set_subtitles(*, video: Video, data: bytes, filename: str) -> None:
    """Keep a subtitle file (.srt/.vtt) for the transcript step. Checked before it is stored; only
    until the transcript is made (after that it would be silently ignored, so it is refused)."""
    if video.source != Video.Source.UPLOAD:
        raise SubtitlesRefused("YouTube videos get their transcript from YouTube's captions.")
    if Transcript.objects.filter(video=video).exists() or video.status in (
        Video.Status.READY,
        Video.Status.FAILED,
        Video.Status.CANCELLED,
    ):
        raise SubtitlesRefused("This video's transcript has already been made; subtitles can only be sent before.")
    try:
        validate_subtitle_file(data, filename)
    except TranscriptError as exc:
        # The file itself is at fault (unreadable, empty, not .srt/.vtt): the sender is told why.
        raise SubtitlesInvalid(exc.message, field="file") from exc
    extension = PurePath(filename).suffix.lower()
    old_key = video.subtitle_key
    key = default_storage.save(f"videos/{video.pk}/subtitles{extension}", ContentFile(data))
    Video.objects.filter(pk=video.pk).update(subtitle_key=key)
    video.subtitle_key = key
    if old_key and old_key != key:
        delete_stored_files([old_key])


class SubtitlesRefused(Conflict):
    """Subtitles cannot be sent for this video now (a YouTube video, or its transcript is made)."""


class SubtitlesInvalid(FieldInvalid):
    """The subtitle file cannot be used; `reason` says why."""
