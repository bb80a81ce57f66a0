"""One processing run: claim the video, run the steps in order, then settle — or fail and refund.

Money: the hold taken in `ensure_hold` is settled at ceil(duration) when the video is ready, and
released in full when it fails or is cancelled. Both are idempotent, so a run that is repeated
(a retry, a requeue after a crash, a redelivered task) charges once.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.models import Hold
from billing.services import hold_release, hold_settle
from videos.models import Video
from videos.pipeline.files import local_copy
from videos.pipeline.progress import push_video
from videos.pipeline.steps import StepFailed, ensure_hold, ensure_probed, ensure_thumbnails, tokens_for

logger = logging.getLogger(__name__)

_RUNNABLE = (Video.Status.QUEUED, Video.Status.PROCESSING)


class _Cancelled(Exception):
    pass


def process_video(video_id: int, *, task_id: str = "") -> None:
    # PROCESSING is claimable too: a run whose worker died is picked up again where it stopped.
    claimed = Video.objects.filter(pk=video_id, status__in=_RUNNABLE).update(
        status=Video.Status.PROCESSING, task_id=task_id, attempts=F("attempts") + 1
    )
    if not claimed:
        return  # deleted, cancelled, ready or failed: nothing to do
    video = Video.objects.select_related("owner", "hold").get(pk=video_id)
    push_video(video)
    try:
        with local_copy(video) as path:
            ensure_probed(video, path)
            _stop_if_cancelled(video)
            ensure_hold(video)
            _stop_if_cancelled(video)
            ensure_thumbnails(video, path)
            _stop_if_cancelled(video)
    except _Cancelled:
        return  # cancelling released the hold already
    except StepFailed as exc:
        video_fail(video, code=exc.code, message=exc.message)
        return
    except Exception:
        logger.exception("processing video %s failed unexpectedly", video_id)
        video_fail(video, code="internal", message="Something went wrong on our side while processing this video.")
        return
    _finish(video)


def _stop_if_cancelled(video: Video) -> None:
    if Video.objects.filter(pk=video.pk, status=Video.Status.PROCESSING).exists():
        return
    raise _Cancelled


def _finish(video: Video) -> None:
    # Settling and marking ready happen together under the video's row lock: a cancel waits for
    # them (and then finds nothing to cancel), and a crash leaves neither done, so the rerun
    # settles the same hold once.
    with transaction.atomic():
        locked = Video.objects.select_for_update().filter(pk=video.pk, status=Video.Status.PROCESSING).first()
        if locked is None:
            return  # cancelled at the last moment: the cancel released the hold
        if video.hold is not None:
            hold_settle(hold=video.hold, actual_amount=min(tokens_for(video), video.hold.amount))
        Video.objects.filter(pk=video.pk).update(
            status=Video.Status.READY, stage="", percent=100, ready_at=timezone.now(), task_id=""
        )
    video.refresh_from_db()
    push_video(video)


def video_fail(video: Video, *, code: str, message: str) -> None:
    """Mark the video failed with a message a person understands, and refund its hold."""
    Video.objects.filter(pk=video.pk, status__in=_RUNNABLE).update(
        status=Video.Status.FAILED, error_code=code, error_message=message[:500], task_id=""
    )
    release_hold_of(video)
    video.refresh_from_db()
    push_video(video)


def release_hold_of(video: Video) -> None:
    hold = Hold.objects.filter(pk=video.hold_id).first() if video.hold_id else None
    if hold is not None:
        hold_release(hold=hold)
