"""Stage and percent of a video in processing: saved on the row and pushed live to its watchers."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sage.realtime import push_to_object, push_to_workspace
from sage.retrying import RetryListener, RetryNotice
from videos.models import Video


def video_event(video: Video) -> dict[str, Any]:
    return {
        "id": video.pk,
        "status": video.status,
        "stage": video.stage,
        "percent": video.percent,
        "error_message": video.error_message,
        "resume_note": video.resume_note,
        # Whether a version every browser plays exists: a ready video's page shows its player then.
        "playback": video.playback_state,
    }


def push_video(video: Video) -> None:
    """The one place video state goes out: to the video's page and to its workspace's libraries."""
    event = video_event(video)
    push_to_object("video", video.pk, "video", event)
    push_to_workspace(video.workspace_id, "video", event)


def report(video: Video, *, stage: str, percent: int) -> None:
    percent = max(0, min(100, percent))
    if (video.stage, video.percent) == (stage, percent):
        return  # nothing new: no write, no push
    video.stage, video.percent = stage, percent
    # updated_at is set by hand (update() skips auto_now): the reaper reads it as "last sign of life".
    Video.objects.filter(pk=video.pk).update(stage=stage, percent=percent, updated_at=timezone.now())
    push_video(video)


def retry_reporter(video: Video) -> RetryListener:
    """What a step gives an outside call (YouTube, Twelve Labs): while the service is busy, the
    video's stage says so and when it tries again ("YouTube busy; retry in 8s"); the step's next
    report puts its own stage back."""

    def on_retry(notice: RetryNotice) -> None:
        report(video, stage=notice.stage, percent=video.percent)

    return on_retry
