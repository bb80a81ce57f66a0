"""Following lines of on-screen text from one read of a frame to the next, into timed lines.

A line read again stays one line: the same letters near the same place on a still picture; while the
camera moves, a near-identical reading with the same numbers, anywhere. Its best-confidence spelling
wins. A line that came or went while the picture was changing for more than a moment is
timed by bisecting the frames kept in between.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from videos.screen_text.engine import Observation


@dataclass(frozen=True)
class ShownLine:
    start: float  # seconds
    end: float
    text: str
    box: tuple[float, float, float, float]  # left, top, width, height as fractions of the frame
    confidence: float  # 0..1


# Two readings of one line: at least this similar (difflib's ratio over their normalised letters).
SIMILAR_READING = 0.8
# Boxes of one line in two reads of a still picture overlap at least this much (intersection over union).
SAME_PLACE_OVERLAP = 0.3
# Lines whose best reading is under this confidence, or with fewer letters and digits, are junk.
MIN_LINE_CONFIDENCE = 0.75
MIN_LINE_CHARACTERS = 2
# A change that settled within this many seconds is timed at its start; a longer one is bisected.
QUICK_CHANGE = 1.0


class FramesBetween(Protocol):
    """Frames kept between two reads, in time order, each read on demand."""

    def __len__(self) -> int: ...

    def time(self, index: int) -> float: ...

    def observations(self, index: int) -> list[Observation]: ...


@dataclass
class _Track:
    start: float
    last_seen: float
    readings: list[Observation] = field(default_factory=list)
    end: float | None = None

    @property
    def best(self) -> Observation:
        return max(self.readings, key=lambda reading: reading.confidence)

    @property
    def latest(self) -> Observation:
        return self.readings[-1]


class LineTracker:
    def __init__(self) -> None:
        self.open: list[_Track] = []
        self.closed: list[_Track] = []

    def observe(
        self,
        time: float,
        observations: Sequence[Observation],
        *,
        change_start: float,
        between: FramesBetween,
        moving: bool = False,
        quick: bool = True,
    ) -> None:
        """What a read at `time` saw; the picture had been as at the previous read until `change_start`.
        `quick`: it changed once, then settled (what came or went did so at `change_start`)."""
        unmatched = list(observations)
        still_open: list[_Track] = []
        for track in self.open:
            match = _best_match(track.latest, unmatched, moving=moving)
            if match is None:
                track.end = self._when(
                    change_start, time, between, quick, lambda seen, t=track: not _present(t.latest, seen, moving)
                )
                track.end = max(track.end, track.start)
                self.closed.append(track)
                continue
            unmatched.remove(match)
            track.readings.append(match)
            track.last_seen = time
            still_open.append(track)
        for observation in unmatched:
            appeared = self._when(
                change_start, time, between, quick, lambda seen, o=observation: _present(o, seen, moving=True)
            )
            still_open.append(_Track(start=min(appeared, time), last_seen=time, readings=[observation]))
        self.open = still_open

    @staticmethod
    def _when(change_start: float, time: float, between: FramesBetween, quick: bool, changed: object) -> float:
        """When a line changed state (came or went) between the change's start and this read: the
        change's start when it settled quickly; otherwise the middle of the kept frames' interval
        where `changed(observations)` first turns true (this read shows the new state)."""
        if quick or len(between) == 0:
            return change_start
        assert callable(changed)
        # Smallest index whose frame already shows the new state; len(between) stands for this read.
        low, high = 0, len(between)
        while low < high:
            middle = (low + high) // 2
            if changed(between.observations(middle)):
                high = middle
            else:
                low = middle + 1
        if low == 0:
            return change_start
        before = between.time(low - 1)
        after = between.time(low) if low < len(between) else time
        return (before + after) / 2

    def close_all(self, end_time: float) -> None:
        for track in self.open:
            track.end = end_time
            self.closed.append(track)
        self.open = []

    def lines(self, end_time: float) -> list[ShownLine]:
        """Every line followed, junk dropped, in order of appearance."""
        self.close_all(end_time)
        lines = []
        for track in self.closed:
            best = track.best
            if best.confidence < MIN_LINE_CONFIDENCE or sum(map(str.isalnum, best.text)) < MIN_LINE_CHARACTERS:
                continue
            end = track.end if track.end is not None else end_time
            lines.append(
                ShownLine(
                    start=round(track.start, 2),
                    end=round(max(end, track.start), 2),
                    text=_spelling(track.readings),
                    box=(
                        round(float(best.box[0]), 4),
                        round(float(best.box[1]), 4),
                        round(float(best.box[2]), 4),
                        round(float(best.box[3]), 4),
                    ),
                    confidence=round(best.confidence, 3),
                )
            )
        return sorted(lines, key=lambda line: (line.start, line.box[1], line.box[0]))


def _digits(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


def _letters(text: str) -> str:
    """What two readings of one line share: the recogniser's spacing varies from frame to frame
    ("EXIT25NORTH", "EXIT 25 NORTH") on widely spaced letters, its case rarely."""
    return "".join(text.casefold().split())


def _spelling(readings: Sequence[Observation]) -> str:
    """The best-confidence reading's letters, spaced as the reading of them with the most word breaks
    (a dropped space is the recogniser's commonest slip; it does not invent one)."""
    best = max(readings, key=lambda reading: reading.confidence)
    same_letters = [reading.text for reading in readings if _letters(reading.text) == _letters(best.text)]
    return max(same_letters, key=lambda text: (text.count(" "), text == best.text))


def _similarity(one: Observation, other: Observation, *, moving: bool) -> float:
    """How alike two readings are as the same line (0 when they cannot be one). On a still picture a
    line reads the same each time, so readings that differ are two lines ("Part 1: sorting" on one
    slide, "Part 2: sorting" on the next); while the camera moves, grain and scale change the reading,
    and near-identical readings are one line unless a number in them changed."""
    first, second = _letters(one.text), _letters(other.text)
    if first == second:
        return 1.0
    # A number that changed ("Day 1", "Day 2") makes another line; a letter read as a digit ("1iter")
    # adds one and does not.
    digits = _digits(first), _digits(second)
    if not moving or (all(digits) and len(digits[0]) == len(digits[1]) and digits[0] != digits[1]):
        return 0.0
    ratio = difflib.SequenceMatcher(None, first, second, autojunk=False).ratio()
    return ratio if ratio >= SIMILAR_READING else 0.0


def _overlap(one: tuple[float, float, float, float], other: tuple[float, float, float, float]) -> float:
    left, top = max(one[0], other[0]), max(one[1], other[1])
    right, bottom = min(one[0] + one[2], other[0] + other[2]), min(one[1] + one[3], other[1] + other[3])
    intersection = max(0.0, right - left) * max(0.0, bottom - top)
    union = one[2] * one[3] + other[2] * other[3] - intersection
    return intersection / union if union > 0 else 0.0


def _best_match(reading: Observation, candidates: Sequence[Observation], *, moving: bool) -> Observation | None:
    scored = []
    for candidate in candidates:
        similarity = _similarity(reading, candidate, moving=moving)
        if similarity == 0.0:
            continue
        if not moving and _overlap(reading.box, candidate.box) < SAME_PLACE_OVERLAP:
            continue
        scored.append((similarity, _overlap(reading.box, candidate.box), candidate))
    if not scored:
        return None
    return max(scored, key=lambda item: (item[0], item[1]))[2]


def _present(reading: Observation, seen: Sequence[Observation], moving: bool) -> bool:
    return _best_match(reading, seen, moving=moving) is not None
