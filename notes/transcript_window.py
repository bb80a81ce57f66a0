"""The transcript around a moment, as sentences with times, and the few that best describe it.

Pure functions (no models, no DB). Caption lines cut sentences anywhere, so the lines' texts are read
as one stream in which every character has a time (linear within its line); sentences are found in
that stream. Captions without punctuation make one endless "sentence": it is cut between words.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from videos.transcripts.chunks import split_sentences

# What an extractive note quotes: a few sentences, nearest the note's time first.
MAX_SENTENCES = 4
MAX_CHARACTERS = 600
# A "sentence" longer than this (captions without full stops) is cut into pieces of this many words.
LONG_SENTENCE_CHARACTERS = 300
WORDS_PER_PIECE = 25

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class TimedText:
    """`text` said from `start` to `end` seconds: a caption line, or a sentence."""

    start: float
    end: float
    text: str


class _Stream:
    """The lines' texts joined by single spaces, with a time for every character position."""

    def __init__(self, lines: Sequence[TimedText]) -> None:
        parts: list[str] = []
        self._firsts: list[int] = []
        self._lasts: list[int] = []
        self._lines: list[TimedText] = []
        position = 0
        for line in sorted(lines, key=lambda line: (line.start, line.end)):
            text = line.text.strip()
            if not text:
                continue
            if parts:
                parts.append(" ")
                position += 1
            self._firsts.append(position)
            self._lasts.append(position + len(text))
            self._lines.append(line)
            parts.append(text)
            position += len(text)
        self.text = "".join(parts)

    def time_at(self, position: int) -> float:
        index = min(max(0, bisect.bisect_right(self._firsts, position) - 1), len(self._lines) - 1)
        line, first, last = self._lines[index], self._firsts[index], self._lasts[index]
        fraction = min(1.0, max(0.0, (position - first) / max(1, last - first)))
        return line.start + (line.end - line.start) * fraction

    def piece(self, first: int, last: int) -> TimedText:
        return TimedText(self.time_at(first), self.time_at(last), self.text[first:last])


def timed_sentences(lines: Sequence[TimedText]) -> list[TimedText]:
    """The sentences said in `lines`, in order, each with the times of its first and last character."""
    stream = _Stream(lines)
    if not stream.text:
        return []
    sentences: list[TimedText] = []
    for first, last in split_sentences(stream.text):
        if last - first <= LONG_SENTENCE_CHARACTERS:
            sentences.append(stream.piece(first, last))
            continue
        words = list(_WORD.finditer(stream.text, first, last))
        for index in range(0, len(words), WORDS_PER_PIECE):
            group = words[index : index + WORDS_PER_PIECE]
            sentences.append(stream.piece(group[0].start(), group[-1].end()))
    return sentences


def _distance(sentence: TimedText, moment: float) -> float:
    if sentence.start <= moment <= sentence.end:
        return 0.0
    return min(abs(sentence.start - moment), abs(sentence.end - moment))


def nearest_sentences(sentences: Sequence[TimedText], *, moment: float, low: float, high: float) -> list[TimedText]:
    """The sentences said between `low` and `high` nearest `moment` (at most MAX_SENTENCES, about
    MAX_CHARACTERS in all, never none when one is there), in the order they are said."""
    inside = [sentence for sentence in sentences if sentence.end >= low and sentence.start <= high]
    chosen: list[TimedText] = []
    characters = 0
    for sentence in sorted(inside, key=lambda sentence: (_distance(sentence, moment), sentence.start)):
        if len(chosen) == MAX_SENTENCES or (chosen and characters + len(sentence.text) > MAX_CHARACTERS):
            break
        chosen.append(sentence)
        characters += len(sentence.text)
    return sorted(chosen, key=lambda sentence: sentence.start)
