"""Offline recognition inside the pipeline: it listens while the picture steps run, its progress is
shown live, and a cancel stops it part-way."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sage.synthetic_media import SpeechAudio, make_video
from sage.synthetic_media.speech_corpus import non_speech, video_with_sound
from tests.videos.test_pipeline import balance, funded_user, stored_video
from videos.models import Transcript, TranscriptChunk, Video
from videos.pipeline import progress, runner, steps
from videos.services import video_cancel

pytestmark = pytest.mark.django_db

LINES = [(0.5, "The market opens early on Saturday morning."), (9.0, "Farmers arrive before sunrise.")]


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "spoken.mp4", seconds=14, audio=SpeechAudio(lines=LINES))


def test_transcription_reports_its_progress_as_it_listens(spoken, settings, monkeypatch) -> None:
    video = stored_video(funded_user(100), spoken, settings)
    reported: list[int] = []
    real_report = progress.report

    def recording_report(video_row: Video, *, stage: str, percent: int) -> None:
        if stage == "transcript":
            reported.append(percent)
        real_report(video_row, stage=stage, percent=percent)

    monkeypatch.setattr(steps, "report", recording_report)
    runner.process_video(video.pk)

    assert Video.objects.get(pk=video.pk).status == Video.Status.READY
    assert reported == sorted(reported) and reported[0] == 0 and reported[-1] == 100
    assert [percent for percent in reported if 0 < percent < 100]  # between the two spoken lines


def test_speech_is_recognised_while_the_clips_are_embedded(spoken, settings, monkeypatch) -> None:
    video = stored_video(funded_user(100), spoken, settings)
    listening = threading.Event()
    real_find_transcript, real_clip_embeddings = steps.find_transcript, steps.ensure_clip_embeddings
    listening_when_clips_began: list[bool] = []

    def find_transcript(*args, **kwargs):
        listening.set()
        return real_find_transcript(*args, **kwargs)

    def ensure_clip_embeddings(video_row: Video, path: Path) -> None:
        # Run one after the other, the transcript would only be looked for after this step.
        listening_when_clips_began.append(listening.wait(timeout=30))
        real_clip_embeddings(video_row, path)

    monkeypatch.setattr(steps, "find_transcript", find_transcript)
    monkeypatch.setattr("videos.pipeline.runner.ensure_clip_embeddings", ensure_clip_embeddings)
    runner.process_video(video.pk)

    assert Video.objects.get(pk=video.pk).status == Video.Status.READY
    assert listening_when_clips_began == [True]
    transcript = Transcript.objects.get(video=video)
    assert transcript.source == Transcript.Source.WHISPER and "market" in transcript.text.lower()


def test_cancelling_while_whisper_listens_stops_it_and_refunds(spoken, settings, monkeypatch) -> None:
    user = funded_user(100)
    video = stored_video(user, spoken, settings)
    real_report = progress.report

    def report_then_cancel(video_row: Video, *, stage: str, percent: int) -> None:
        real_report(video_row, stage=stage, percent=percent)
        if stage == "transcript" and 0 < percent < 100:
            video_cancel(video=Video.objects.get(pk=video_row.pk))  # the user presses Cancel

    monkeypatch.setattr(steps, "report", report_then_cancel)
    runner.process_video(video.pk)

    assert Video.objects.get(pk=video.pk).status == Video.Status.CANCELLED
    assert not Transcript.objects.filter(video=video).exists()
    assert balance(user) == 100


def test_a_video_of_music_alone_gets_no_speech_found_and_nothing_to_search(tmp_path, settings, client) -> None:
    owner = funded_user(100)
    video = stored_video(owner, video_with_sound(tmp_path / "music.mp4", non_speech("music", seconds=10)), settings)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    transcript = Transcript.objects.get(video=video)
    assert (transcript.source, transcript.text) == (Transcript.Source.NONE, "")
    assert not TranscriptChunk.objects.filter(video=video).exists()
    client.force_login(owner)
    assert "No speech was found in this video." in client.get(f"/videos/{video.pk}/").content.decode()
