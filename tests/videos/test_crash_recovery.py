"""A whole worker killed with SIGKILL mid-step (its main process and anything it started), with
real worker processes: a new worker takes the video over within seconds and finishes it, charging
once; a video whose runs die three times fails and is refunded in full (the first run killed
mid-step, the runs that take it over killed while they wait to settle its hold: a run taken over
late in the pipeline may have too little left to do to be caught mid-step).

The workers run with a 3 s lease renewed every second (production: 40 s and 10 s), so the test
waits for seconds where production waits for tens of seconds.

A video whose run died is resumed ahead of new uploads waiting on the queue, whether the takeover
sweep found its lease lapsed or its worker saw its pool process die; in the second case at once,
with production's lease, well before it could lapse.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import psutil
import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from billing.ledger import ledger_grant
from billing.models import Hold, LedgerEntry, Wallet
from devtools import processes
from sage.synthetic_media import make_video
from tests.factories import empty_wallet_user, uploaded_video
from videos.models import Video
from videos.services import video_enqueue, videos_take_over_lapsed
from videos.tasks import process_video

pytestmark = pytest.mark.worker

T = TypeVar("T")

GRANT = 500
RESUME_WITHIN = 60.0  # seconds from a new worker's start to the video taken over and finished


@pytest.fixture(scope="module")
def lecture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Not a whole number of seconds, so "charged ceil(duration)" is a real rounding.
    return make_video(tmp_path_factory.mktemp("crash") / "lecture.mp4", seconds=6.4)


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


def _holds_of(video: Video) -> QuerySet[Hold]:
    return Hold.objects.filter(ref_type="video", ref_id=str(video.pk))


def _ledger_of(video: Video) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(ref_type="video", ref_id=str(video.pk))


def _balance(user: User) -> int:
    return Wallet.objects.get(user=user).balance


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


def _backend_gone(pid: int) -> bool:
    return not _backend_alive(pid)


def _kill_mid_step(worker: subprocess.Popen[bytes], video: Video, *, earlier_runs: set[str]) -> str:
    """SIGKILL the whole worker (its main process and its pool's process running the task) while a
    new run of `video` is inside a step, its tokens held. Returns the killed run's lease token.
    (The prefork pool, as the Procfile runs: its main process answers the test's ping while the
    task runs, which `--pool solo` cannot, so the test sees a taken-over run start.)

    The test takes the video's row lock once the run is under way, so the run's next write to the
    row (a stage's progress, its heartbeat, or settling and marking it ready) waits: the kill lands
    before the pipeline can finish, however fast its remaining steps are."""
    in_step = Video.objects.filter(pk=video.pk, status=Video.Status.PROCESSING, duration__isnull=False).exclude(
        lease_owner__in={"", *earlier_runs}
    )
    _wait_until(in_step.exists, "new run inside a step", video)
    with transaction.atomic():
        run = Video.objects.select_for_update().get(pk=video.pk)
        _wait_until(lambda: _holds_of(video).filter(status=Hold.Status.OPEN).exists(), "open hold", video)
        waiting_backend = _wait_until(_backend_waiting_for_my_lock, "worker waiting for the video's row", video)
        assert waiting_backend is not None
        children = psutil.Process(worker.pid).children(recursive=True)
        worker.kill()
        worker.wait(10)
        for child in children:
            child.kill()
    # Postgres ends the dead worker's session when it notices; wait for that, so no statement of
    # the killed run can land after this point.
    _wait_until(lambda: not _backend_alive(waiting_backend), "end of the killed worker's session", video)
    return run.lease_owner


def _kill_while_settling(worker: subprocess.Popen[bytes], video: Video, *, earlier_runs: set[str]) -> tuple[str, int]:
    """SIGKILL the whole worker once a new run of `video` (one taken over from a killed run) holds
    its lease and waits to settle its hold. The caller holds the owner's wallet row from before the
    worker starts, so the run cannot settle and finish, however little it has left to do (a run
    killed late in the pipeline may leave only the settling). Returns the killed run's lease token and
    its database session, which ends only once the wallet is let go (a session waiting on a lock does
    not notice its client is gone)."""
    taken_over = Video.objects.filter(pk=video.pk, status=Video.Status.PROCESSING).exclude(
        lease_owner__in={"", *earlier_runs}
    )
    _wait_until(taken_over.exists, "run taking the video over", video)
    waiting_backend = _wait_until(_backend_waiting_for_my_lock, "run waiting to settle", video)
    assert waiting_backend is not None
    run = Video.objects.get(pk=video.pk)  # the run's lease, as it stands while it waits
    children = psutil.Process(worker.pid).children(recursive=True)
    worker.kill()
    worker.wait(10)
    for child in children:
        child.kill()
    return run.lease_owner, waiting_backend


def _forget_unacked_deliveries(task_ids: set[str]) -> None:
    """Late acknowledgement keeps a killed worker's messages in Redis (its run and the takeover
    sweep it had scheduled), to be handed out again after the visibility timeout. Drop them, so
    they cannot reach a later test run's worker (whose database may hold another video with this id)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    markers = [task_id.encode() for task_id in task_ids if task_id] + [b"videos.tasks.take_over_lapsed_videos"]
    try:
        for tag, message in client.hscan_iter("unacked"):
            if any(marker in message for marker in markers):
                client.zrem("unacked_index", tag)
                client.hdel("unacked", tag)
    finally:
        client.close()


def _crash(user: User, lecture: Path, *, times: int) -> tuple[Video, set[str]]:
    """Start processing a video and kill the worker running it `times` times (each new worker
    takes it over from the last). Returns the video and the killed runs' task ids."""
    video = uploaded_video(user, lecture, title="Lecture")
    runs: set[str] = set()
    task_ids: set[str] = set()
    for attempt in range(times):
        if attempt == 0:
            with processes.celery_worker(concurrency=1, VIDEO_LEASE_SECONDS="3", VIDEO_HEARTBEAT_SECONDS="1") as worker:
                with transaction.atomic():
                    video_enqueue(video=video)
                runs.add(_kill_mid_step(worker, video, earlier_runs=runs))
        else:
            with transaction.atomic():
                # Taken before the worker starts and held until it is dead: the run cannot settle.
                Wallet.objects.select_for_update().get(user=user)
                with processes.celery_worker(
                    concurrency=1, VIDEO_LEASE_SECONDS="3", VIDEO_HEARTBEAT_SECONDS="1"
                ) as worker:
                    lease_owner, session = _kill_while_settling(worker, video, earlier_runs=runs)
            runs.add(lease_owner)
            _wait_until(partial(_backend_gone, session), "end of the killed worker's session", video)
        video.refresh_from_db()
        task_ids.add(video.task_id)
        assert video.status == Video.Status.PROCESSING and video.lease_owner in runs  # frozen until taken over
    return video, task_ids


def _wait_for_the_end(video: Video) -> float:
    """Start a fresh worker and wait for the video to be ready or failed; returns the seconds from
    the worker's launch (its start-up included) to the end."""
    started = time.monotonic()
    with processes.celery_worker(concurrency=1, VIDEO_LEASE_SECONDS="3", VIDEO_HEARTBEAT_SECONDS="1"):
        _wait_until(
            lambda: Video.objects.filter(pk=video.pk, status__in=(Video.Status.READY, Video.Status.FAILED)).exists(),
            "end of processing",
            video,
            timeout=RESUME_WITHIN,
        )
        return time.monotonic() - started


def test_a_video_whose_whole_worker_was_killed_mid_step_is_finished_by_a_new_worker_and_charged_once(
    transactional_db, lecture: Path
) -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=GRANT, key="grant:crash", memo="test")
    video, task_ids = _crash(user, lecture, times=1)
    try:
        seconds = _wait_for_the_end(video)
    finally:
        _forget_unacked_deliveries(task_ids)

    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    print(f"taken over and finished {seconds:.1f} s after the new worker was launched")
    assert video.crashes == 1
    assert (video.lease_owner, video.lease_expires_at) == ("", None)
    cost = math.ceil(video.duration or 0)
    assert cost == 7
    hold = _holds_of(video).get()  # the new run reused the killed run's hold instead of taking another
    assert (hold.status, hold.amount, hold.settled_amount) == (Hold.Status.SETTLED, cost, cost)
    ledger = _ledger_of(video)
    assert sorted(ledger.values_list("kind", flat=True)) == [LedgerEntry.Kind.HOLD, LedgerEntry.Kind.SETTLE]
    assert ledger.aggregate(total=Sum("amount"))["total"] == -cost
    assert _balance(user) == GRANT - cost


