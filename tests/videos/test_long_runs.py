"""A video longer than a processing run's time limit allows (a long ProRes master passed the worker's
30 minutes, failed, and failed again on every retry): its run probes it, queues it again with the
limit its length needs, and the next run finishes it, charged once.

The worker is a real prefork one (time limits are its pool's, and a solo pool has none), with its
default limit cut to a few seconds, so a clip of seconds stands in for a two-hour master (its length
needs a run of more than ten minutes, RUN_SECONDS_FLOOR): the first run takes the video and probes
it within that limit, then hands it on. The message it sends carries the longer limit Celery enforces
(checked on a takeover's message below).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.files.storage import default_storage
from kombu.utils.json import loads

from billing.ledger import ledger_grant
from billing.models import Wallet
from devtools import processes
from sage.synthetic_media import make_video
from tests.factories import VideoFactory, empty_wallet_user, uploaded_video
from videos.models import Video
from videos.pipeline import runner
from videos.pipeline.enqueue import RUN_SECONDS_FLOOR, run_seconds_needed
from videos.services import video_enqueue, videos_take_over_lapsed

GRANT = 100
# The worker's default soft limit here: well over taking a video and probing it (tenths of a second),
# on a busy machine too.
WORKER_LIMIT_SECONDS = 4


def _funded_upload(source: Path) -> Video:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=GRANT, key="grant:long-run", memo="test")
    return uploaded_video(user, source)


def _ended(video: Video, timeout: float = 120.0) -> Video:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        video.refresh_from_db()
        if video.status in (Video.Status.READY, Video.Status.FAILED):
            return video
        time.sleep(0.1)
    raise TimeoutError(f"video still {video.status} at stage {video.stage!r} after {timeout:.0f} s")


@pytest.mark.worker
def test_a_video_longer_than_the_workers_limit_is_queued_again_with_its_own_and_finished(
    transactional_db, tmp_path: Path
) -> None:
    video = _funded_upload(make_video(tmp_path / "master.mp4", seconds=6.4))

    with processes.celery_worker(concurrency=1, CELERY_TASK_SOFT_TIME_LIMIT=str(WORKER_LIMIT_SECONDS)):
        video_enqueue(video=video)
        video = _ended(video)

    assert video.status == Video.Status.READY, video.error_message
    # Two runs (the one that probed it and handed it on, the one that made it), and neither was
    # taken for a dead one.
    assert (video.attempts, video.crashes) == (2, 0)
    assert Wallet.objects.get(user=video.owner).balance == GRANT - math.ceil(video.duration or 0)


def test_a_run_is_given_time_by_the_videos_length_and_picture() -> None:
    clip = Video(duration=60.0, width=1920, height=1080)
    film = Video(duration=2 * 3600.0, width=1920, height=1080)
    film_4k = Video(duration=2 * 3600.0, width=3840, height=2160)
    small = Video(duration=2 * 3600.0, width=640, height=360)

    # a clip keeps the worker's default; a film gets hours, a 4K one four times the picture's share
    assert run_seconds_needed(clip) <= settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert run_seconds_needed(film) >= 4 * 2 * 3600
    assert run_seconds_needed(film_4k) - RUN_SECONDS_FLOOR == 4 * (run_seconds_needed(film) - RUN_SECONDS_FLOOR)
    # a smaller picture is no quicker to transcribe: never less than 1080p's
    assert run_seconds_needed(small) == run_seconds_needed(film)


def test_a_long_videos_dead_run_is_taken_over_by_a_run_with_its_own_limit(transactional_db, tmp_path: Path) -> None:
    video = _funded_upload(make_video(tmp_path / "master.mp4", seconds=1.0))
    # A two-hour master whose run died mid-way: probed, its lease lapsed.
    Video.objects.filter(pk=video.pk).update(
        status=Video.Status.PROCESSING,
        duration=2 * 3600.0,
        width=1920,
        height=1080,
        lease_owner="dead-run",
        lease_expires_at=video.created_at,
    )
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("media")
    from sage.celery import app

    eager, app.conf.task_always_eager = app.conf.task_always_eager, False  # the message, not a run
    try:
        videos_take_over_lapsed(max_attempts=settings.VIDEO_MAX_ATTEMPTS)
    finally:
        app.conf.task_always_eager = eager
    messages = [loads(raw) for raw in broker.lrange("media", 0, -1)]
    broker.delete("media")

    ours = [message for message in messages if message["headers"]["argsrepr"] == f"({video.pk},)"]
    assert len(ours) == 1
    soft, hard = ours[0]["headers"]["timelimit"][1], ours[0]["headers"]["timelimit"][0]
    assert soft == run_seconds_needed(Video.objects.get(pk=video.pk)) > settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert hard > soft


@pytest.mark.django_db
def test_a_long_video_on_s3_is_downloaded_once_though_its_first_run_hands_it_on(
    s3, s3_reads: list[str], tmp_path: Path
) -> None:
    source = make_video(tmp_path / "master.mp4", seconds=2.0)
    user = empty_wallet_user()
    ledger_grant(user=user, amount=GRANT, key="grant:long-run-s3", memo="test")
    with source.open("rb") as file:
        key = default_storage.save("videos/long/original.mp4", file)
    video = VideoFactory(owner=user, status=Video.Status.QUEUED, storage_key=key, size=source.stat().st_size)

    # The first run's limit is shorter than any video needs: it probes the master and hands it on.
    runner.process_video(video.pk, seconds_allowed=1)
    video.refresh_from_db()
    assert (video.status, video.duration) == (Video.Status.QUEUED, pytest.approx(2.0, abs=0.1))

    runner.process_video(video.pk, seconds_allowed=settings.CELERY_TASK_SOFT_TIME_LIMIT)
    video.refresh_from_db()

    assert video.status == Video.Status.READY, video.error_message
    # The second run started from the first run's download: the master came from S3 once.
    assert s3_reads.count(key) == 1
