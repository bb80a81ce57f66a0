"""The transcript around a moment: the few sentences that best describe it."""

from __future__ import annotations

from collections.abc import Sequence

from videos.timed_text.sentences import Sentence

# What an extractive note quotes: a few sentences, nearest the note's time first.
MAX_SENTENCES = 4
MAX_CHARACTERS = 600


def _distance(sentence: Sentence, moment: float) -> float:
    if sentence.start <= moment <= sentence.end:
        return 0.0
    return min(abs(sentence.start - moment), abs(sentence.end - moment))


def nearest_sentences(sentences: Sequence[Sentence], *, moment: float, low: float, high: float) -> list[Sentence]:
    """The sentences said between `low` and `high` nearest `moment` (at most MAX_SENTENCES, about
    MAX_CHARACTERS in all, never none when one is there), in the order they are said."""
    inside = [sentence for sentence in sentences if sentence.end >= low and sentence.start <= high]
    chosen: list[Sentence] = []
    characters = 0
    for sentence in sorted(inside, key=lambda sentence: (_distance(sentence, moment), sentence.start)):
        if len(chosen) == MAX_SENTENCES or (chosen and characters + len(sentence.text) > MAX_CHARACTERS):
            break
        chosen.append(sentence)
        characters += len(sentence.text)
    return sorted(chosen, key=lambda sentence: sentence.start)
