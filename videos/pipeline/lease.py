"""The processing lease: one run at a time per video, and a dead run noticed in seconds.

A run takes the video's lease (a token of its own and an expiry) with one filtered UPDATE whose row
count says who won, and a heartbeat thread pushes the expiry forward while the run works. So:

- a stale or redelivered message, or a second worker handed the same video, finds the lease held
  and stops without touching the video;
- a run whose worker died (SIGKILL, a machine gone, the hard time limit) stops renewing, its lease
  lapses, and `videos_take_over_lapsed` (beat every 30 s, and whenever a worker starts) requeues the
  video for a live worker — or, after VIDEO_MAX_ATTEMPTS dead runs, fails it and refunds its hold;
- a run whose pool process alone died is taken over at once by the worker that saw it die
  (`video_take_over_lost_run`), which knows the run's process (`lease_process`) is gone;
- a run that lost its lease (paused past its expiry, then taken over) sees so at its next check
  between or inside steps and stops quietly, leaving the video to the run that holds it.

Expiries are computed and compared on the database's clock (`Now()`), so workers whose clocks
disagree still agree on whose lease has lapsed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    PositiveSmallIntegerField,
    Q,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Now

from videos.models import Video

logger = logging.getLogger(__name__)

RUNNABLE = (Video.Status.QUEUED, Video.Status.PROCESSING)

# Processing with no lease at all (claimed by code from before leases) is taken to be dead after
# this long without a sign of life, as the old stall reaper did.
UNLEASED_STALL = dt.timedelta(minutes=20)


class Taken(Enum):
    TAKEN = "taken"
    HELD = "held"  # another run holds the lease and is alive
    NOT_RUNNABLE = "not_runnable"  # deleted, ready, failed or cancelled: nothing to do


def _expiry() -> ExpressionWrapper[CombinedExpression]:
    return ExpressionWrapper(
        Now() + Value(dt.timedelta(seconds=settings.VIDEO_LEASE_SECONDS)), output_field=DateTimeField()
    )


def _free_or_lapsed() -> Q:
    return Q(lease_owner="") | Q(lease_expires_at__lt=Now())


def new_lease_owner() -> str:
    return uuid.uuid4().hex


def process_name(pid: int | None = None) -> str:
    """ "host:pid" of a process on this machine (this one by default), as `Video.lease_process` holds it."""
    return f"{socket.gethostname()}:{pid if pid is not None else os.getpid()}"


def lease_take(*, video_id: int, owner: str, task_id: str) -> Taken:
    """Start a run: the video becomes PROCESSING under `owner`'s lease, if it is runnable and its
    lease is free or lapsed. Taking a lapsed lease counts the run that let it lapse as a crash."""
    taken = (
        Video.objects.filter(pk=video_id, status__in=RUNNABLE)
        .filter(_free_or_lapsed())
        .update(
            status=Video.Status.PROCESSING,
            task_id=task_id,
            attempts=F("attempts") + 1,
            crashes=Case(
                When(~Q(lease_owner=""), then=F("crashes") + 1),
                default=F("crashes"),
                output_field=PositiveSmallIntegerField(),
            ),
            lease_owner=owner,
            lease_expires_at=_expiry(),
            lease_process=process_name(),
        )
    )
    if taken:
        return Taken.TAKEN
    if Video.objects.filter(pk=video_id, status__in=RUNNABLE).exists():
        return Taken.HELD
    return Taken.NOT_RUNNABLE


def lease_renew(*, video_id: int, owner: str) -> bool:
    """Push the expiry forward; False when the lease is no longer ours (taken over, or the row is gone)."""
    return bool(Video.objects.filter(pk=video_id, lease_owner=owner).update(lease_expires_at=_expiry()))


def lease_release(*, video_id: int, owner: str) -> None:
    Video.objects.filter(pk=video_id, lease_owner=owner).update(lease_owner="", lease_expires_at=None, lease_process="")


def lease_seconds_left(video_id: int) -> float | None:
    """Seconds until the video's lease lapses (None without one), on the database's clock."""
    row = (
        Video.objects.filter(pk=video_id, lease_expires_at__isnull=False)
        .annotate(now=Now())
        .values_list("lease_expires_at", "now")
        .first()
    )
    if row is None or row[0] is None:
        return None
    return max(0.0, (row[0] - row[1]).total_seconds())


class Heartbeat:
    """Renews a run's lease every VIDEO_HEARTBEAT_SECONDS from a thread of its own (steps such as
    a Gemini call report no progress for minutes). It ends once a renewal finds the lease gone;
    the run itself notices that at its next cancel check (`steps.stop_if_cancelled`)."""

    def __init__(self, *, video_id: int, owner: str) -> None:
        self.video_id = video_id
        self.owner = owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-of-video-{video_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.VIDEO_HEARTBEAT_SECONDS):
                try:
                    renewed = lease_renew(video_id=self.video_id, owner=self.owner)
                except Exception:
                    # The database is unreachable for a moment: the next beat tries again, and the
                    # lease is long enough for a few misses.
                    logger.warning("could not renew the lease of video %s", self.video_id, exc_info=True)
                    connections.close_all()
                    continue
                if not renewed:
                    logger.warning(
                        "video %s: this run's lease was taken over; it stops at its next check", self.video_id
                    )
                    return
        finally:
            connections.close_all()  # this thread's own connection


@contextmanager
def heartbeat(*, video_id: int, owner: str) -> Iterator[Heartbeat]:
    """Keep the lease alive while the block runs; the lease is released when it ends.

    Inside a database transaction (tests run the pipeline inline in one) the lease row is invisible
    to any other connection, so no thread could renew it: the run then keeps the lease it took."""
    beat = Heartbeat(video_id=video_id, owner=owner)
    in_transaction = transaction.get_connection().in_atomic_block
    if not in_transaction:
        beat.start()
    try:
        yield beat
    finally:
        if not in_transaction:
            beat.stop()
        lease_release(video_id=video_id, owner=owner)


def lapsed_videos() -> list[Video]:
    """Videos whose run died: runnable, with a lease past its expiry (or, from before leases,
    processing with no lease and no sign of life for UNLEASED_STALL)."""
    lapsed = Q(lease_expires_at__lt=Now()) | Q(
        lease_owner="", status=Video.Status.PROCESSING, updated_at__lt=Now() - Value(UNLEASED_STALL)
    )
    return list(Video.objects.filter(lapsed, status__in=RUNNABLE).select_related("owner"))


def lease_clear_lapsed(video: Video) -> int | None:
    """Take a dead run's lapsed lease off the video, queued again; returns its crash count, or None
    when another sweep, a new run or a cancel got there first."""
    unleased_cutoff = Now() - Value(UNLEASED_STALL)
    still_lapsed = (
        Q(lease_owner=video.lease_owner, lease_expires_at__lt=Now())
        if video.lease_owner
        else Q(lease_owner="", status=Video.Status.PROCESSING, updated_at__lt=unleased_cutoff)
    )
    return _clear_dead_run(video.pk, still_lapsed)


def lease_clear_lost(*, video_id: int, task_id: str, process: str) -> int | None:
    """Take the lease off the video whose run, started by task `task_id` in `process`, is known dead
    (its worker saw that process exit), queued again; returns its crash count, or None when that
    run no longer holds the lease (it finished, or was taken over already).

    Both must match: a message handed out twice (a broker connection lost) can run in two places
    under one task id, and a process id is reused only once its process is gone."""
    with transaction.atomic():
        # The dead run's database session may hold the row until Postgres sees it is gone (a session
        # waiting on a lock sees that only once it has the lock): wait a little, not forever.
        with transaction.get_connection().cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        return _clear_dead_run(video_id, Q(task_id=task_id, lease_process=process) & ~Q(lease_owner=""))


def _clear_dead_run(video_id: int, held_by_the_dead_run: Q) -> int | None:
    cleared = Video.objects.filter(held_by_the_dead_run, pk=video_id, status__in=RUNNABLE).update(
        status=Video.Status.QUEUED,
        lease_owner="",
        lease_expires_at=None,
        lease_process="",
        crashes=F("crashes") + 1,
    )
    if not cleared:
        return None
    return int(Video.objects.filter(pk=video_id).values_list("crashes", flat=True).get())
