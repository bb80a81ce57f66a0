"""Windows of a transcript for search and chat: about `target_seconds` each on sentence boundaries,
each starting with the last few seconds of the one before, so a passage near an edge is found whole
from either side. Pure and deterministic: same lines, same windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from videos.timed_text.lines import TimedLine
from videos.timed_text.sentences import Sentence, sentences_of

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


@dataclass(frozen=True)
class Window:
    """A window of the transcript: `text` said from `start` to `end` seconds."""

    start: float
    end: float
    text: str


def windows_of(lines: Sequence[TimedLine], *, target_seconds: float, overlap_seconds: float) -> list[Window]:
    """Windows of the transcript in time order (see the module doc). No text, no windows."""
    if target_seconds <= 0 or overlap_seconds < 0:
        raise ValueError("target_seconds must be positive and overlap_seconds not negative")
    units = sentences_of(lines, max_seconds=LONG_SENTENCE * target_seconds, piece_seconds=WORD_PIECE * target_seconds)
    return _windows(units, target_seconds=target_seconds, overlap_seconds=overlap_seconds)


def _windows(units: Sequence[Sentence], *, target_seconds: float, overlap_seconds: float) -> list[Window]:
    lowest, highest = MIN_FRACTION * target_seconds, MAX_FRACTION * target_seconds
    windows: list[Window] = []
    carried: list[Sentence] = []
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
        windows.append(Window(window[0].start, window[-1].end, " ".join(unit.text for unit in window)))
        carried = _overlap(window, overlap_seconds=overlap_seconds)
    return windows


def _overlap(window: Sequence[Sentence], *, overlap_seconds: float) -> list[Sentence]:
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
