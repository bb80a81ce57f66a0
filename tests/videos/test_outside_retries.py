"""A video whose outside service (YouTube's captions, Gemini's transcript or summary) is busy for a
moment is not failed: the step asks again, and the video's live stage says it is retrying meanwhile."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sage.synthetic_media import SpeechAudio, make_video
from tests.factories import VideoFactory
from tests.gemini_stub import GeminiReply, gemini_stub_fixture  # noqa: F401 -- registers the `gemini_stub` fixture
from tests.videos.test_pipeline import funded_user
from tests.youtube_stub import VIDEO_ID, youtube_stub
from videos.models import Video
from videos.pipeline import progress, steps
from videos.pipeline.steps import ensure_summary, find_transcript
from videos.timed_text import TimedLine

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


@pytest.fixture
def busy_then_answering_gemini(settings, gemini_stub):
    settings.OUTSIDE_RETRY_FIRST_WAIT_SECONDS = 0  # no real waiting in a test
    return gemini_stub


def test_gemini_busy_while_transcribing_is_retried_and_the_stage_says_so(
    busy_then_answering_gemini, pushed_stages, tmp_path
) -> None:
    path = make_video(tmp_path / "talk.mp4", seconds=3, audio=SpeechAudio("hello there", start=0.5))
    video = VideoFactory(
        owner=funded_user(10), title="talk", status=Video.Status.PROCESSING, has_audio=True, duration=3.0
    )
    answer = json.dumps({"language": "en", "segments": [{"start": 0.5, "end": 1.5, "text": "Hello there."}]})
    busy_then_answering_gemini.queue(GeminiReply(status=429), answer)

    result = find_transcript(video, path)

    assert result is not None and [segment.text for segment in result.segments] == ["Hello there."]
    assert len(busy_then_answering_gemini.requests) == 2
    assert pushed_stages == ["Gemini busy; retry in 0s"]


def test_gemini_busy_while_summarising_is_retried_and_the_stage_says_so(
    busy_then_answering_gemini, pushed_stages, monkeypatch
) -> None:
    video = VideoFactory(owner=funded_user(10), title="Bread", status=Video.Status.PROCESSING, duration=60.0)
    lines = [TimedLine(float(t), t + 9.0, f"Step {t // 10} of the bread is done with care.") for t in range(0, 60, 10)]
    monkeypatch.setattr(steps, "transcript_lines", lambda video_id: lines)
    busy_then_answering_gemini.queue(GeminiReply(status=503), "A loaf of bread is baked in six steps.")

    ensure_summary(video)

    video.refresh_from_db()
    assert (video.summary, video.backends["summary"]) == ("A loaf of bread is baked in six steps.", "gemini")
    assert pushed_stages == ["summary", "Gemini busy; retry in 0s", "summary"]
