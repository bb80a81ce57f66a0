"""The pipeline's derived data: clip embeddings, transcript (by source), chunks, summary; the
transcript, subtitle, search, cancel and retry endpoints; re-embedding from the admin."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from sage.synthetic_media import Cue, SpeechAudio, make_video, write_srt
from tests.factories import UserFactory, member_in
from tests.videos.test_pipeline import balance, funded_user, stored_video
from tests.youtube_stub import VIDEO_ID, youtube_stub
from videos.embeddings import AUDIO_DIM, VISUAL_DIM, clip_spans
from videos.models import ClipEmbedding, Transcript, TranscriptChunk, Video
from videos.pipeline import progress, runner, steps
from videos.selectors import search_moments
from videos.services import video_cancel

pytestmark = pytest.mark.django_db

CUES = [
    Cue(0.5, 3.0, "Welcome to the kitchen."),
    Cue(3.5, 6.0, "Today we bake sourdough bread with a crisp crust."),
    Cue(6.5, 9.0, "Next, the engine of the old motorcycle needs new spark plugs."),
]


@pytest.fixture(scope="module")
def subtitled(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "subtitled.mp4", seconds=9.5, subtitles=CUES)


@pytest.fixture(scope="module")
def silent_picture(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "mute.mp4", seconds=4, audio=None)


def test_a_processed_video_has_clip_vectors_transcript_chunks_and_a_summary(subtitled, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, subtitled, settings)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    clips = list(ClipEmbedding.objects.filter(video=video).order_by("index"))
    spans = clip_spans(video.duration or 0)
    assert [c.start for c in clips] == pytest.approx([start for start, _ in spans])
    assert [c.end for c in clips] == pytest.approx([end for _, end in spans])
    assert {c.backend for c in clips} == {"local"}
    assert len(clips[0].visual) == VISUAL_DIM and len(clips[0].audio) == AUDIO_DIM
    assert np.linalg.norm(clips[0].visual) == pytest.approx(1.0, abs=1e-4)

    transcript = Transcript.objects.get(video=video)
    assert transcript.source == Transcript.Source.STREAM and not transcript.low_confidence
    segments = list(transcript.segments.order_by("index"))
    assert [segment.text for segment in segments] == [cue.text for cue in CUES]
    assert [segment.start for segment in segments] == pytest.approx([cue.start for cue in CUES], abs=0.05)
    assert "sourdough bread" in transcript.text

    chunks = list(TranscriptChunk.objects.filter(video=video))
    assert chunks and all(chunk.workspace_id == video.workspace_id for chunk in chunks)
    assert len(chunks[0].embedding) == 384
    assert video.summary
    assert video.backends == {"clips": "local", "transcript": "stream", "chunks": "minilm", "summary": "extractive"}
    assert balance(user) == 100 - math.ceil(video.duration or 0)


def test_search_finds_the_moment_that_talks_about_it_and_only_in_my_videos(subtitled, settings) -> None:
    owner = funded_user(100)
    video = stored_video(owner, subtitled, settings)
    runner.process_video(video.pk)

    moments = search_moments(member_in(owner), "baking a loaf", limit=3)
    assert moments and moments[0].video_id == video.pk
    assert "sourdough" in moments[0].text

    stranger = UserFactory()
    assert search_moments(member_in(stranger), "baking a loaf") == []


def test_a_video_without_sound_or_subtitles_is_ready_with_an_empty_transcript(silent_picture, settings) -> None:
    video = stored_video(funded_user(100), silent_picture, settings)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    assert Transcript.objects.get(video=video).source == Transcript.Source.NONE
    assert not TranscriptChunk.objects.filter(video=video).exists()
    assert video.summary == "" and video.backends["chunks"] == "none"
    assert ClipEmbedding.objects.get(video=video, index=0).audio is None


def test_cancelling_while_clips_are_embedded_stops_the_step_and_refunds(subtitled, settings, monkeypatch) -> None:
    user = funded_user(100)
    video = stored_video(user, subtitled, settings)
    real_report = progress.report

    def report_then_cancel(video_row: Video, *, stage: str, percent: int) -> None:
        real_report(video_row, stage=stage, percent=percent)
        if stage == "clips" and percent >= 30:
            video_cancel(video=Video.objects.get(pk=video_row.pk))  # the user presses Cancel

    monkeypatch.setattr(steps, "report", report_then_cancel)
    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.CANCELLED
    assert not ClipEmbedding.objects.filter(video=video).exists()
    assert not Transcript.objects.filter(video=video).exists()
    assert balance(user) == 100


def test_retry_after_a_failed_transcript_step_keeps_the_clips_it_made(
    subtitled, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    user = funded_user(100)
    video = stored_video(user, subtitled, settings)

    def broken(*args: object, **kwargs: object) -> None:
        raise steps.StepFailed("transcription_failed", "The transcript could not be made.")

    monkeypatch.setattr(steps, "find_transcript", broken)
    runner.process_video(video.pk)
    video.refresh_from_db()
    assert video.status == Video.Status.FAILED and video.error_message == "The transcript could not be made."
    first_clip_ids = set(ClipEmbedding.objects.filter(video=video).values_list("pk", flat=True))
    assert first_clip_ids and balance(user) == 100

    monkeypatch.undo()
    client = _client_for(user)
    with django_capture_on_commit_callbacks(execute=True):  # the enqueue runs the task (eagerly)
        assert client.post(reverse("api-video-retry", args=[video.pk])).status_code == 200

    video.refresh_from_db()
    assert video.status == Video.Status.READY
    assert set(ClipEmbedding.objects.filter(video=video).values_list("pk", flat=True)) == first_clip_ids
    assert balance(user) == 100 - math.ceil(video.duration or 0)


# --- the API ---------------------------------------------------------------------------------------


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _srt_upload(tmp_path: Path, cues: list[Cue], name: str = "talk.srt") -> io.BytesIO:
    data = io.BytesIO(write_srt(tmp_path / name, cues).read_bytes())
    data.name = name
    return data


def test_subtitles_sent_before_completing_become_the_transcript(
    tmp_path, settings, django_capture_on_commit_callbacks
) -> None:
    user = funded_user(100)
    clip = make_video(tmp_path / "talk.mp4", seconds=5, audio=SpeechAudio("hello there"))
    client = _client_for(user)
    created = client.post(
        reverse("api-uploads"), {"filename": "talk.mp4", "size": clip.stat().st_size}, content_type="application/json"
    ).json()
    sidecar = [Cue(0.2, 2.0, "Sidecar words win."), Cue(2.5, 4.5, "They beat the speech.")]

    sent = client.put(
        reverse("api-video-subtitles", args=[created["video_id"]]),
        data=encode_multipart(BOUNDARY, {"file": _srt_upload(tmp_path, sidecar)}),
        content_type=MULTIPART_CONTENT,
    )
    assert sent.status_code == 204, sent.content
    client.put(
        reverse("api-upload-part", args=[created["id"], 1]),
        data=clip.read_bytes(),
        content_type="application/octet-stream",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("api-upload-complete", args=[created["id"]])).status_code == 200

    transcript = client.get(reverse("api-video-transcript", args=[created["video_id"]])).json()
    assert transcript["source"] == "sidecar"
    assert [segment["text"] for segment in transcript["segments"]] == [cue.text for cue in sidecar]
    assert transcript["segments"][1]["start"] == pytest.approx(2.5)
    assert (transcript["segments"][0]["words"], transcript["segments"][0]["low_confidence"]) == (None, False)


def test_subtitles_are_checked_and_refused_once_the_transcript_exists(subtitled, tmp_path, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, subtitled, settings)
    client = _client_for(user)
    url = reverse("api-video-subtitles", args=[video.pk])

    def put(upload: io.BytesIO):
        return client.put(url, data=encode_multipart(BOUNDARY, {"file": upload}), content_type=MULTIPART_CONTENT)

    not_subtitles = io.BytesIO(subtitled.read_bytes()[:4096])
    not_subtitles.name = "movie.srt"
    refused = put(not_subtitles)
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["file"]
    assert Video.objects.get(pk=video.pk).subtitle_key == ""

    runner.process_video(video.pk)
    late = put(_srt_upload(tmp_path, [Cue(0, 1, "Too late.")]))
    assert late.status_code == 409
    assert "already" in late.json()["error"]["message"]
    assert Transcript.objects.get(video=video).source == Transcript.Source.STREAM


def test_transcript_is_409_until_made_and_404_for_someone_else(subtitled, settings) -> None:
    owner = funded_user(100)
    video = stored_video(owner, subtitled, settings)
    url = reverse("api-video-transcript", args=[video.pk])

    assert _client_for(owner).get(url).status_code == 409
    runner.process_video(video.pk)
    assert _client_for(owner).get(url).status_code == 200
    assert _client_for(UserFactory()).get(url).status_code == 404
    assert _client_for(UserFactory()).put(reverse("api-video-subtitles", args=[video.pk])).status_code == 404


def test_search_api_returns_scored_moments_and_checks_its_input(subtitled, settings) -> None:
    owner = funded_user(100)
    video = stored_video(owner, subtitled, settings)
    runner.process_video(video.pk)
    client = _client_for(owner)

    found = client.get(reverse("api-search"), {"q": "motorcycle repair", "limit": 2})
    assert found.status_code == 200
    best = found.json()[0]
    assert best["video_id"] == video.pk and "spark plugs" in best["text"]
    assert 0 < best["score"] <= 1

    assert client.get(reverse("api-search")).json()["error"]["fields"]["q"]
    assert client.get(reverse("api-search"), {"q": "x", "limit": 500}).status_code == 400
    other = stored_video(UserFactory(), subtitled, settings)
    assert client.get(reverse("api-search"), {"q": "bread", "video": other.pk}).status_code == 404


def test_cancel_and_retry_answer_409_in_the_wrong_state(subtitled, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, subtitled, settings)
    client = _client_for(user)

    assert client.post(reverse("api-video-retry", args=[video.pk])).status_code == 409  # queued
    cancelled = client.post(reverse("api-video-cancel", args=[video.pk]))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(reverse("api-video-cancel", args=[video.pk])).status_code == 409
    assert _client_for(UserFactory()).post(reverse("api-video-retry", args=[video.pk])).status_code == 404
    assert balance(user) == 100


def test_operators_can_re_embed_a_ready_video_from_the_admin(
    admin_client, subtitled, settings, django_capture_on_commit_callbacks
) -> None:
    video = stored_video(funded_user(100), subtitled, settings)
    runner.process_video(video.pk)
    before = list(ClipEmbedding.objects.filter(video=video).order_by("index").values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:videos_video_changelist"),
            {"action": "reembed_videos", "_selected_action": [video.pk]},
            follow=True,
        )

    assert "Queued 1 video(s) for new clip embeddings." in response.content.decode()
    after = list(ClipEmbedding.objects.filter(video=video).order_by("index").values_list("pk", flat=True))
    assert len(after) == len(before) and not set(after) & set(before)
    assert Video.objects.get(pk=video.pk).status == Video.Status.READY


def test_a_youtube_video_gets_its_captions_as_a_searchable_transcript_for_free(
    settings, django_capture_on_commit_callbacks
) -> None:
    user = funded_user(100)
    client = _client_for(user)
    with youtube_stub(settings, tracks=[("en", False)]), django_capture_on_commit_callbacks(execute=True):
        added = client.post(
            reverse("api-videos-youtube"), {"url": f"https://youtu.be/{VIDEO_ID}"}, content_type="application/json"
        )
    assert added.status_code == 201

    video = Video.objects.get(pk=added.json()["id"])
    assert video.status == Video.Status.READY, video.error_message
    transcript = Transcript.objects.get(video=video)
    assert transcript.source == Transcript.Source.YOUTUBE
    assert transcript.text.startswith("Never gonna give you up")
    assert video.duration == pytest.approx(4.5)  # the last caption's end
    assert search_moments(member_in(user), "promise to never abandon you")[0].video_id == video.pk
    assert balance(user) == 100  # nothing of YouTube's was processed here


def test_youtube_out_of_reach_fails_the_video_with_a_message_and_retry_fetches_again(
    settings, django_capture_on_commit_callbacks
) -> None:
    user = funded_user(100)
    client = _client_for(user)
    with django_capture_on_commit_callbacks(execute=True):  # YOUTUBE_BASE_URL: a closed port
        added = client.post(reverse("api-videos-youtube"), {"url": VIDEO_ID}, content_type="application/json")
    video = Video.objects.get(pk=added.json()["id"])
    assert video.status == Video.Status.FAILED
    assert "Retry in a few minutes" in video.error_message

    with youtube_stub(settings, tracks=[("en", False)]), django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("api-video-retry", args=[video.pk])).status_code == 200
    video.refresh_from_db()
    assert video.status == Video.Status.READY


def test_search_finds_the_moment_where_a_phrase_is_spoken(tmp_path, settings) -> None:
    # No subtitles: the words come from offline recognition of the sound. Short chunks so that the
    # two spoken passages land in different ones.
    settings.CHUNK_TARGET_SECONDS, settings.CHUNK_OVERLAP_SECONDS = 5, 0
    speech = SpeechAudio(lines=[(0.5, "one two three four five six"), (9.0, "hello world this is a test")])
    owner = funded_user(100)
    video = stored_video(owner, make_video(tmp_path / "spoken.mp4", seconds=14, audio=speech), settings)

    runner.process_video(video.pk)

    transcript = Transcript.objects.get(video=video)
    assert (transcript.source, transcript.language) == (Transcript.Source.WHISPER, "en")
    assert Video.objects.get(pk=video.pk).backends["transcript"] == "whisper"
    lines = list(transcript.segments.order_by("index"))
    assert lines and all(line.words for line in lines)
    for line in lines:  # [[start, end, "word", probability], ...] inside the line's span
        assert " ".join(word for _, _, word, _ in line.words or []) == line.text
        for start, end, _, probability in line.words or []:
            assert line.start <= start <= end <= line.end and 0 <= probability <= 1
    api = _client_for(owner).get(reverse("api-video-transcript", args=[video.pk])).json()
    assert (api["source"], api["language"]) == ("whisper", "en")
    first_word = api["segments"][0]["words"][0]
    assert set(first_word) == {"start", "end", "text", "probability"}
    assert [word["text"] for word in api["segments"][0]["words"]] == lines[0].text.split()
    assert api["segments"][0]["low_confidence"] == lines[0].low_confidence
    assert TranscriptChunk.objects.filter(video=video).count() >= 2
    best = search_moments(member_in(owner), "hello world", limit=1)[0]
    assert best.start >= 8.0, best
