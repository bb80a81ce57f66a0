"""The `twelvelabs` clip-embedding backend: the real `twelvelabs` SDK client against a local stub of
the Embed API (tests/twelvelabs_stub.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytest_django.fixtures import Settings

from sage.retrying import RetryNotice
from sage.synthetic_media import make_video
from tests.twelvelabs_stub import TwelveLabsStub, twelvelabs_stub
from videos.embeddings import ClipEmbedding, EmbeddingError, configured_backend_name, get_backend
from videos.embeddings.twelvelabs import TwelveLabsClipEmbedder, TwelveLabsUnavailable

API_KEY = "tlk_test_key"


@pytest.fixture(scope="module")
def six_seconds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("twelvelabs") / "six.mp4", seconds=6)


@pytest.fixture
def stub(settings: Settings) -> Iterator[TwelveLabsStub]:
    with twelvelabs_stub() as running:
        settings.TWELVELABS_API_KEY = API_KEY
        settings.TWELVELABS_BASE_URL = running.base_url
        settings.TWELVELABS_MODEL = "Marengo-retrieval-2.7"
        yield running


def embed(path: Path, progress: list[float] | None = None, **options: float) -> list[ClipEmbedding]:
    embedder = TwelveLabsClipEmbedder(poll_seconds=0.01, **options)
    return embedder.embed_clips(path, on_progress=progress.append if progress is not None else None)


def test_each_two_second_clip_gets_marengo_visual_and_audio_vectors(stub: TwelveLabsStub, six_seconds: Path) -> None:
    clips = embed(six_seconds)

    assert [(clip.index, clip.start, clip.end) for clip in clips] == [(0, 0.0, 2.0), (1, 2.0, 4.0), (2, 4.0, 6.0)]
    for clip in clips:
        assert clip.audio is not None
        assert clip.visual.dtype == np.float32 and clip.audio.dtype == np.float32
        assert np.linalg.norm(clip.visual) == pytest.approx(1.0, abs=1e-5)
        assert np.linalg.norm(clip.audio) == pytest.approx(1.0, abs=1e-5)
        # Each vector is the stub's segment for the same span and option, normalised.
        visual = stub.vector("visual-text", clip.start)
        audio = stub.vector("audio", clip.start)
        np.testing.assert_allclose(clip.visual, visual / np.linalg.norm(visual), atol=1e-6)
        np.testing.assert_allclose(clip.audio, audio / np.linalg.norm(audio), atol=1e-6)
    assert float(clips[0].visual @ clips[1].visual) < 0.5  # different clips, different vectors


def test_the_upload_carries_the_file_model_clip_length_and_api_key(stub: TwelveLabsStub, six_seconds: Path) -> None:
    embed(six_seconds)

    [upload] = stub.uploads
    assert upload.video == six_seconds.read_bytes()
    assert upload.filename == "six.mp4"
    assert upload.content_type == "video/mp4"
    assert upload.fields["model_name"] == ["Marengo-retrieval-2.7"]
    assert float(upload.fields["video_clip_length"][0]) == 2.0
    assert upload.fields["video_embedding_scope"] == ["clip"]
    assert stub.requests, "no request reached the stub"
    for request in stub.requests:
        assert {name.lower(): value for name, value in request.headers.items()}["x-api-key"] == API_KEY
    assert [request.method for request in stub.requests][-1:] == ["GET"]
    assert stub.status_polls == 3  # two "processing", then "ready"


def test_a_clip_marengo_left_out_takes_the_nearest_segment(stub: TwelveLabsStub, tmp_path: Path) -> None:
    """5 s: our grid keeps 4–5 s as a clip of its own; Marengo drops a piece shorter than 2 s."""
    clips = embed(make_video(tmp_path / "five.mp4", seconds=5))

    assert [(clip.start, clip.end) for clip in clips] == [(0.0, 2.0), (2.0, 4.0), (4.0, 5.0)]
    np.testing.assert_allclose(clips[2].visual, clips[1].visual)
    assert {segment["start_offset_sec"] for segment in stub.segments} == {0.0, 2.0}


def test_a_video_without_sound_gets_no_audio_vectors_even_if_marengo_sends_some(
    stub: TwelveLabsStub, tmp_path: Path
) -> None:
    clips = embed(make_video(tmp_path / "mute.mp4", seconds=4, audio=None))

    assert any(segment["embedding_option"] == "audio" for segment in stub.segments)
    assert len(clips) == 2
    assert all(clip.audio is None for clip in clips)


def test_no_audio_option_from_marengo_means_no_audio_vectors(stub: TwelveLabsStub, six_seconds: Path) -> None:
    stub.options = ("visual-text",)

    clips = embed(six_seconds)

    assert len(clips) == 3
    assert all(clip.audio is None for clip in clips)


def test_marengo_3_visual_option_is_used_for_the_visual_vector(stub: TwelveLabsStub, six_seconds: Path) -> None:
    stub.options = ("visual", "audio")

    clips = embed(six_seconds)

    visual = stub.vector("visual", 2.0)
    np.testing.assert_allclose(clips[1].visual, visual / np.linalg.norm(visual), atol=1e-6)


def test_progress_rises_through_upload_and_wait_and_ends_at_one(stub: TwelveLabsStub, six_seconds: Path) -> None:
    progress: list[float] = []

    embed(six_seconds, progress)

    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    assert progress.count(1.0) == 1
    assert any(0.0 < fraction < 0.5 for fraction in progress), progress  # during the upload
    assert any(0.5 <= fraction < 1.0 for fraction in progress), progress  # while Twelve Labs works


def test_a_failed_task_raises_embedding_error(stub: TwelveLabsStub, six_seconds: Path) -> None:
    stub.outcome = "failed"

    with pytest.raises(EmbeddingError, match=r"could not embed six\.mp4: task \w+ failed"):
        embed(six_seconds)


def test_a_server_error_on_upload_is_sent_again_up_to_the_cap_then_raised(
    stub: TwelveLabsStub, six_seconds: Path, settings: Settings
) -> None:
    settings.OUTSIDE_RETRY_ATTEMPTS = 3
    stub.errors["create"] = 500

    with pytest.raises(TwelveLabsUnavailable, match=r"HTTP 500\): stub answered 500"):
        embed(six_seconds)
    assert len(stub.requests) == 3


def test_an_upload_refused_while_busy_is_sent_again_whole_and_the_clips_come(
    stub: TwelveLabsStub, six_seconds: Path, settings: Settings
) -> None:
    settings.OUTSIDE_RETRY_ATTEMPTS = 3
    stub.errors["create"], stub.error_times["create"] = 429, 2
    notices: list[RetryNotice] = []

    clips = TwelveLabsClipEmbedder(poll_seconds=0.01).embed_clips(six_seconds, on_retry=notices.append)

    assert len(clips) == 3
    creates = [request for request in stub.requests if request.method == "POST"]
    assert len(creates) == 3
    # The last try carried the whole file and the form, not what the SDK's own retry would re-send.
    assert stub.uploads[-1].video == six_seconds.read_bytes()
    assert stub.uploads[-1].fields["model_name"] == ["Marengo-retrieval-2.7"]
    assert [notice.stage for notice in notices] == ["Twelve Labs busy; retry in 0s"] * 2


def test_status_errors_are_retried_up_to_the_cap_then_raised(
    stub: TwelveLabsStub, six_seconds: Path, settings: Settings
) -> None:
    stub.errors["status"] = 503

    with pytest.raises(EmbeddingError, match="HTTP 503"):
        embed(six_seconds)
    assert stub.status_polls == settings.OUTSIDE_RETRY_ATTEMPTS


def test_a_refused_request_is_an_embedding_error_not_a_retryable_one(stub: TwelveLabsStub, six_seconds: Path) -> None:
    stub.errors["retrieve"] = 404

    with pytest.raises(EmbeddingError, match="HTTP 404") as raised:
        embed(six_seconds)
    assert not isinstance(raised.value, TwelveLabsUnavailable)


def test_the_wait_is_bounded(stub: TwelveLabsStub, six_seconds: Path) -> None:
    stub.outcome = "processing"

    with pytest.raises(EmbeddingError, match=r"still processing after .* gave up waiting"):
        embed(six_seconds, max_wait_seconds=0.2)
    assert stub.status_polls >= 2


def test_an_unreachable_service_raises_embedding_error(settings: Settings, six_seconds: Path) -> None:
    settings.TWELVELABS_API_KEY = API_KEY
    settings.TWELVELABS_BASE_URL = "http://127.0.0.1:9/v1.3"  # nothing listens on the discard port

    with pytest.raises(TwelveLabsUnavailable, match="could not be reached"):
        embed(six_seconds)


def test_a_file_without_pictures_is_refused_before_uploading(stub: TwelveLabsStub, tmp_path: Path) -> None:
    not_a_video = tmp_path / "notes.mp4"
    not_a_video.write_bytes(b"this is not a video")

    with pytest.raises(EmbeddingError, match=r"cannot open notes\.mp4"):
        embed(not_a_video)
    assert stub.requests == []


def test_configured_backend_follows_the_api_key(settings: Settings) -> None:
    settings.TWELVELABS_API_KEY = None
    assert configured_backend_name() == "local"
    assert get_backend(configured_backend_name()).name == "local"

    settings.TWELVELABS_API_KEY = API_KEY
    assert configured_backend_name() == "twelvelabs"
    assert isinstance(get_backend(configured_backend_name()), TwelveLabsClipEmbedder)
