"""Speech in another language. The bundled English-only model (tiny.en) would write invented English
for it: the transcript says "another language" instead, with no words, on the page and in the API,
and chat, summaries and notes treat it as having no transcript. A multilingual model names the
language, which the page shows."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from notes.models import Note
from sage.synthetic_media.other_languages import spoken_in
from sage.synthetic_media.speech_corpus import PASSAGES, spoken_passage, video_with_sound
from tests.factories import TranscriptFactory, VideoFactory
from tests.videos.test_pages import video_page
from tests.videos.test_pipeline import funded_user, stored_video
from tests.videos.test_speech_recognition import whisper_segment
from videos.models import Transcript, TranscriptChunk, TranscriptSegment, Video
from videos.pipeline import runner
from videos.transcripts import recognise_speech, speech
from videos.transcripts.languages import OTHER_LANGUAGE_NOTICE
from videos.transcripts.whisper_model import LoadedModel, forget_loaded_models

# A multilingual CTranslate2 Whisper model, where one is on this machine (bench/language.py's
# README section says how to get one); the test that needs it is skipped without it.
MULTILINGUAL_MODEL = Path(__file__).resolve().parents[2] / ".sage" / "models" / "faster-whisper-base"


@pytest.fixture(scope="module")
def french_video(tmp_path_factory) -> Path:
    return video_with_sound(tmp_path_factory.mktemp("media") / "french.mp4", spoken_in("fr", number=1).samples)


@pytest.fixture(scope="module")
def english_video(tmp_path_factory) -> Path:
    # The first three sentences of a passage, in the Scottish English voice (the least sure English
    # voice of bench/language.py after noise).
    text = " ".join(PASSAGES[3].split(". ")[:3]) + "."
    spoken = spoken_passage(text, voice="en-gb-scotland")
    return video_with_sound(tmp_path_factory.mktemp("media") / "english.mp4", spoken.samples)


def test_french_speech_gives_another_language_and_not_one_word(french_video: Path) -> None:
    result = recognise_speech(french_video)

    assert result is not None
    assert (result.source, result.other_language, result.segments, result.text) == ("whisper", True, [], "")


def test_english_speech_is_still_transcribed(english_video: Path) -> None:
    result = recognise_speech(english_video)

    assert result is not None and not result.other_language
    assert "railways" in result.text.lower() and result.segments


@pytest.mark.django_db
def test_a_french_video_says_another_language_on_its_page_and_in_the_api_with_nothing_to_search(
    french_video: Path, settings, client, api_client
) -> None:
    owner = funded_user(100)
    video = stored_video(owner, french_video, settings)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    transcript = Transcript.objects.get(video=video)
    assert (transcript.source, transcript.other_language, transcript.text) == ("whisper", True, "")
    assert not TranscriptSegment.objects.filter(transcript=transcript).exists()
    assert not TranscriptChunk.objects.filter(video=video).exists()
    assert video.summary == ""

    client.force_login(owner)
    html = client.get(video_page(video)).content.decode()
    assert OTHER_LANGUAGE_NOTICE in html and "WHISPER_MODEL" in html
    assert "No speech was found" not in html

    api_client.force_authenticate(owner)
    body = api_client.get(f"/api/v1/videos/{video.pk}/transcript").json()
    assert (body["other_language"], body["segments"], body["text"]) == (True, [], "")
    assert body["notice"].startswith(OTHER_LANGUAGE_NOTICE) and "WHISPER_MODEL" in body["notice"]


@pytest.mark.django_db
def test_an_english_transcript_says_nothing_of_another_language(client, api_client, user) -> None:
    video = VideoFactory(owner=user, ready=True)
    TranscriptFactory(video=video, source=Transcript.Source.WHISPER, language="en", lines=[(1.0, 2.0, "Hello.")])

    client.force_login(user)
    html = client.get(video_page(video)).content.decode()
    assert OTHER_LANGUAGE_NOTICE not in html and "· English" in html
    api_client.force_authenticate(user)
    body = api_client.get(f"/api/v1/videos/{video.pk}/transcript").json()
    assert (body["other_language"], body["notice"], body["language"]) == (False, "", "en")


@pytest.mark.django_db
def test_the_page_names_the_language_a_multilingual_model_detected(client, user) -> None:
    video = VideoFactory(owner=user, ready=True)
    TranscriptFactory(video=video, source=Transcript.Source.WHISPER, language="fr", lines=[(1.0, 2.0, "Bonjour.")])

    client.force_login(user)
    html = client.get(video_page(video)).content.decode()

    assert '<span class="muted transcript-language">· French</span>' in html


@pytest.mark.django_db
def test_a_transcript_excerpt_of_speech_in_another_language_says_why_it_cannot_be_written(
    api_client, django_capture_on_commit_callbacks
) -> None:
    owner = funded_user(100)
    video = VideoFactory(owner=owner, title="Le marché", status=Video.Status.READY, duration=40.0)
    TranscriptFactory(video=video, lines=[], source=Transcript.Source.WHISPER, other_language=True)
    api_client.force_authenticate(owner)

    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post(f"/api/v1/videos/{video.pk}/notes", {"start": 10}, format="json").json()

    assert Note.objects.get(pk=created["id"]).text == (
        "The transcript excerpt could not be written: the speech is in a language the speech model here does "
        "not know, so there is nothing to write it from."
    )


# --- the decision, on made-up decoder output ---------------------------------------------------------

ENGLISH = [(0.0, 0.4, "the", 0.95), (0.4, 0.9, "market", 0.92), (0.9, 3.0, "opens.", 0.9)]
GUESSED = [(0.0, 0.4, "I", 0.5), (0.4, 0.9, "make", 0.45), (0.9, 3.0, "stoke.", 0.4)]


def evidence_of(*windows: SimpleNamespace) -> speech.LanguageEvidence:
    evidence = speech.LanguageEvidence()
    for window in windows:
        evidence = evidence.with_window(window)
    return evidence


def test_windows_that_loop_or_are_unsure_of_everything_do_not_read_as_english() -> None:
    assert not evidence_of(whisper_segment(ENGLISH)).other_language
    # A noisy English window: unsure on one count only.
    assert not evidence_of(whisper_segment(ENGLISH, avg_logprob=-0.8)).other_language
    assert not evidence_of(whisper_segment(GUESSED, avg_logprob=-0.3)).other_language
    assert evidence_of(whisper_segment(GUESSED, avg_logprob=-0.9)).other_language
    assert evidence_of(whisper_segment(ENGLISH, compression_ratio=6.0)).other_language  # a loop


def test_another_language_needs_most_of_the_speech_and_more_than_a_word() -> None:
    english, other = whisper_segment(ENGLISH), whisper_segment(GUESSED, avg_logprob=-0.9)

    assert evidence_of(other, other, english).other_share == pytest.approx(2 / 3)
    assert evidence_of(other, other, english).other_language
    assert not evidence_of(other, english).other_language  # half: kept as English
    assert not evidence_of(whisper_segment([(0.0, 0.5, "uh", 0.3)], avg_logprob=-0.9)).other_language  # 0.5 s


def test_a_multilingual_model_is_never_judged_for_another_language(monkeypatch: pytest.MonkeyPatch) -> None:
    import faster_whisper  # type: ignore[import-untyped]  # no type information shipped

    class FakePipeline:
        """faster-whisper's batched pipeline: French heard, with words the model is unsure of."""

        def __init__(self, model: object) -> None:
            pass

        def transcribe(self, samples: np.ndarray, *, language: str | None, **options: object):
            found = [whisper_segment([(0.5, 1.0, "Bonjour", 0.7), (1.1, 3.5, "madame.", 0.7)], avg_logprob=-0.7)]
            return iter(found), SimpleNamespace(language=language or "fr", language_probability=0.93)

    monkeypatch.setattr(faster_whisper, "BatchedInferencePipeline", FakePipeline)
    recogniser = speech._Recogniser(
        LoadedModel(model=object(), name="base", multilingual=True), duration=10.0, on_progress=None
    )

    recogniser.transcribe(speech._Block(start=0.0, samples=np.zeros(10 * speech.SAMPLE_RATE, np.float32)))
    result = recogniser.result()

    assert result is not None and (result.language, result.other_language) == ("fr", False)
    assert result.text == "Bonjour madame."


@pytest.mark.skipif(not (MULTILINGUAL_MODEL / "model.bin").exists(), reason="no multilingual model on this machine")
def test_a_real_multilingual_model_detects_french_and_transcribes_it_in_french(french_video: Path, settings) -> None:
    settings.WHISPER_MODEL = str(MULTILINGUAL_MODEL)
    forget_loaded_models()
    try:
        result = recognise_speech(french_video)
    finally:
        forget_loaded_models()

    assert result is not None and (result.language, result.other_language) == ("fr", False)
    assert "serveurs" in result.text.lower() or "budget" in result.text.lower(), result.text
