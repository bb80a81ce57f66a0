"""A worker killed with SIGKILL mid-pipeline, with real worker processes: the reaper requeues the
video (a fresh worker finishes it, charging once) or, out of attempts, fails it and refunds."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psutil
import pytest
import redis
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from billing.models import Hold, LedgerEntry, Wallet
from billing.services import ledger_grant
from tests import servers
from tests.factories import empty_wallet_user
from tests.media import make_video
from videos.models import Video
from videos.services import video_enqueue, videos_reap_stalled

pytestmark = pytest.mark.worker

T = TypeVar("T")

GRANT = 500
STALL = dt.timedelta(seconds=1)


@pytest.fixture(scope="module")
def lecture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Not a whole number of seconds, so "charged ceil(duration)" is a real rounding.
    return make_video(tmp_path_factory.mktemp("crash") / "lecture.mp4", seconds=20.4)


def _wait_until(check: Callable[[], T], what: str, video: Video, timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            video.refresh_from_db()
            raise TimeoutError(
                f"no {what} within {timeout:.0f}s; the video is {video.status} at stage {video.stage!r} "
                f"({video.error_message or 'no error'})"
            )
        time.sleep(0.02)
    return result


def _queued_video(user: User, source: Path) -> Video:
    """An uploaded video as `upload_complete` leaves it: its file in storage, waiting for a worker."""
    video = Video.objects.create(owner=user, title="Lecture", status=Video.Status.QUEUED)
    with source.open("rb") as data:
        key = default_storage.save(f"videos/{video.pk}/original.mp4", File(data))
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=source.stat().st_size)
    video.refresh_from_db()
    return video


def _holds_of(video: Video):
    return Hold.objects.filter(ref_type="video", ref_id=str(video.pk))


def _backend_waiting_for_my_lock() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid)) LIMIT 1"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def _kill_mid_pipeline(worker: subprocess.Popen[bytes], video: Video) -> None:
    """SIGKILL the worker processing `video` once its probe is done and its hold taken.

    From the end of the probe the test holds the video's row lock, so the worker's next write to
    the row (a stage's progress, or settling and marking it ready) waits: the kill lands before the
    pipeline can finish, however fast its remaining stages are.
    """
    _wait_until(lambda: Video.objects.filter(pk=video.pk, duration__isnull=False).exists(), "probe", video)
    with transaction.atomic():
        Video.objects.select_for_update().get(pk=video.pk)
        _wait_until(lambda: _holds_of(video).filter(status=Hold.Status.OPEN).exists(), "open hold", video)
        waiting_backend = _wait_until(_backend_waiting_for_my_lock, "worker waiting for the video's row", video)
        assert waiting_backend is not None
        # With `--pool solo` the task runs in this very process; anything it started dies with it,
        # as when a machine goes down.
        children = psutil.Process(worker.pid).children(recursive=True)
        worker.kill()
        worker.wait(10)
        for child in children:
            child.kill()
    # Postgres ends the dead worker's session when it notices; wait for that, so no statement of
    # the killed run can land after this point.
    _wait_until(lambda: not _backend_alive(waiting_backend), "end of the killed worker's session", video)


def _forget_unacked_delivery(task_id: str) -> None:
    """Late acknowledgement keeps the killed run's message in Redis, to be redelivered after the
    broker's visibility timeout (an hour). Drop it, so it cannot reach a later test run's worker
    (whose database may have another video with this id)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        for tag, message in client.hscan_iter("unacked"):
            if task_id.encode() in message:
                client.zrem("unacked_index", tag)
                client.hdel("unacked", tag)
    finally:
        client.close()


def _start_processing(user: User, lecture: Path) -> Video:
    video = _queued_video(user, lecture)
    with transaction.atomic():
        video_enqueue(video=video)
    return video


def _crash_while_processing(user: User, lecture: Path) -> Video:
    with servers.celery_worker() as worker:
        video = _start_processing(user, lecture)
        _kill_mid_pipeline(worker, video)
    video.refresh_from_db()
    _forget_unacked_delivery(video.task_id)
    return video


def _balance(user: User) -> int:
    return Wallet.objects.get(user=user).balance


def _ledger_of(video: Video):
    return LedgerEntry.objects.filter(ref_type="video", ref_id=str(video.pk))


def _assert_stuck_in_processing(video: Video) -> None:
    assert video.status == Video.Status.PROCESSING
    assert video.attempts == 1
    assert _holds_of(video).get().status == Hold.Status.OPEN


def test_a_video_whose_worker_was_killed_is_requeued_by_the_reaper_and_charged_once(
    transactional_db, lecture: Path
) -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=GRANT, key="grant:crash", memo="test")

    video = _crash_while_processing(user, lecture)
    _assert_stuck_in_processing(video)
    # The reaper leaves alone processing that may still be alive…
    assert videos_reap_stalled(stalled_for=dt.timedelta(minutes=5), max_attempts=3) == (0, 0)
    time.sleep(max(0.0, (video.updated_at + STALL - timezone.now()).total_seconds()) + 0.1)

    # …and requeues what has been silent for longer than the stall time, for a fresh worker.
    with servers.celery_worker():
        assert videos_reap_stalled(stalled_for=STALL, max_attempts=3) == (1, 0)
        _wait_until(
            lambda: Video.objects.filter(pk=video.pk, status__in=(Video.Status.READY, Video.Status.FAILED)).exists(),
            "end of processing",
            video,
            timeout=90,
        )

    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    assert video.attempts == 2  # the killed run and the one after the requeue
    cost = math.ceil(video.duration or 0)
    assert cost == 21
    hold = _holds_of(video).get()  # the rerun reused the killed run's hold instead of taking another
    assert (hold.status, hold.amount, hold.settled_amount) == (Hold.Status.SETTLED, cost, cost)
    ledger = _ledger_of(video)
    assert sorted(ledger.values_list("kind", flat=True)) == [LedgerEntry.Kind.HOLD, LedgerEntry.Kind.SETTLE]
    assert ledger.aggregate(total=Sum("amount"))["total"] == -cost
    assert _balance(user) == GRANT - cost
    assert not Hold.objects.filter(wallet__user=user, status=Hold.Status.OPEN).exists()


def test_a_video_out_of_attempts_is_failed_by_the_reaper_and_refunded(transactional_db, lecture: Path) -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=GRANT, key="grant:crash", memo="test")

    video = _crash_while_processing(user, lecture)
    _assert_stuck_in_processing(video)
    assert _balance(user) == GRANT - math.ceil(video.duration or 0)  # held while it was processing
    time.sleep(max(0.0, (video.updated_at + STALL - timezone.now()).total_seconds()) + 0.1)

    assert videos_reap_stalled(stalled_for=STALL, max_attempts=1) == (0, 1)

    video.refresh_from_db()
    assert video.status == Video.Status.FAILED
    assert video.error_code == "stalled"
    assert "refunded" in video.error_message
    assert _balance(user) == GRANT
    assert _holds_of(video).get().status == Hold.Status.RELEASED
    ledger = _ledger_of(video)
    assert sorted(ledger.values_list("kind", flat=True)) == [LedgerEntry.Kind.HOLD, LedgerEntry.Kind.RELEASE]
    assert ledger.aggregate(total=Sum("amount"))["total"] == 0
