"""Recut jobs: a stem laid to a comparison's v1 taken in, paid for, recut to v2 by a worker, null
tested, and handed back.

Asking (`recut_job_create`) checks the file first (videos.conform.wav: nothing is stored or charged
for a file the recut cannot take), then in one transaction makes the row, holds the tokens and stores
the file; the task is queued once that commits. The worker's run (`recut_job_run`) claims the job
with a filtered update, so a redelivered message does nothing; it recuts, stores the result, null
tests it, settles the hold; any failure marks the job failed with its reason and releases the hold
in full. Progress goes out on the comparison's group (`push_recut`).

Price: a token per started minute of the upload (a 90-minute stem is 90 tokens). The recut runs
hundreds of times faster than real time, so it is priced by the sound's length, as everything
paid is here, at a sixtieth of processing video's token a second.
"""

from __future__ import annotations

import contextlib
import logging
import math
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import timedelta
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from billing.holds import hold_create, hold_release, hold_settle
from billing.models import Hold
from sage.errors import ApplicationError
from sage.queueing import TaskRef
from sage.realtime import push_to_object
from videos.compare.timecode import video_rate, video_start_frame
from videos.conform.changes import change_list
from videos.conform.events import ChangeEvent
from videos.conform.null_test import decode_sound, null_test
from videos.conform.recut import RecutPlan, recut_blocks, recut_plan
from videos.conform.wav import SAMPLE_RATE, SoundInfo, SoundReader, sound_check, sound_writer
from videos.models import Comparison, RecutJob, Video
from videos.pipeline.files import local_copy

logger = logging.getLogger(__name__)

RUN_RECUT = TaskRef[[int]]("videos.tasks.recut_sound")
# A job still queued after this long lost its message: the sweep queues it again.
QUEUED_FOR_SECONDS = 15 * 60
SECONDS_PER_TOKEN = 60
# A frame of v1 more than its length is accepted: a DAW's bounce often ends on the frame after.
TOLERANCE_FRAMES = 1
# Progress is written and pushed at most this often (in percent).
_PERCENT_STEP = 2


def recut_price(info: SoundInfo) -> int:
    """Tokens for the sound laid to v1 (a leader before v1's first frame is not charged)."""
    return max(1, math.ceil((info.frames - max(0, info.lead)) / SAMPLE_RATE / SECONDS_PER_TOKEN))


def start_timecode_of(video: Video) -> str:
    """The timecode of the video's first frame: its file's own, else 01:00:00:00 (the change list's)."""
    return video_rate(video).timecode(video_start_frame(video))


def start_reference(video: Video) -> int:
    """Where the video's first frame is in a Broadcast WAV's terms: samples since midnight at 48 kHz,
    its start timecode's frame at its own rate (drop-frame counted as such)."""
    return round(Fraction(video_start_frame(video)) / video_rate(video).fps * SAMPLE_RATE)


def recut_longest(comparison: Comparison) -> Fraction:
    """The longest upload v1 takes: its length and a frame."""
    video = comparison.video_a
    rate = video.timebase.rate
    return Fraction(video.duration or 0).limit_denominator(1_000_000) + TOLERANCE_FRAMES / rate


def recut_job_create(*, user: User, comparison: Comparison, upload: Path, file_name: str, stem: str) -> RecutJob:
    """Check the sound file at `upload` (a temporary file the caller removes), then keep it, hold its
    price and queue its recut. SoundRefused for a file the recut cannot take, InsufficientTokens when
    the workspace cannot pay: in both cases nothing is kept and nothing charged."""
    recut_events(comparison)  # refused before anything else when there is no change list to recut by
    info = sound_check(
        upload,
        longest=recut_longest(comparison),
        v1_reference=start_reference(comparison.video_a),
        name=f"“{file_name}”",
    )
    # Stored first, outside the transaction: copying gigabytes to S3 must not hold the wallet's lock
    # (the hold's) or a connection. A refusal below removes it again: nothing is left behind.
    with upload.open("rb") as source:
        source_key = default_storage.save(
            f"recuts/{comparison.workspace_id}/{uuid.uuid4().hex}/upload.wav", File(source)
        )
    try:
        with transaction.atomic():
            job = RecutJob.objects.create(
                owner=user,
                workspace_id=comparison.workspace_id,
                comparison=comparison,
                stem=stem[:60],
                file_name=file_name[:255],
                source_key=source_key,
                channels=info.channels,
                sample_format=info.sample_format,
                frames=info.frames,
                lead=info.lead,
            )
            job.hold = hold_create(
                user=user,
                amount=recut_price(info),
                key=f"recut:{job.pk}",
                ref=job,
                memo=f"Recut of “{file_name}” to {comparison.video_b.label}"[:200],
                workspace_id=comparison.workspace_id,
                about_video_id=comparison.video_b_id,
            )
            job.save(update_fields=["hold"])
            push_recut(job)
            RUN_RECUT.delay_on_commit(job.pk)
    except BaseException:
        default_storage.delete(source_key)
        raise
    return job


