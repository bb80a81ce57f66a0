"""Transcript chunks for search and chat: windows of about `target_seconds` on sentence boundaries,
each starting with the last few seconds of the one before, so a passage near an edge is found
whole from either side.

Captions cut sentences anywhere, so the segments' texts are read as one stream in which every
character has a time (linear within its segment); sentences are found in that stream and take the
times of their first and last characters. Pure and deterministic: same segments, same chunks.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from videos.transcripts.base import Segment

# A window closes between these fractions of the target (30–45 s for 40 s) when sentence lengths
# allow; a single sentence longer than LONG_SENTENCE × target is cut at words into pieces of about
# WORD_PIECE × target, so no window has to swallow a monologue without full stops.
MIN_FRACTION = 0.75
MAX_FRACTION = 1.125
LONG_SENTENCE = 1.5
WORD_PIECE = 0.25
# Overlap carried into the next window: trailing sentences that together start at most this many
# times `overlap_seconds` before the window's end (a sentence is carried whole or not at all).
OVERLAP_SLACK = 1.5

# Terminal punctuation (with closing quotes or brackets) followed by space. CJK full stops need no space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+|[。！？]+[\"'”’)\]]*\s*")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    """A window of the transcript: `text` said from `start` to `end` seconds."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a piece of an overlong one) with its times."""

    start: float
    end: float
    text: str


class _TimedText:
    """The segments' texts joined by single spaces, with a time for every character position."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        parts: list[str] = []
        self._char_starts: list[int] = []
        self._char_ends: list[int] = []
        self._segments: list[Segment] = []
        position = 0
        for segment in segments:
            text = segment.text.strip()
            if not text:
                continue
            if parts:
                parts.append(" ")
                position += 1
            self._char_starts.append(position)
            self._char_ends.append(position + len(text))
            self._segments.append(segment)
            parts.append(text)
            position += len(text)
        self.text = "".join(parts)

    def start_time(self, position: int) -> float:
        """When the character at `position` is said."""
        index = max(0, bisect.bisect_right(self._char_starts, position) - 1)
        return self._time(index, position)

    def end_time(self, position: int) -> float:
        """When the character just before `position` has been said."""
        index = min(len(self._segments) - 1, bisect.bisect_left(self._char_ends, position))
        return self._time(index, position)

    def _time(self, index: int, position: int) -> float:
        segment = self._segments[index]
        first, last = self._char_starts[index], self._char_ends[index]
        fraction = min(1.0, max(0.0, (position - first) / max(1, last - first)))
        return segment.start + (segment.end - segment.start) * fraction


def chunk_segments(segments: Sequence[Segment], *, target_seconds: float, overlap_seconds: float) -> list[Chunk]:
    """Chunks of the transcript in time order (see the module doc). No text, no chunks."""
    if target_seconds <= 0 or overlap_seconds < 0:
        raise ValueError("target_seconds must be positive and overlap_seconds not negative")
    ordered = sorted(segments, key=lambda segment: (segment.start, segment.end))
    units = _units(_TimedText(ordered), target_seconds=target_seconds)
    return _windows(units, target_seconds=target_seconds, overlap_seconds=overlap_seconds)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences in `text`, without surrounding spaces. A full
    stop followed by a lower-case letter ("e.g. this") does not end a sentence."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        following = text[match.end() : match.end() + 1]
        if following.islower():
            continue
        spans.append((begin, match.end()))
        begin = match.end()
    spans.append((begin, len(text)))
    trimmed = []
    for start, end in spans:
        piece = text[start:end]
        stripped_start = start + len(piece) - len(piece.lstrip())
        stripped_end = end - (len(piece) - len(piece.rstrip()))
        if stripped_end > stripped_start:
            trimmed.append((stripped_start, stripped_end))
    return trimmed


def _units(timed: _TimedText, *, target_seconds: float) -> list[_Unit]:
    units: list[_Unit] = []
    for first, last in split_sentences(timed.text):
        start, end = timed.start_time(first), timed.end_time(last)
        if end - start <= LONG_SENTENCE * target_seconds:
            units.append(_Unit(start, end, timed.text[first:last]))
        else:
            units.extend(_word_pieces(timed, first, last, piece_seconds=WORD_PIECE * target_seconds))
    return units


def _word_pieces(timed: _TimedText, first: int, last: int, *, piece_seconds: float) -> list[_Unit]:
    """An overlong sentence cut between words into pieces lasting at most `piece_seconds` (a piece
    is at least one word)."""
    pieces: list[_Unit] = []
    words: list[str] = []
    piece_start = piece_end = 0.0
    for match in _WORD.finditer(timed.text, first, last):
        start, end = timed.start_time(match.start()), timed.end_time(match.end())
        if words and end - piece_start > piece_seconds:
            pieces.append(_Unit(piece_start, piece_end, " ".join(words)))
            words = []
        if not words:
            piece_start = start
        words.append(match.group())
        piece_end = end
    if words:
        pieces.append(_Unit(piece_start, piece_end, " ".join(words)))
    return pieces


def _windows(units: Sequence[_Unit], *, target_seconds: float, overlap_seconds: float) -> list[Chunk]:
    lowest, highest = MIN_FRACTION * target_seconds, MAX_FRACTION * target_seconds
    chunks: list[Chunk] = []
    carried: list[_Unit] = []
    next_index = 0
    while next_index < len(units):
        if carried and units[next_index].end - carried[0].start > highest:
            carried = []  # a long sentence next: starting it alone beats an oversized window
        window = list(carried)
        window.append(units[next_index])  # every window brings at least one new sentence
        next_index += 1
        while next_index < len(units):
            unit = units[next_index]
            span_now = window[-1].end - window[0].start
            span_with = unit.end - window[0].start
            # Past the upper bound only to get out of a window that is still too short, and only
            # when that lands nearer the target.
            if span_with > highest and (
                span_now >= lowest or abs(span_with - target_seconds) >= abs(span_now - target_seconds)
            ):
                break
            window.append(unit)
            next_index += 1
        chunks.append(Chunk(window[0].start, window[-1].end, " ".join(unit.text for unit in window)))
        carried = _overlap(window, overlap_seconds=overlap_seconds)
    return chunks


def _overlap(window: Sequence[_Unit], *, overlap_seconds: float) -> list[_Unit]:
    """The trailing sentences of `window` to repeat at the start of the next: those starting within
    OVERLAP_SLACK × overlap_seconds of its end, stopping once overlap_seconds are covered. Never the
    whole window, or the next one would not move on."""
    if overlap_seconds <= 0:
        return []
    end = window[-1].end
    first = len(window)
    for index in range(len(window) - 1, 0, -1):
        covered = end - window[index].start
        if covered > OVERLAP_SLACK * overlap_seconds:
            break
        first = index
        if covered >= overlap_seconds:
            break
    return list(window[first:])
