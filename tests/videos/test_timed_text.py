"""Timed text: sentences with times, and the sentence-aligned windows of about the target length,
overlapping a little, that search and chat embed."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videos.timed_text import (
    Sentence,
    TimedLine,
    Window,
    Word,
    nearest_sentences,
    sentences_of,
    split_sentences,
    windows_of,
    words_from_json,
    words_to_json,
)

TARGET, OVERLAP = 40.0, 8.0
WORD_SECONDS = 0.4
TOLERANCE = 0.5  # times come from interpolating by characters, not from real word timings


def sentence_text(number: int, words: int) -> str:
    """A sentence of `words` distinct, equally long words, capitalised and ending in a full stop."""
    text = " ".join(f"s{number:03d}w{index:02d}" for index in range(words))
    return text[0].upper() + text[1:] + "."


@st.composite
def spoken_transcripts(draw: st.DrawFn) -> tuple[list[str], list[TimedLine]]:
    """Sentences of 1–20 words (≤ 8 s) said at a steady pace, with pauses of up to 1.5 s between
    some sentences, cut into captions anywhere between words (mid-sentence too)."""
    count = draw(st.integers(1, 60))
    sentences = [sentence_text(number, draw(st.integers(1, 20))) for number in range(count)]
    segments: list[TimedLine] = []
    words: list[str] = []
    clock = caption_start = draw(st.floats(0, 30))
    for sentence in sentences:
        pause = draw(st.sampled_from([0.0, 0.0, 0.3, 1.5]))
        if pause and words:  # a pause always ends the caption
            segments.append(TimedLine(caption_start, clock, " ".join(words)))
            words = []
        clock += pause
        for word in sentence.split(" "):
            if not words:
                caption_start = clock
            words.append(word)
            clock += WORD_SECONDS
            if draw(st.integers(0, 5)) == 0:
                segments.append(TimedLine(caption_start, clock, " ".join(words)))
                words = []
    if words:
        segments.append(TimedLine(caption_start, clock, " ".join(words)))
    return sentences, segments


@settings(max_examples=150, deadline=None)
@given(spoken_transcripts())
def test_chunking_properties(transcript):
    sentences, segments = transcript
    chunks = windows_of(segments, target_seconds=TARGET, overlap_seconds=OVERLAP)
    total = segments[-1].end - segments[0].start

    assert chunks, "a transcript with text has chunks"
    # Nothing said is lost, and no sentence is cut in two.
    for sentence in sentences:
        assert any(sentence in chunk.text for chunk in chunks), sentence
    # Deterministic.
    assert windows_of(segments, target_seconds=TARGET, overlap_seconds=OVERLAP) == chunks
    # In time order, each one reaching further than the one before.
    for before, after in itertools.pairwise(chunks):
        assert before.start <= after.start
        assert before.end < after.end
    for chunk in chunks:
        assert chunk.start <= chunk.end
        assert chunk.end - chunk.start <= TARGET * 1.125 + TOLERANCE
    # Every chunk but the last lasts 30–45 s; a short transcript is one chunk.
    for chunk in chunks[:-1]:
        assert chunk.end - chunk.start >= TARGET * 0.75 - TOLERANCE
    if total <= TARGET * 1.125 - TOLERANCE:
        assert len(chunks) == 1
    # Each chunk starts with whole sentences from the end of the one before, a few seconds' worth.
    for before, after in itertools.pairwise(chunks):
        assert after.start < before.end
        assert before.end - after.start <= OVERLAP * 1.5 + TOLERANCE
        first_sentence = after.text.split(". ")[0]
        assert first_sentence in before.text
    # Sentences inside a chunk keep their spoken order.
    for chunk in chunks:
        numbers = [int(word[1:4]) for word in chunk.text.split() if word.lower().endswith("w00")]
        assert numbers == sorted(numbers)


def test_no_text_gives_no_chunks():
    assert windows_of([], target_seconds=TARGET, overlap_seconds=OVERLAP) == []
    assert windows_of([TimedLine(0, 5, "   ")], target_seconds=TARGET, overlap_seconds=OVERLAP) == []


def test_a_short_transcript_is_one_chunk_with_its_times():
    segments = [TimedLine(1.0, 4.0, "Hello there."), TimedLine(5.0, 9.5, "General Kenobi!")]
    assert windows_of(segments, target_seconds=TARGET, overlap_seconds=OVERLAP) == [
        Window(1.0, 9.5, "Hello there. General Kenobi!")
    ]


def test_sentence_times_are_interpolated_within_and_across_captions():
    segments = [
        TimedLine(0.0, 10.0, "One two three four. Five six seven"),
        TimedLine(12.0, 14.0, "eight nine. Ten."),
    ]
    chunks = windows_of(segments, target_seconds=6.0, overlap_seconds=0.0)

    assert [chunk.text for chunk in chunks] == ["One two three four.", "Five six seven eight nine.", "Ten."]
    first, second, third = chunks
    assert first.start == 0.0
    assert first.end == pytest.approx(10.0 * 19 / 34, abs=0.01)  # 19 of the caption's 34 characters
    assert second.start == pytest.approx(10.0 * 20 / 34, abs=0.01)
    assert second.end == pytest.approx(12.0 + 2.0 * 11 / 16, abs=0.01)  # into the second caption
    assert third.end == 14.0


def test_an_unpunctuated_monologue_is_cut_between_words():
    words = [f"word{index:03d}" for index in range(300)]  # 300 words over 150 s, no full stop at all
    segments = [
        TimedLine(index * 5.0, index * 5.0 + 5.0, " ".join(words[index * 10 : index * 10 + 10])) for index in range(30)
    ]

    chunks = windows_of(segments, target_seconds=TARGET, overlap_seconds=OVERLAP)

    assert len(chunks) >= 4
    assert all(chunk.end - chunk.start <= TARGET * 1.125 for chunk in chunks)
    assert all(chunk.end - chunk.start >= TARGET * 0.75 for chunk in chunks[:-1])
    said = {word for chunk in chunks for word in chunk.text.split()}
    assert said == set(words)
    assert all(after.start < before.end for before, after in itertools.pairwise(chunks))


def test_a_long_sentence_under_one_and_a_half_targets_is_kept_whole():
    long_sentence = " ".join(f"w{index}" for index in range(100)) + "."
    segments = [
        TimedLine(0.0, 5.0, "Short opening."),
        TimedLine(5.0, 55.0, long_sentence),
        TimedLine(55.0, 58.0, "The end."),
    ]

    chunks = windows_of(segments, target_seconds=TARGET, overlap_seconds=OVERLAP)

    assert any(long_sentence in chunk.text for chunk in chunks)


def test_sentence_splitting_knows_abbreviations_and_cjk_full_stops():
    def sentences(text: str) -> list[str]:
        return [text[start:end] for start, end in split_sentences(text)]

    assert sentences("Use a tool, e.g. a hammer. Then stop!  Really? Yes.") == [
        "Use a tool, e.g. a hammer.",
        "Then stop!",
        "Really?",
        "Yes.",
    ]
    assert sentences('He said "go." She went. Pi is 3.14 exactly') == [
        'He said "go."',
        "She went.",
        "Pi is 3.14 exactly",
    ]
    assert sentences("你好。我们走吧！好") == ["你好。", "我们走吧！", "好"]


def test_invalid_sizes_are_refused():
    with pytest.raises(ValueError):
        windows_of([TimedLine(0, 1, "Hi.")], target_seconds=0, overlap_seconds=1)
    with pytest.raises(ValueError):
        windows_of([TimedLine(0, 1, "Hi.")], target_seconds=10, overlap_seconds=-1)


# --- sentences ---------------------------------------------------------------------------------


def test_sentences_take_their_times_from_the_recognisers_words():
    # One recognised line of two sentences, with a long pause inside it: linear interpolation by
    # character would put the second sentence's start seconds too early.
    words = (
        Word(10.0, 10.4, " Preheat"),
        Word(10.4, 10.7, " the"),
        Word(10.7, 11.2, " oven."),
        Word(17.3, 17.6, " Then"),
        Word(17.6, 18.1, " bake."),
    )
    line = TimedLine(9.8, 18.3, "Preheat the oven. Then bake.", words=words)

    first, second = sentences_of([line])

    assert (first.text, first.start, first.end) == ("Preheat the oven.", 10.0, 11.2)
    assert (second.text, second.start, second.end) == ("Then bake.", 17.3, 18.1)


def test_words_that_cannot_be_found_in_the_text_fall_back_to_the_lines_times():
    line = TimedLine(0.0, 4.0, "Hello there. Bye now.", words=(Word(0.5, 0.9, "Howdy"), Word(2.6, 3.0, "Bye")))

    first, second = sentences_of([line])

    assert first.start == 0.0  # "Howdy" is not in the text: the line's start holds
    assert second.start == 2.6  # "Bye" is found: its own time


def test_a_sentence_from_a_line_heard_with_low_confidence_is_marked():
    lines = [
        TimedLine(0.0, 3.0, "We met on Monday."),
        TimedLine(3.0, 6.0, "Dubai if wins", low_confidence=True),
        TimedLine(6.0, 9.0, "uh-huh. The budget is fine."),
    ]

    sentences = sentences_of(lines)

    assert [(sentence.text, sentence.low_confidence) for sentence in sentences] == [
        ("We met on Monday.", False),
        ("Dubai if wins uh-huh.", True),
        ("The budget is fine.", False),
    ]


def test_a_recognised_line_starting_in_lower_case_after_a_full_stop_starts_a_sentence():
    # The recogniser often leaves a long line unpunctuated and uncapitalised; its start is still
    # where a pause was heard, so it must not be glued to the sentence before (a citation of "ash"
    # would then start five seconds early, at "Shield volcanoes").
    lines = [
        TimedLine(23.0, 28.2, "Shield volcanoes have gentle slopes."),
        TimedLine(28.7, 33.0, "explosive eruptions throw ash into the sky"),
        TimedLine(33.0, 36.0, "Use a tool, e.g."),
        TimedLine(36.0, 38.0, "A hammer."),
    ]

    sentences = sentences_of(lines)

    assert [(sentence.text, sentence.start) for sentence in sentences] == [
        ("Shield volcanoes have gentle slopes.", 23.0),
        ("explosive eruptions throw ash into the sky Use a tool, e.g.", 28.7),
        ("A hammer.", 36.0),
    ]
    # Inside one line, a full stop before a lower-case word still does not end a sentence.
    assert [sentence.text for sentence in sentences_of([TimedLine(0, 4, "Use a tool, e.g. a hammer. Then stop.")])] == [
        "Use a tool, e.g. a hammer.",
        "Then stop.",
    ]


def test_a_long_unpunctuated_stretch_is_cut_into_pieces_but_a_short_slow_sentence_is_not():
    monologue = [
        TimedLine(index * 5.0, index * 5.0 + 5.0, f"w{index}a w{index}b w{index}c w{index}d") for index in range(12)
    ]
    slow = [TimedLine(0.0, 40.0, "Preheat the oven to two hundred and fifty degrees with the pot inside.")]

    pieces = sentences_of(monologue)

    assert len(pieces) > 1 and all(piece.end - piece.start <= 10.0 for piece in pieces)
    assert " ".join(piece.text for piece in pieces) == " ".join(line.text for line in monologue)
    assert [sentence.text for sentence in sentences_of(slow)] == [slow[0].text]


def test_an_unpunctuated_line_is_cut_where_the_recogniser_heard_pauses():
    # Whisper's word times often have no gaps: a pause is given to the word before it ("flying")
    # or after it ("the"). The pieces must start where the speaker started again, not every ten
    # seconds by the clock.
    said = [
        "explosive eruptions throw ash high into the sky where it can stop planes from flying",
        "scientists watch for small earthquakes because they often come before an eruption",
        "the soil around an old volcano is very rich so farmers grow crops there",
    ]
    stretched = {(0, "flying"), (2, "the")}
    words: list[Word] = []
    clock = 0.0
    for number, sentence in enumerate(said):
        for position, word in enumerate(sentence.split()):
            seconds = 0.1 * len(word) + (1.0 if (number, word) in stretched and (word != "the" or position == 0) else 0)
            words.append(Word(clock, clock + seconds, word))
            clock += seconds
    line = TimedLine(0.0, clock, " ".join(said), words=tuple(words))

    pieces = sentences_of([line])

    assert [piece.text for piece in pieces] == said
    assert [round(piece.start, 2) for piece in pieces] == [0.0, 8.0, 15.0]


def test_the_sentences_around_a_moment_are_the_nearest_in_spoken_order():
    sentences = [Sentence(float(t), t + 4.0, f"Sentence {t}.") for t in range(0, 60, 5)]

    chosen = nearest_sentences(sentences, moment=30.0, low=20.0, high=40.0)

    # 30 holds the moment; 25–29 ends 1 s before it, 35 starts 5 s after, 20–24 ends 6 s before, 40 is 10 s on.
    assert [sentence.start for sentence in chosen] == [20.0, 25.0, 30.0, 35.0]
    assert nearest_sentences(sentences, moment=100.0, low=90.0, high=110.0) == []


def test_words_are_read_from_their_stored_form_and_bad_entries_are_skipped():
    stored = [[1.0, 1.4, " Hello", 0.92], [1.4, 1.8, " world.", None], ["x", 2, "bad"], [2.0, 2.2], None]

    assert words_from_json(stored) == (Word(1.0, 1.4, " Hello", 0.92), Word(1.4, 1.8, " world.", 1.0))
    assert words_from_json(None) == ()


def test_words_are_stored_compactly_and_read_back_to_the_hundredth():
    words = [Word(1.004, 1.396, " Hello", 0.923), Word(1.4, 1.8, " world.", 1.0)]

    stored = words_to_json(words)

    assert stored == [[1.0, 1.4, " Hello", 0.92], [1.4, 1.8, " world.", 1.0]]
    assert words_from_json(stored) == (Word(1.0, 1.4, " Hello", 0.92), Word(1.4, 1.8, " world.", 1.0))
    assert words_to_json([]) is None