def recut_job_run(job_id: int) -> str:
    """The worker's part; returns the job's status. Idempotent: only a queued job is taken (the
    filtered update's row count says whether this run won it); a ready or failed one is left."""
    if not RecutJob.objects.filter(pk=job_id, status=RecutJob.Status.QUEUED).update(
        status=RecutJob.Status.RUNNING, updated_at=timezone.now()
    ):
        job = RecutJob.objects.filter(pk=job_id).first()
        return "gone" if job is None else job.status
    job = RecutJob.objects.select_related("comparison__video_a", "comparison__video_b", "hold").get(pk=job_id)
    try:
        _recut(job)
    except Exception as error:  # every failure is the job's: said on it, and refunded in full
        logger.exception("recut %s failed", job_id)
        reason = error.message if isinstance(error, ApplicationError) else "The recut failed."
        _fail(job, f"{reason} Your tokens were returned.")
    return job.status


def _fail(job: RecutJob, message: str) -> None:
    """The job failed: said on it, its hold released (refunded in full, once however often)."""
    with transaction.atomic():
        RecutJob.objects.filter(pk=job.pk).update(
            status=RecutJob.Status.FAILED, error_message=message[:500], updated_at=timezone.now()
        )
        hold = Hold.objects.filter(pk=job.hold_id).first() if job.hold_id is not None else None
        if hold is not None:
            hold_release(hold=hold)
        job.status, job.error_message = RecutJob.Status.FAILED, message[:500]
        push_recut(job)


def recut_jobs_sweep() -> tuple[int, int]:
    """Beat's look at jobs a worker lost: a job queued for a while is queued again (a lost message;
    a second run of a live one does nothing), one running past the task's hard time limit with no
    sign of life is failed and refunded (its worker died). Returns (queued again, failed)."""
    now = timezone.now()
    lost = list(
        RecutJob.objects.filter(
            status=RecutJob.Status.QUEUED, updated_at__lt=now - timedelta(seconds=QUEUED_FOR_SECONDS)
        ).values_list("pk", flat=True)
    )
    for job_id in lost:
        RecutJob.objects.filter(pk=job_id).update(updated_at=now)
        RUN_RECUT.delay_on_commit(job_id)
    dead_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    failed = 0
    for job in RecutJob.objects.filter(status=RecutJob.Status.RUNNING, updated_at__lt=dead_before):
        # Claimed by a filtered update: a run finishing now, or another sweep, wins or loses cleanly.
        if RecutJob.objects.filter(pk=job.pk, status=RecutJob.Status.RUNNING, updated_at__lt=dead_before).update(
            updated_at=now
        ):
            _fail(job, "The recut stopped (its worker was lost). Your tokens were returned.")
            failed += 1
    return len(lost), failed