def test_a_video_whose_worker_was_killed_three_times_fails_and_is_refunded_in_full(
    transactional_db, lecture: Path
) -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=GRANT, key="grant:crash", memo="test")
    video, task_ids = _crash(user, lecture, times=3)
    try:
        assert _balance(user) == GRANT - math.ceil(video.duration or 0)  # held while it was processed
        _wait_for_the_end(video)
    finally:
        _forget_unacked_deliveries(task_ids)

    video.refresh_from_db()
    assert (video.status, video.error_code, video.crashes) == (Video.Status.FAILED, "crashed", 3)
    assert "refunded" in video.error_message
    assert _balance(user) == GRANT
    assert _holds_of(video).get().status == Hold.Status.RELEASED
    ledger = _ledger_of(video)
    assert sorted(ledger.values_list("kind", flat=True)) == [LedgerEntry.Kind.HOLD, LedgerEntry.Kind.RELEASE]
    assert ledger.aggregate(total=Sum("amount"))["total"] == 0


# Production's lease (40 s, renewed every 10 s): a run taken over sooner was not rescued by its
# lease lapsing.
PRODUCTION_LEASE_SECONDS, PRODUCTION_HEARTBEAT_SECONDS = "40", "10"
# Seconds from a pool process's death to its video's new run: half the lease. Measured: the worker
# takes the video over ~30 ms after the death; the new run starts once the pool has forked a process
# in the dead one's place (~5 s on this two-core machine, busy with other work).
RESUMED_WITHIN = 20.0


def _funded_user(key: str) -> User:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=GRANT, key=key, memo="test")
    return user


