"""A video's summary says what its slides show (issue 65): the screen is read after the video is
ready, and the summary is written again then, with the lines read; without a language model it
quotes the most central lines shown, marked "on screen"; Gemini is given them beside the transcript."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import TranscriptFactory, UserFactory, VideoFactory
from tests.gemini_stub import gemini_stub_fixture  # noqa: F401 -- registers the `gemini_stub` fixture
from videos.models import Video
from videos.pipeline.steps import ensure_summary
from videos.screen_text import stage
from videos.screen_text.reading import ShownLine
from videos.screen_text.stage import screen_text_read
from videos.summary import summarize_transcript
from videos.timed_text import TimedLine

pytestmark = pytest.mark.django_db

SAID = [
    (1.0, 6.0, "Good morning everyone, and welcome to the quarterly review of project Aurora."),
    (7.0, 13.0, "Let me start with the money, because that is what everybody asks about first."),
    (17.0, 23.0, "On the budget, the board asked us to buy the hardware early, before prices rise again."),
    (31.0, 37.0, "The team moved into a bigger office on the second floor this spring."),
]
SLIDES = [
    (14.0, 29.0, "Budget"),
    (14.0, 29.0, "Hardware budget: 42,000 EUR approved"),
    (14.0, 29.0, "Travel budget cut by 15%"),
    (29.0, 44.0, "Team"),
    (29.0, 44.0, "Six engineers and two designers"),
]


def shown(start: float, end: float, text: str) -> ShownLine:
    return ShownLine(start=start, end=end, text=text, box=(0.1, 0.2, 0.5, 0.1), confidence=0.97)


def read_slides(path, *, duration, fingerprint=None, on_progress=None) -> list[ShownLine]:
    return [shown(*slide) for slide in SLIDES]


def test_once_its_screen_is_read_a_videos_summary_says_what_its_slides_show(settings, monkeypatch) -> None:
    settings.GEMINI_API_KEY = None
    owner = UserFactory()
    video = VideoFactory(owner=owner, ready=True, title="Project Aurora review", duration=45.0)
    TranscriptFactory(video=video, lines=SAID)
    ensure_summary(video)  # as the pipeline leaves it: before the screen is read
    client = APIClient()
    client.force_authenticate(owner)
    before = client.get(f"/api/v1/videos/{video.pk}").json()["summary"]
    monkeypatch.setattr(stage, "read_screen", read_slides)

    screen_text_read(video.pk)

    after = client.get(f"/api/v1/videos/{video.pk}").json()["summary"]
    assert "on screen" not in before and "42,000" not in before
    assert "[00:14] on screen: Hardware budget: 42,000 EUR approved" in after.splitlines()
    assert "[00:29] on screen: Six engineers and two designers" in after.splitlines()
    # What is said is still summarised, and a slide's one-word title is not quoted alone.
    assert any(line.startswith("[00:") and "on screen" not in line for line in after.splitlines())
    assert "on screen: Budget" not in after
    assert Video.objects.get(pk=video.pk).summary == after


def test_gemini_is_given_the_lines_shown_beside_the_transcript(gemini_stub) -> None:
    gemini_stub.reply("A quarterly review: hardware budget of 42,000 EUR approved, travel cut by 15%.")

    summary, backend = summarize_transcript(
        "Project Aurora review",
        [TimedLine(*line) for line in SAID],
        duration=45.0,
        shown=[shown(*slide) for slide in SLIDES],
    )

    assert backend == "gemini" and "42,000" in summary
    prompt = gemini_stub.last.prompt
    assert "[00:14] Hardware budget: 42,000 EUR approved" in prompt
    assert prompt.index("</transcript>") < prompt.index("<shown>") < prompt.index("42,000")
    assert "text shown on their screen" in gemini_stub.last.system


def test_a_video_of_slides_without_speech_gets_a_summary_of_its_slides(settings) -> None:
    settings.GEMINI_API_KEY = None

    summary, backend = summarize_transcript("Slides", [], duration=45.0, shown=[shown(*slide) for slide in SLIDES])

    assert backend == "extractive"
    assert "[00:14] on screen: Hardware budget: 42,000 EUR approved" in summary.splitlines()