def _recut(job: RecutJob) -> None:
    comparison = job.comparison
    events = recut_events(comparison)
    plan = recut_plan(events)
    start_timecode = start_timecode_of(comparison.video_b)
    time_reference = start_reference(comparison.video_b)
    info = SoundInfo(
        frames=job.frames, channels=job.channels, sample_format=job.sample_format, container="WAV", lead=job.lead
    )
    reported = [0]

    def on_progress(fraction: float) -> None:
        percent = min(95, int(fraction * 95))
        if percent >= reported[0] + _PERCENT_STEP:
            reported[0] = percent
            RecutJob.objects.filter(pk=job.pk).update(percent=percent, updated_at=timezone.now())
            job.percent = percent
            push_recut(job)

    with tempfile.TemporaryDirectory(prefix="sage-recut-") as directory:
        result = Path(directory) / "recut.wav"
        with _stored_file(job.source_key, Path(directory) / "upload.wav") as source, SoundReader(
            source, info
        ) as reader, sound_writer(
            result,
            channels=job.channels,
            sample_format=job.sample_format,
            time_reference=time_reference,
            description=f"{job.stem}: {comparison.title} conformed to v2"[:255],
            made_at=timezone.localtime(),
        ) as writer:  # fmt: skip
            for block in recut_blocks(plan, reader, on_progress=on_progress):
                writer.write(block)
        with result.open("rb") as stored:
            result_key = default_storage.save(str(PurePosixPath(job.source_key).parent / job.result_name), File(stored))
    residuals, note = _null_test(comparison, plan)
    with transaction.atomic():
        job.status, job.percent, job.result_key = RecutJob.Status.READY, 100, result_key
        job.time_reference, job.start_timecode = time_reference, start_timecode
        job.silences = [_silence(piece_number, start, end, kind) for piece_number, start, end, kind in _silent(plan)]
        job.null_test, job.null_test_note = residuals, note
        job.save()
        if job.hold is not None:
            hold_settle(hold=job.hold, actual_amount=job.hold.amount)
        push_recut(job)


def recut_events(comparison: Comparison) -> list[ChangeEvent]:
    """The comparison's change list's events. ChangeListUnavailable (409) when it has none yet."""
    return list(change_list(comparison).events)


def _silent(plan: RecutPlan) -> Iterator[tuple[int, int, int, str]]:
    for piece in plan.silences:
        yield piece.number, piece.out_start, piece.out_end, piece.kind


def _silence(number: int, start: int, end: int, kind: str) -> dict[str, Any]:
    return {"number": number, "kind": kind, "v2_start": start / SAMPLE_RATE, "v2_end": end / SAMPLE_RATE}


def _null_test(comparison: Comparison, plan: RecutPlan) -> tuple[list[dict[str, Any]], str]:
    """The null test's rows, or none and why. Its own failure is reported, never the job's."""
    video_a, video_b = comparison.video_a, comparison.video_b
    if video_a.has_audio is False or video_b.has_audio is False:
        return [], "A video has no sound to test against."
    try:
        with tempfile.TemporaryDirectory(prefix="sage-null-test-") as directory:
            sound_a, sound_b = Path(directory) / "a.wav", Path(directory) / "b.wav"
            with local_copy(video_a) as path:
                info_a = decode_sound(path, sound_a)
            with local_copy(video_b) as path:
                info_b = decode_sound(path, sound_b)
            with SoundReader(sound_a, info_a) as v1, SoundReader(sound_b, info_b) as v2:
                return [row.as_dict() for row in null_test(plan, v1, v2)], ""
    except Exception:
        logger.exception("null test of comparison %s failed", comparison.pk)
        return [], "The videos' sound could not be decoded for the null test."


@contextlib.contextmanager
def _stored_file(key: str, download_to: Path) -> Iterator[Path]:
    """A stored file as a local path: itself on local storage, a download from S3."""
    try:
        local: Path | None = Path(default_storage.path(key))
    except NotImplementedError:  # remote storage (S3) has no local path
        local = None
    if local is not None:
        yield local
        return
    with default_storage.open(key, "rb") as source, download_to.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
    yield download_to


@contextlib.contextmanager
def uploaded_file_path(upload: UploadedFile[Any]) -> Iterator[Path]:
    """The uploaded file on disk: Django's temporary file, or a copy of a small one held in memory."""
    temporary_path = getattr(upload, "temporary_file_path", None)
    if temporary_path is not None:
        yield Path(temporary_path())
        return
    with tempfile.NamedTemporaryFile(suffix=".wav") as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        yield Path(copy.name)


def recut_event(job: RecutJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "comparison": job.comparison_id,
        "stem": job.stem,
        "status": job.status,
        "percent": job.percent,
        "error_message": job.error_message,
    }


def push_recut(job: RecutJob) -> None:
    """The one place a recut's state goes out: to the comparison's watchers."""
    push_to_object("comparison", job.comparison_id, "recut", recut_event(job))
