"""The words that changed between two transcripts, as the compare page quotes them: each quote is
words said one after another in the transcript, with an ellipsis where words are left out."""

from __future__ import annotations

from videos.compare.words import TimedLine, transcript_word_diff, word_changes

ELLIPSIS = "…"

SEGMENT = {"a_start": 0.0, "a_end": 20.0, "b_start": 0.0, "b_end": 20.0}


def changes(lines_a: list[TimedLine], lines_b: list[TimedLine]) -> dict[str, list[str]]:
    return word_changes(transcript_word_diff(lines_a, lines_b), [SEGMENT])["0"]


def said_in(quote: list[str], lines: list[TimedLine]) -> bool:
    """Whether every part of `quote` between ellipses is words said one after another in `lines`."""
    transcript = f" {' '.join(text for _, _, text in lines)} "
    parts = " ".join(quote).split(ELLIPSIS)
    return all(f" {part.strip()} " in transcript for part in parts if part.strip())


def test_a_replaced_sentence_is_quoted_whole_though_both_say_a_word_of_it() -> None:
    # The demo's replaced stretch: "a" and "of" are in both sentences, and A's quote used to skip
    # "of" ("soft gradient turns like the hand a clock."). The leading "A" is the word B's "a"
    # matched: said by both, it is not part of the change.
    before = [(0.0, 4.0, "Now a row of bars slides slowly to one side.")]
    lines_a = [*before, (4.0, 8.0, "A soft gradient turns like the hand of a clock.")]
    lines_b = [*before, (4.0, 8.0, "This stretch was replaced by a pattern of flickering blocks.")]

    changed = changes(lines_a, lines_b)

    assert " ".join(changed["removed"]) == "soft gradient turns like the hand of a clock."
    assert " ".join(changed["added"]) == "This stretch was replaced by a pattern of flickering blocks."


def test_a_word_changed_mid_sentence_is_quoted_as_said() -> None:
    lines_a = [(0.0, 5.0, "The hand of the clock turns slowly to the right and stops at noon.")]
    lines_b = [(0.0, 5.0, "The hand of the clock turns quickly to the right and stops at noon.")]

    assert changes(lines_a, lines_b) == {"removed": ["slowly"], "added": ["quickly"]}


def test_words_left_out_between_two_changes_are_an_ellipsis() -> None:
    lines_a = [
        (0.0, 5.0, "We bake the bread in a very hot oven for forty minutes"),
        (5.0, 9.0, "and let it cool on a rack before we cut it."),
    ]
    lines_b = [
        (0.0, 5.0, "We bake the loaf in a very hot oven for forty minutes"),
        (5.0, 9.0, "and let it rest on a rack before we cut it."),
    ]

    changed = changes(lines_a, lines_b)

    assert changed == {"removed": ["bread", ELLIPSIS, "cool"], "added": ["loaf", ELLIPSIS, "rest"]}
    assert said_in(changed["removed"], lines_a) and said_in(changed["added"], lines_b)


def test_a_change_running_across_two_lines_is_one_quote_and_a_long_one_ends_in_an_ellipsis() -> None:
    lines_a = [(0.0, 4.0, "first we chop the onions"), (4.0, 8.0, "very finely indeed and then we stop")]
    lines_b = [(0.0, 4.0, "first we"), (4.0, 8.0, "and then we stop")]
    long_a = [(0.0, 10.0, " ".join(f"w{number}" for number in range(60)))]
    long_b = [(0.0, 10.0, "something else entirely")]

    assert changes(lines_a, lines_b) == {"removed": ["chop", "the", "onions", "very", "finely", "indeed"], "added": []}
    removed = changes(long_a, long_b)["removed"]
    assert removed[-1] == ELLIPSIS and len(removed) == 41 and said_in(removed, long_a)


# What the speech recogniser wrote for one passage read with no background (sage.synthetic_media
# .speech_corpus, PASSAGES[2]) and for the same file with its sound 0.15 s early: the same speech,
# written with other commas and, in places, other words.
HEARD = [
    (0.69, 13.31, "Red needs only four things. Flour, wager, salt, and yeast. Mix the flour and the wager first, "
     "and let them rest for half an hour, so the flour can drink the wager."),
    (28.03, 30.05, "Shape it gently into a round loaf."),
    (30.12, 43.9, "Place it on a floured tray and let it rise once more Make it in a very hot oven until the crust "
     "is deep round and the loaf sounds hollow when you tap the mardom Let it cool before you cut it"),
]  # fmt: skip
HEARD_EARLY = [
    (0.6, 13.22, "Red needs only four things. Flour, water, salt and yeast. Mix the flour and the water first "
     "and let them rest for half an hour so the flour can drink the water."),
    (27.92, 29.92, "Shape it gently into a round loaf."),
    (30.05, 43.83, "Place it on a floured tray and let it rise once more Make it in a merry heart oven until the "
     "crust is deep round and the loaf sounds hollow when you tap the bottom Let it cool before you cut it"),
]  # fmt: skip


def test_the_same_words_with_other_commas_and_case_are_no_change() -> None:
    lines_a = [(0.76, 9.52, "Farmers arrive before sunrise and set out their tables. Most people come with bags")]
    lines_b = [(0.6, 9.3, "farmers arrive before sunrise, and set out their tables, most people come with bags.")]

    assert word_changes(transcript_word_diff(lines_a, lines_b), [SEGMENT]) == {}


def test_a_finding_of_the_same_sound_heard_at_another_time_quotes_no_words() -> None:
    whole = {"a_start": 0.0, "a_end": 44.0, "b_start": 0.0, "b_end": 44.0}
    segments = [{**whole, "kind": kind} for kind in ("av_sync", "speed", "moved", "audio")]

    changes = word_changes(transcript_word_diff(HEARD, HEARD_EARLY), segments)

    # A sound difference over the same time still quotes what the two transcripts say differently,
    # and commas are not among it.
    assert list(changes) == ["3"]
    assert changes["3"]["removed"][:3] == ["wager,", ELLIPSIS, "wager"]
    assert changes["3"]["added"][:3] == ["water,", ELLIPSIS, "water"]
    assert not {"salt,", "hour,"} & set(changes["3"]["removed"]) and not {"salt", "hour"} & set(changes["3"]["added"])
