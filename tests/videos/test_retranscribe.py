"""Re-transcribing old videos from the admin: a pocketsphinx transcript (with its invented words)
is replaced by Whisper's, and the search chunks and summary are made again from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from sage.synthetic_media import SpeechAudio, make_video, speech_seconds
from tests.factories import TranscriptFactory
from tests.videos.test_pipeline import funded_user, stored_video
from videos.models import Transcript, TranscriptChunk, TranscriptSegment, Video
from videos.pipeline import steps
from videos.pipeline.retranscribe import retranscribe

pytestmark = pytest.mark.django_db

SAID = "The market opens early on Saturday morning."


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> Path:
    seconds = 0.5 + speech_seconds(SAID) + 1.0
    path = tmp_path_factory.mktemp("media") / "spoken.mp4"
    return make_video(path, seconds=seconds, audio=SpeechAudio(SAID, start=0.5))


def old_ready_video(path: Path, settings) -> Video:
    """A ready upload processed before Whisper: pocketsphinx's transcript, and chunks and a summary
    made from it."""
    video = stored_video(funded_user(100), path, settings)
    Video.objects.filter(pk=video.pk).update(
        status=Video.Status.READY, duration=4.0, has_audio=True, backends={"clips": "local"}
    )
    video.refresh_from_db()
    TranscriptFactory(
        video=video, source=Transcript.Source.POCKETSPHINX, low_confidence=True, lines=[(0.5, 2.0, "dubai if wins")]
    )
    steps.ensure_chunks(video)
    steps.ensure_summary(video)
    video.refresh_from_db()
    assert video.backends == {"clips": "local", "chunks": "minilm", "summary": "extractive"}
    return video


def test_the_admin_action_replaces_an_old_transcript_and_what_was_made_from_it(
    spoken, settings, admin_client, django_capture_on_commit_callbacks
) -> None:
    video = old_ready_video(spoken, settings)
    old_chunks = set(TranscriptChunk.objects.filter(video=video).values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):  # Celery runs tasks inline in tests
        response = admin_client.post(
            reverse("admin:videos_video_changelist"),
            {"action": "retranscribe_videos", "_selected_action": [video.pk]},
            follow=True,
        )

    assert "Queued 1 video(s) for a new transcript." in response.content.decode()
    video.refresh_from_db()
    assert (video.status, video.stage) == (Video.Status.READY, "")
    transcript = Transcript.objects.get(video=video)
    assert (transcript.source, transcript.language) == (Transcript.Source.WHISPER, "en")
    assert "market" in transcript.text.lower() and "dubai" not in transcript.text
    assert all(line.words for line in transcript.segments.all())
    chunks = list(TranscriptChunk.objects.filter(video=video))
    assert chunks and not {chunk.pk for chunk in chunks} & old_chunks
    assert all("dubai" not in chunk.text for chunk in chunks)
    assert "dubai" not in video.summary and "market" in video.summary.lower()
    assert video.backends == {"clips": "local", "transcript": "whisper", "chunks": "minilm", "summary": "extractive"}


def test_re_transcribing_twice_gives_the_same_result_as_once(spoken, settings) -> None:
    video = old_ready_video(spoken, settings)

    retranscribe(video.pk)
    first = list(TranscriptSegment.objects.filter(transcript__video=video).values_list("text", "words"))
    retranscribe(video.pk)

    assert Transcript.objects.filter(video=video).count() == 1
    assert list(TranscriptSegment.objects.filter(transcript__video=video).values_list("text", "words")) == first
    assert TranscriptChunk.objects.filter(video=video).count() == 1


def test_videos_that_are_not_ready_are_left_alone(spoken, settings, admin_client) -> None:
    video = stored_video(funded_user(100), spoken, settings)  # queued

    response = admin_client.post(
        reverse("admin:videos_video_changelist"),
        {"action": "retranscribe_videos", "_selected_action": [video.pk]},
        follow=True,
    )
    retranscribe(video.pk)

    assert "Queued 0 video(s) for a new transcript. Skipped 1 that are not ready." in response.content.decode()
    assert not Transcript.objects.filter(video=video).exists()


def test_a_failure_keeps_the_old_transcript(spoken, settings) -> None:
    video = old_ready_video(spoken, settings)
    (Path(settings.MEDIA_ROOT) / video.storage_key).write_bytes(b"no longer a video")

    retranscribe(video.pk)

    transcript = Transcript.objects.get(video=video)
    assert (transcript.source, transcript.text) == (Transcript.Source.POCKETSPHINX, "dubai if wins")
    assert Video.objects.get(pk=video.pk).status == Video.Status.READY
