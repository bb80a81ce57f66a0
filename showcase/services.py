"""What `make run` and `manage.py sample` call: give the demo pair, make the shared sample. Each makes
its videos and queues the task that finishes the work once a worker has processed them, so these
entry points import the tasks and the tasks import nothing of this module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.db import transaction

from accounts.models import User
from showcase.demo import DEMO_TITLES, demo_videos_create
from showcase.sample import sample_extras_ensure, sample_owner_ensure
from showcase.tasks import build_demo_comparison, build_sample
from videos.compare.selectors import sample_comparison
from videos.models import Comparison, Video
from videos.services import video_delete

SampleState = Literal["ready", "processing", "started"]


@dataclass(frozen=True)
class SampleStatus:
    state: SampleState
    comparison: Comparison | None = None


def demo_pair_ensure(*, user: User, marker_file: Path) -> tuple[Video, Video] | None:
    """Give `user` the demo pair once: both videos generated, stored and queued for processing, and
    the comparison queued to follow when both are ready. None when it was given before — the marker
    file names the account (pk and sign-up time, so a new database's demo account gets a new pair)."""
    if marker_file.exists() and marker_file.read_text().strip() == _marker_for(user):
        return None
    if Video.objects.filter(owner=user, title__in=DEMO_TITLES).exists():
        _write_marker(marker_file, user)  # given before the marker existed (or the file was lost)
        return None
    original, edited = demo_videos_create(
        user=user, then=lambda original, edited: build_demo_comparison.delay(user.pk, original.pk, edited.pk)
    )
    _write_marker(marker_file, user)
    return original, edited


def sample_ensure() -> SampleStatus:
    """Make the shared sample once: "ready" when its comparison exists (notes and conversation
    included), "processing" while its videos are being processed (the comparison follows), "started"
    when this call generated and queued them. Idempotent; a failed attempt is thrown away and redone."""
    owner = sample_owner_ensure()
    comparison = sample_comparison()
    if comparison is not None:
        sample_extras_ensure(comparison=comparison)
        return SampleStatus("ready", comparison)
    videos = list(Video.objects.filter(owner=owner, title__in=DEMO_TITLES).order_by("pk"))
    if len(videos) == len(DEMO_TITLES) and not {video.status for video in videos} & _GAVE_UP:
        original, edited = videos
        _queue_build(original, edited)  # again: a worker restarted since may have dropped the first
        return SampleStatus("processing")
    for video in videos:  # half made or failed: start over (files, holds and rows go too)
        video_delete(video=video)
    demo_videos_create(user=owner, then=_queue_build)
    return SampleStatus("started")


_GAVE_UP = {Video.Status.FAILED, Video.Status.CANCELLED}


def _queue_build(original: Video, edited: Video) -> None:
    transaction.on_commit(lambda: build_sample.delay(original.pk, edited.pk))


def _marker_for(user: User) -> str:
    return f"{user.pk} {user.date_joined.isoformat()}"


def _write_marker(marker_file: Path, user: User) -> None:
    marker_file.parent.mkdir(parents=True, exist_ok=True)
    marker_file.write_text(_marker_for(user) + "\n")
