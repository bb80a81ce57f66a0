"""Offline speech recognition (faster-whisper with the bundled tiny.en model) on real files: words
close to what was said, each timed inside the speech; nothing at all where nobody speaks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from sage.synthetic_media import SAMPLE_RATE, SpeechAudio, make_video, speech_seconds
from sage.synthetic_media.speech_corpus import (
    NON_SPEECH_KINDS,
    NonSpeechKind,
    non_speech,
    spoken_passage,
    video_with_sound,
    word_error_rate,
)
from videos.timed_text import TimedLine
from videos.transcripts import TranscriptError, recognise_speech, speech
from videos.transcripts.whisper_model import LoadedModel

FIRST = (0.5, "The market opens early on Saturday morning.")
SECOND = (5.5, "Farmers arrive before sunrise and set out their tables.")


def spans(lines: list[tuple[float, str]]) -> list[tuple[float, float]]:
    return [(start, start + speech_seconds(text)) for start, text in lines]


def assert_words_inside(segments: list[TimedLine], speech_spans: list[tuple[float, float]], slack: float = 0.3) -> None:
    for segment in segments:
        for word in segment.words:
            assert word.start <= word.end
            assert any(start - slack <= word.start and word.end <= end + slack for start, end in speech_spans), (
                f"{word} is outside the speech {speech_spans}"
            )


def test_speech_in_a_video_is_transcribed_close_to_the_text_with_word_times_inside_the_speech(tmp_path: Path) -> None:
    lines = [FIRST, SECOND]
    speech_spans = spans(lines)
    path = make_video(tmp_path / "talk.mp4", seconds=speech_spans[-1][1] + 1.0, audio=SpeechAudio(lines=lines))
    progress: list[float] = []

    result = recognise_speech(path, on_progress=progress.append)

    assert result is not None
    assert (result.source, result.language) == ("whisper", "en")
    errors, words = word_error_rate(f"{FIRST[1]} {SECOND[1]}", result.text)
    assert errors / words <= 0.3, result.text
    assert result.text == " ".join(segment.text for segment in result.segments)
    assert all(segment.words for segment in result.segments)
    for segment in result.segments:
        assert " ".join(word.text for word in segment.words) == segment.text
        assert segment.start == segment.words[0].start and segment.end >= segment.words[-1].start
        assert all(0.0 <= word.probability <= 1.0 for word in segment.words)
    assert_words_inside(result.segments, speech_spans)
    first_word = result.segments[0].words[0]
    assert first_word.start == pytest.approx(FIRST[0], abs=0.5)
    # The 1.5 s pause between the sentences ends a line: no line runs across it.
    assert not [s for s in result.segments if s.start < speech_spans[0][1] - 0.3 and s.end > SECOND[0] + 0.3]
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_speech_over_music_is_transcribed_and_the_music_alone_gives_no_words(tmp_path: Path) -> None:
    # Four seconds of music before and after two sentences said over it (music 10 dB below the voice).
    spoken = spoken_passage(
        "Bread needs only four things. Flour, water, salt and yeast.", background="music", lead_seconds=4.0
    )
    path = video_with_sound(tmp_path / "music.mp4", spoken.samples)

    result = recognise_speech(path)

    assert result is not None
    errors, words = word_error_rate(spoken.text, result.text)
    assert errors / words <= 0.35, result.text
    assert_words_inside(result.segments, [(start, end) for start, end, _ in spoken.lines])


@pytest.mark.parametrize("kind", NON_SPEECH_KINDS)
def test_sound_with_nobody_speaking_gives_no_transcript(tmp_path: Path, kind: NonSpeechKind) -> None:
    path = video_with_sound(tmp_path / f"{kind}.mp4", non_speech(kind, seconds=12))

    assert recognise_speech(path) is None


def test_a_long_file_is_read_in_blocks_cut_in_pauses_with_times_running_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Blocks of 6 s (600 s normally), each ending in the quietest moment of its last 3 s.
    monkeypatch.setattr(speech, "BLOCK_SECONDS", 6.0)
    monkeypatch.setattr(speech, "CUT_SEARCH_SECONDS", 3.0)
    lines = [FIRST, (SECOND[0] + 1.0, SECOND[1]), (13.0, "Bread needs only four things.")]
    speech_spans = spans(lines)
    path = make_video(tmp_path / "long.mp4", seconds=speech_spans[-1][1] + 1.0, audio=SpeechAudio(lines=lines))
    progress: list[float] = []

    result = recognise_speech(path, on_progress=progress.append)

    assert result is not None
    errors, words = word_error_rate(" ".join(text for _, text in lines), result.text)
    assert errors / words <= 0.35, result.text
    assert_words_inside(result.segments, speech_spans)
    assert len(progress) >= 3 and progress == sorted(progress)


def test_a_video_without_sound_gives_no_transcript(tmp_path: Path) -> None:
    path = make_video(tmp_path / "mute.mp4", seconds=2, audio=None)

    assert recognise_speech(path) is None


def test_a_file_that_is_not_media_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")

    with pytest.raises(TranscriptError) as caught:
        recognise_speech(path)
    assert caught.value.code == "audio_unreadable"


def test_the_quietest_moment_ends_a_block() -> None:
    import numpy as np

    samples = np.full(10 * speech.SAMPLE_RATE, 0.5, np.float32)
    samples[7 * speech.SAMPLE_RATE : 7 * speech.SAMPLE_RATE + speech.SAMPLE_RATE // 10] = 0.0  # 7.0-7.1 s

    cut = speech._quietest_cut(samples)

    assert cut / speech.SAMPLE_RATE == pytest.approx(7.05, abs=0.06)
    assert SAMPLE_RATE  # the test media's rate is not the recogniser's: nothing assumes they match


# --- what is kept, dropped and marked uncertain (Whisper's signals, on made-up decoder output) -------


def whisper_segment(
    words: list[tuple[float, float, str, float]],
    *,
    avg_logprob: float = -0.2,
    no_speech_prob: float = 0.1,
    compression_ratio: float = 1.4,
) -> SimpleNamespace:
    return SimpleNamespace(
        start=words[0][0] if words else 0.0,
        end=words[-1][1] if words else 0.0,
        words=[SimpleNamespace(start=s, end=e, word=f" {w}", probability=p) for s, e, w, p in words],
        avg_logprob=avg_logprob,
        no_speech_prob=no_speech_prob,
        compression_ratio=compression_ratio,
    )


SURE = [(0.0, 0.4, "the", 0.95), (0.4, 0.9, "market", 0.92), (0.9, 1.4, "opens.", 0.9)]


def test_a_sure_window_gives_lines_with_their_words_timed_from_the_block_start() -> None:
    (line,) = speech._judged(whisper_segment(SURE), offset=60.0)

    assert (line.start, line.end, line.text, line.low_confidence) == (60.0, 61.4, "the market opens.", False)
    assert [(word.start, word.text, word.probability) for word in line.words] == [
        (60.0, "the", 0.95),
        (60.4, "market", 0.92),
        (60.9, "opens.", 0.9),
    ]


def test_weak_words_mark_their_own_line_low_confidence_not_the_others() -> None:
    weak = [(3.0, 3.5, "farmers", 0.5), (3.5, 4.0, "arrive", 0.6)]  # after a 1.6 s pause: a line of its own

    sure, unsure = speech._judged(whisper_segment(SURE + weak), offset=0.0)

    assert (sure.text, sure.low_confidence) == ("the market opens.", False)
    assert (unsure.text, unsure.low_confidence, unsure.start) == ("farmers arrive", True, 3.0)


def test_a_window_whisper_is_unsure_of_is_kept_and_marked_low_confidence() -> None:
    (line,) = speech._judged(whisper_segment(SURE, avg_logprob=-0.8), offset=0.0)

    assert line.low_confidence


def test_no_speech_with_sure_words_is_kept_but_marked_and_with_unsure_words_dropped() -> None:
    # Synthetic or noisy speech often gets a no-speech probability of 0.4-0.65 with good words.
    (kept,) = speech._judged(whisper_segment(SURE, no_speech_prob=0.65), offset=0.0)
    assert kept.low_confidence

    assert speech._judged(whisper_segment(SURE, no_speech_prob=0.8, avg_logprob=-0.9), offset=0.0) == []
    assert speech._judged(whisper_segment([(0.0, 0.5, "ah", 0.5)], no_speech_prob=0.8), offset=0.0) == []


@pytest.mark.parametrize(
    "segment",
    [
        whisper_segment(SURE, compression_ratio=3.1),  # a decoding loop
        whisper_segment(SURE, avg_logprob=-1.3),  # guesses
        whisper_segment([(0.0, 0.5, "dubai", 0.2), (0.5, 0.9, "uh", 0.25)]),  # words averaging below 0.3
        whisper_segment([(0.0, 0.5, "...", 0.9)]),  # no word at all
        whisper_segment([]),
    ],
)
def test_loops_guesses_and_empty_windows_are_dropped(segment: SimpleNamespace) -> None:
    assert speech._judged(segment, offset=0.0) == []


def test_a_long_line_ends_at_a_sentence_end() -> None:
    said = [(float(n), n + 0.8, f"word{n}{'.' if n == 8 else ''}", 0.9) for n in range(12)]

    first, second = speech._judged(whisper_segment(said), offset=0.0)

    assert first.text.endswith("word8.") and second.text == "word9 word10 word11"


def test_a_transcript_is_uncertain_as_a_whole_when_most_of_its_speech_is() -> None:
    def result_of(lines: list[TimedLine]) -> bool:
        recogniser = speech._Recogniser.__new__(speech._Recogniser)
        recogniser.duration, recogniser.on_progress, recogniser.language = 20.0, None, "en"
        recogniser.segments, recogniser.evidence = lines, speech.LanguageEvidence()
        result = recogniser.result()
        assert result is not None
        return result.low_confidence

    sure, unsure = TimedLine(0.0, 4.0, "sure"), TimedLine(5.0, 10.0, "unsure", low_confidence=True)
    assert result_of([sure, unsure]) is True  # 5 of 9 s uncertain
    assert result_of([TimedLine(0.0, 6.0, "sure"), unsure]) is False  # 5 of 11 s


def test_a_multilingual_model_detects_the_language_once_and_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import faster_whisper  # type: ignore[import-untyped]  # no type information shipped
    import numpy as np

    asked: list[str | None] = []

    class FakePipeline:
        """faster-whisper's batched pipeline as far as the recogniser uses it: German was heard."""

        def __init__(self, model: object) -> None:
            pass

        def transcribe(self, samples: np.ndarray, *, language: str | None, **options: object):
            asked.append(language)
            found = [whisper_segment([(0.5, 1.0, "Guten", 0.9), (1.1, 1.5, "Tag.", 0.9)])]
            return iter(found), SimpleNamespace(language=language or "de", language_probability=0.9)

    monkeypatch.setattr(faster_whisper, "BatchedInferencePipeline", FakePipeline)
    loaded = LoadedModel(model=object(), name="small", multilingual=True)
    recogniser = speech._Recogniser(loaded, duration=20.0, on_progress=None)

    for start in (0.0, 10.0):
        recogniser.transcribe(speech._Block(start=start, samples=np.zeros(10 * speech.SAMPLE_RATE, np.float32)))
    result = recogniser.result()

    assert asked == [None, "de"]  # detected on the first block, then kept
    assert result is not None and result.language == "de"
    assert [line.start for line in result.segments] == [0.5, 10.5]