def _send_now(video: Video) -> None:
    """Queue the video's processing now, as `video_enqueue` does once its transaction commits (the
    test's own transaction holds a wallet until later)."""
    process_video.delay(video.pk)


def _taken(video: Video, *, dead_runs: set[str]) -> bool:
    """Whether a live run has taken the video (not one of `dead_runs`, whose leases may stand)."""
    return (
        Video.objects.filter(pk=video.pk, status=Video.Status.PROCESSING)
        .exclude(lease_owner__in={"", *dead_runs})
        .exists()
    )


def _first_taken(videos: list[Video], *, dead_runs: set[str]) -> Video:
    taken = _wait_until(
        lambda: next((each for each in videos if _taken(each, dead_runs=dead_runs)), None),
        "run taking a video",
        videos[-1],
    )
    assert taken is not None
    return taken


def _end_of(videos: list[Video]) -> None:
    for video in videos:
        ready = Video.objects.filter(pk=video.pk, status=Video.Status.READY)
        _wait_until(ready.exists, "end of processing", video, timeout=120)


def test_a_video_taken_over_after_its_lease_lapsed_runs_before_a_new_upload_queued_earlier(
    transactional_db, lecture: Path
) -> None:
    # One pool process, kept busy by a video that waits to hold its tokens (the test holds its
    # owner's wallet) while a new upload is queued and then a lapsed video is taken over: when the
    # process is free, the taken-over video is next, though the upload was queued first.
    busy_owner, owner = _funded_user("grant:busy"), _funded_user("grant:owner")
    busy, upload, crashed = (uploaded_video(user, lecture, title="Lecture") for user in (busy_owner, owner, owner))
    task_ids: set[str] = set()
    try:
        with processes.celery_worker(
            concurrency=1,
            VIDEO_LEASE_SECONDS=PRODUCTION_LEASE_SECONDS,
            VIDEO_HEARTBEAT_SECONDS=PRODUCTION_HEARTBEAT_SECONDS,
        ):
            with transaction.atomic():
                Wallet.objects.select_for_update().get(user=busy_owner)
                _send_now(busy)
                _wait_until(_backend_waiting_for_my_lock, "run waiting to hold its tokens", busy)
                _send_now(upload)
                Video.objects.filter(pk=crashed.pk).update(
                    status=Video.Status.PROCESSING,
                    lease_owner="a-run-whose-worker-died",
                    lease_expires_at=timezone.now() - dt.timedelta(seconds=1),
                )
                assert videos_take_over_lapsed(max_attempts=3) == (1, 0)

            first = _first_taken([upload, crashed], dead_runs={"a-run-whose-worker-died"})
            assert first == crashed, "the new upload was taken before the video resumed after a crash"
            _end_of([busy, crashed, upload])
            task_ids |= set(Video.objects.values_list("task_id", flat=True))
    finally:
        _forget_unacked_deliveries(task_ids)


def test_a_video_whose_pool_process_died_resumes_at_once_and_before_a_new_upload(
    transactional_db, lecture: Path
) -> None:
    # The Procfile's prefork worker with one pool process. Its run of `video` waits to hold its
    # tokens (the test holds the wallet), a new upload is queued behind it, and the pool process is
    # killed: its worker takes the video over at once, ahead of the upload, well before the
    # production lease (40 s) could lapse.
    owner, uploader = _funded_user("grant:owner"), _funded_user("grant:uploader")
    video, upload = uploaded_video(owner, lecture, title="Lecture"), uploaded_video(uploader, lecture, title="Lecture")
    task_ids: set[str] = set()
    try:
        with processes.celery_worker(
            concurrency=1,
            VIDEO_LEASE_SECONDS=PRODUCTION_LEASE_SECONDS,
            VIDEO_HEARTBEAT_SECONDS=PRODUCTION_HEARTBEAT_SECONDS,
        ) as worker:
            with transaction.atomic():
                Wallet.objects.select_for_update().get(user=owner)
                _send_now(video)
                _wait_until(_backend_waiting_for_my_lock, "run waiting to hold its tokens", video)
                killed_run = Video.objects.get(pk=video.pk)
                task_ids.add(killed_run.task_id)
                _send_now(upload)
                [pool_process] = psutil.Process(worker.pid).children()
                pool_process.kill()
                died = time.monotonic()
            # The wallet is let go: the dead run's session ends, the resumed run may hold the tokens.

            first = _first_taken([upload, video], dead_runs={killed_run.lease_owner})
            resumed_after = time.monotonic() - died
            print(f"resumed {resumed_after:.1f} s after its pool process was killed")
            assert first == video, "the new upload was taken before the video whose pool process died"
            assert resumed_after < RESUMED_WITHIN
            _end_of([video, upload])
            task_ids |= set(Video.objects.values_list("task_id", flat=True))
    finally:
        _forget_unacked_deliveries(task_ids)

    video.refresh_from_db()
    assert video.crashes == 1
    cost = math.ceil(video.duration or 0)
    assert _ledger_of(video).aggregate(total=Sum("amount"))["total"] == -cost  # charged once
    assert _balance(owner) == GRANT - cost
