"""A video whose outside service (YouTube's captions) is busy for a moment is not failed: the step
asks again, and the video's live stage says it is retrying meanwhile."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.videos.test_pipeline import funded_user
from tests.youtube_stub import VIDEO_ID, youtube_stub
from videos.models import Video
from videos.pipeline import progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed_stages(monkeypatch) -> list[str]:
    stages: list[str] = []

    def record(group: str, pk: int, event: str, data: dict[str, Any]) -> None:
        stages.append(data["stage"])

    monkeypatch.setattr(progress, "push_to_object", record)
    return stages


def test_youtube_busy_for_a_moment_is_retried_and_the_video_becomes_ready(
    settings, django_capture_on_commit_callbacks, pushed_stages
) -> None:
    client = Client()
    client.force_login(funded_user(100))
    with (
        youtube_stub(settings, tracks=[("en", False)], first_timedtext_statuses=[429]),
        django_capture_on_commit_callbacks(execute=True),
    ):
        added = client.post(reverse("api-videos-youtube"), {"url": VIDEO_ID}, content_type="application/json")

    video = Video.objects.get(pk=added.json()["id"])
    assert (video.status, video.error_message) == (Video.Status.READY, "")
    retrying_at = pushed_stages.index("YouTube busy; retry in 0s")
    assert "transcript" in pushed_stages[retrying_at + 1 :], "the step's own stage comes back"
