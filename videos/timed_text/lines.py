"""Transcript lines and the one stream of text they make, in which every character has a time.

A line is what a transcript source gives: a caption, or a phrase the recogniser heard, with its
times, and (from the recogniser) the time of each word and whether it was heard with low confidence.
Captions cut sentences anywhere, so everything above lines (sentences, windows) reads the lines'
texts as one stream and asks it when a character was said: at a recognised word, the word's own
times; elsewhere, linear within the line by character.

Pure library code (no models, no DB).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class Word:
    """A recognised word: `text` said from `start` to `end` seconds, heard with `probability`."""

    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True)
class TimedLine:
    """A transcript line: `text` said from `start` to `end` seconds. `words`: the recogniser's words
    with their times, when it gave them; `low_confidence`: the recogniser was unsure of the line."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    low_confidence: bool = False


# A line's words as `TranscriptSegment.words` stores them: a compact JSON list,
# `[[start, end, "word", probability], ...]`, seconds and probability rounded to 0.01. About a
# quarter of the size of a list of objects, for some ten thousand words an hour.


def words_to_json(words: Iterable[Word]) -> list[list[Any]] | None:
    """The stored form of `words`; None when there are none (subtitles and captions have no words)."""
    stored = [[round(word.start, 2), round(word.end, 2), word.text, round(word.probability, 2)] for word in words]
    return stored or None


def words_from_json(value: Any) -> tuple[Word, ...]:
    """Words stored as `[[start, end, "word", probability], ...]` (None, or anything malformed: none)."""
    if not isinstance(value, list):
        return ()
    words: list[Word] = []
    for item in value:
        if not isinstance(item, list | tuple) or len(item) < 3:
            continue
        try:
            start, end = float(item[0]), float(item[1])
            probability = float(item[3]) if len(item) > 3 and item[3] is not None else 1.0
        except (TypeError, ValueError):
            continue
        if math.isfinite(start) and math.isfinite(end) and isinstance(item[2], str) and item[2].strip():
            words.append(Word(start, max(start, end), item[2], probability))
    return tuple(words)


class TimedStream:
    """The lines' texts (sorted by time, trimmed, empty ones left out) joined by single spaces, with
    a time for every character position."""

    def __init__(self, lines: Sequence[TimedLine]) -> None:
        parts: list[str] = []
        # (position, time) anchors in text order; times never go back. Between two anchors a time
        # is interpolated linearly by character.
        self._positions: list[int] = []
        self._times: list[float] = []
        self._line_firsts: list[int] = []
        self._line_flags: list[bool] = []
        position = 0
        for line in sorted(lines, key=lambda line: (line.start, line.end)):
            text = line.text.strip()
            if not text:
                continue
            if parts:
                parts.append(" ")
                position += 1
            self._line_firsts.append(position)
            self._line_flags.append(line.low_confidence)
            self._anchor(position, line.start)
            for first, last, word in _placed_words(text, line.words):
                self._anchor(position + first, word.start)
                self._anchor(position + last, word.end)
            if self._positions[-1] != position + len(text):  # a last word's own end is the better time
                self._anchor(position + len(text), line.end)
            parts.append(text)
            position += len(text)
        self.text = "".join(parts)

    def _anchor(self, position: int, time: float) -> None:
        if self._times:
            time = max(time, self._times[-1])
        if self._positions and self._positions[-1] == position:
            # Two times for one position (a word starting where its line starts): the later holds,
            # so the first word's own start wins over a line start set a little early (a line's end
            # is not anchored where its last word ended).
            self._times[-1] = time
            return
        self._positions.append(position)
        self._times.append(time)

    @property
    def line_starts(self) -> frozenset[int]:
        """The character positions where the lines start in `text`."""
        return frozenset(self._line_firsts)

    def time_at(self, position: int) -> float:
        """When the character at `position` is said (its start), or, for the position just past a
        piece of text, when that piece has been said."""
        index = bisect.bisect_right(self._positions, position) - 1
        if index < 0:
            return self._times[0]
        if index >= len(self._positions) - 1:
            return self._times[-1]
        first, last = self._positions[index], self._positions[index + 1]
        fraction = (position - first) / max(1, last - first)
        return self._times[index] + (self._times[index + 1] - self._times[index]) * fraction

    def low_confidence(self, first: int, last: int) -> bool:
        """Whether any line the characters first..last come from was heard with low confidence."""
        start_line = max(0, bisect.bisect_right(self._line_firsts, first) - 1)
        end_line = max(0, bisect.bisect_right(self._line_firsts, max(first, last - 1)) - 1)
        return any(self._line_flags[start_line : end_line + 1])


def _placed_words(text: str, words: Sequence[Word]) -> list[tuple[int, int, Word]]:
    """Where each word is in the line's text, (first, last) character positions, in order. A word
    that cannot be found after the one before is left out (its times then come from its neighbours)."""
    placed: list[tuple[int, int, Word]] = []
    cursor = 0
    lowered = text.lower()
    for word in words:
        spelled = word.text.strip()
        if not spelled:
            continue
        found = lowered.find(spelled.lower(), cursor)
        if found < 0:
            continue
        placed.append((found, found + len(spelled), word))
        cursor = found + len(spelled)
    return placed


class _Starts(Protocol):
    @property
    def start(self) -> float: ...


Timed = TypeVar("Timed", bound=_Starts)


def said_then_shown(said: Iterable[Timed], shown: Iterable[Timed]) -> list[Timed]:
    """What is said and what is shown on screen as one list in time order: sorted by start only (a
    stable sort), so a said line comes before a shown one that starts with it. The transcript panel,
    its files and its captions all read the two this way."""
    return sorted([*said, *shown], key=lambda line: line.start)
