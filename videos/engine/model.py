"""What the engine reads and writes, in one place: the matched span (a stretch shown in both videos,
as the alignment finds it and every pass reads it) and what keeps a list of them in order, the
finding (`Difference`), and what was measured along a stretch (`Measured`). The pair's signals,
built once and shared by every pass, are videos.engine.signals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from sage.timebase import Timebase

# Every measure along a span steps this far on A (screening, verifying, judging).
STEP = 0.1

# A comparison's settings, as a comparison row keeps them: how the videos are aligned, and (engine
# 1's clip grid only) how two clip vectors' distance is measured.
Alignment = Literal["none", "offset", "cuts"]
ALIGNMENTS: tuple[Alignment, ...] = ("none", "offset", "cuts")
Metric = Literal["cosine", "euclidean"]
METRICS: tuple[Metric, ...] = ("cosine", "euclidean")

# Spans shorter than this on both videos are dropped (their time goes to the neighbours' edges).
MIN_SPAN_SECONDS = 0.5


@dataclass(frozen=True)
class MatchedSpan:
    """A stretch shown in both videos: A from a_start to a_end is B from b_start to b_end (at
    `rate`, B seconds per A second, when the two lengths differ: a speed change).

    Engine 3: B's sound is `sound_lag` seconds later against B's picture than A's is against A's,
    at a_start, and that lag grows by `sound_drift` seconds per second of A (0, 0: in sync)."""

    a_start: float
    a_end: float
    b_start: float
    b_end: float
    sound_lag: float = 0.0
    sound_drift: float = 0.0

    @property
    def offset(self) -> float:
        return self.b_start - self.a_start

    @property
    def rate(self) -> float:
        length = self.a_end - self.a_start
        return (self.b_end - self.b_start) / length if length > 0 else 1.0

    def as_list(self) -> list[float]:
        """[a_start, a_end, b_start, b_end], with [sound_lag, sound_drift] after them when not in sync."""
        times = [round(self.a_start, 3), round(self.a_end, 3), round(self.b_start, 3), round(self.b_end, 3)]
        if self.sound_lag or self.sound_drift:
            times += [round(self.sound_lag, 4), round(self.sound_drift, 6)]
        return times


@dataclass(frozen=True)
class Line:
    """B's time as a line of A's: B = b_start + (A − a_start)·rate for A from a_start to a_end
    (a speed change, or with rate 1 an offset)."""

    a_start: float
    a_end: float
    b_start: float
    rate: float

    def b_at(self, times: np.ndarray | float) -> np.ndarray | float:
        return self.b_start + (times - self.a_start) * self.rate

    @property
    def b_end(self) -> float:
        return self.b_start + (self.a_end - self.a_start) * self.rate


Vote = tuple[float, float, float]  # a window's (start, end) on A and the offset it votes for


def monotone(spans: list[MatchedSpan]) -> list[MatchedSpan]:
    """Spans in order along both videos, none overlapping the one before on either video."""
    ordered: list[MatchedSpan] = []
    for span in spans:
        if ordered:
            previous = ordered[-1]
            a_start = max(span.a_start, previous.a_end)
            b_start = max(span.b_start, previous.b_end)
            # Moved along its own line: B moves `rate` seconds per second of A.
            rate = span.rate
            shift = max(a_start - span.a_start, (b_start - span.b_start) / rate)
            span = MatchedSpan(span.a_start + shift, span.a_end, span.b_start + shift * rate, span.b_end)
            if span.a_end - span.a_start < MIN_SPAN_SECONDS:
                continue
        ordered.append(span)
    return ordered


# Engine 3 (issue 37) adds findings that are not "this stretch looks or sounds different":
# "moved" (A a_start–a_end is shown at B b_start–b_end, elsewhere), "av_sync" (B's sound is `lag`
# seconds late against its picture, compared with A; `drift` when the lag grows), "speed" (B plays
# the stretch `ratio` times as fast as A) and "text" (the text on screen reads `text_a` on A and
# `text_b` on B at the same moment).
DifferenceKind = Literal["visual", "audio", "both", "only_a", "only_b", "moved", "av_sync", "speed", "text"]
Severity = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class Difference:
    """A run of adjacent aligned pairs that differ, or a run of clips only one video has (the API
    and the page list them under `segments`; a transcript line is `videos.timed_text.TimedLine`).

    `kind`: "visual", "audio" or "both" (which distance passed the threshold anywhere in the run),
    "only_a" or "only_b". Times are seconds on each video. For "only_b", `a_start == a_end` is the
    point on A where B's extra stretch sits (and the other way round for "only_a"); None only when
    that video has no clips at all. `peak`/`mean`: the largest and the average over the run's pairs
    of max(visual, audio) distance; `severity` from the peak (see `severity_for`). Both None for
    "only_a"/"only_b", which have nothing to measure. `first_pair`/`last_pair`: indexes of the run's
    first and last pair in the alignment (inclusive)."""

    kind: DifferenceKind
    a_start: float | None
    a_end: float | None
    b_start: float | None
    b_end: float | None
    peak: float | None
    mean: float | None
    severity: Severity | None
    # Engine 1: the run's first and last pair in the clip alignment (inclusive). Engine 2 has no
    # pairs; it says instead how visible the picture's and how audible the sound's change is at
    # its peak (0-1, see videos.engine.verify), None where not measured.
    first_pair: int | None = None
    last_pair: int | None = None
    picture: float | None = None
    sound: float | None = None
    # Engine 3. "av_sync": seconds B's sound lags its picture, relative to A, at the finding's start
    # (negative: early), and how many milliseconds per minute that lag grows (None: it holds).
    lag: float | None = None
    drift: float | None = None
    # "speed": B's playback speed over the stretch relative to A (1.042: B runs 4.2 % fast).
    ratio: float | None = None
    # "text": what the changed on-screen line reads on each side ("" where one side shows none).
    text_a: str | None = None
    text_b: str | None = None
    # "both": a stretch of A replaced in place by other footage of about the same length.
    replaced: bool = False


def finding_over(
    first: MatchedSpan,
    last: MatchedSpan,
    kind: DifferenceKind,
    severity: Severity,
    *,
    ratio: float | None = None,
    lag: float | None = None,
    drift: float | None = None,
) -> Difference:
    """An engine-3 finding ("speed", "av_sync") over matched spans `first` to `last` (the same span
    for one): it measures no distance, so it has no peak or mean, only its own `ratio` or `lag`."""
    return Difference(
        kind=kind,
        a_start=first.a_start,
        a_end=last.a_end,
        b_start=first.b_start,
        b_end=last.b_end,
        peak=None,
        mean=None,
        severity=severity,
        lag=lag,
        drift=drift,
        ratio=ratio,
    )


@dataclass(frozen=True)
class Stretch:
    """A candidate: A from a_start to a_end, B shifted by `offset` (B time = A time + offset).

    Engine 3: B plays at `rate` B seconds per A second from a_start, and B's sound is heard
    `sound_lag` seconds after its picture (both against A)."""

    a_start: float
    a_end: float
    offset: float
    rate: float = 1.0
    sound_lag: float = 0.0

    def b_time(self, a_time: float) -> float:
        """B's picture time facing `a_time` on A."""
        return self.a_start + self.offset + (a_time - self.a_start) * self.rate

    def steps(self) -> np.ndarray:
        count = max(1, round((self.a_end - self.a_start) / STEP))
        times: np.ndarray = self.a_start + (np.arange(count) + 0.5) * STEP
        return times


# A's frames between two steps of a measured stretch where its picture's change comes or goes: from
# the frame shown at the earlier step to the one shown at the later, each as (its start in seconds on
# A, its picture score against B's frame facing it).
EdgeFrames = tuple[tuple[float, float], ...]


@dataclass(frozen=True, eq=False)
class Measured:
    """A verified stretch: its steps are at a_start + (k + ½)·STEP on A, B = A + offset at a_start
    and moving `rate` B seconds per A second from there (1: the same speed); per step the picture
    and the sound score (NaN where not measured; `sound` None without sound).

    Where the files were decoded, `edges` holds, by the index of the later of two steps, A's frames
    between two steps whose picture scores jump (see EdgeFrames), and `rates` the two files' exact
    frame rates: a changed stretch then starts and ends on the frame at any threshold
    (`change_start`, `change_end`). Rows stored before them have neither: their edges stay on the steps."""

    a_start: float
    offset: float
    picture: np.ndarray
    sound: np.ndarray | None
    rate: float = 1.0
    edges: dict[int, EdgeFrames] = field(default_factory=dict)
    rates: tuple[Fraction, Fraction] | None = None

    def as_json(self) -> dict[str, Any]:
        def floats(values: np.ndarray | None) -> list[float | None] | None:
            if values is None:
                return None
            return [None if math.isnan(value) else round(value, 3) for value in values.tolist()]

        row: dict[str, Any] = {
            "a_start": round(self.a_start, 3),
            "offset": round(self.offset, 3),
            "picture": floats(self.picture),
            "sound": floats(self.sound),
        }
        if self.rate != 1.0:  # stored rows from before speed changes have none: 1.0
            row["rate"] = round(self.rate, 6)
        if self.edges:
            # Starts to the microsecond: a frame's start must read back as that frame's.
            row["edges"] = {
                str(step): [[round(start, 6), round(score, 3)] for start, score in frames]
                for step, frames in self.edges.items()
            }
        if self.rates is not None:
            row["rates"] = [str(rate) for rate in self.rates]
        return row

    @staticmethod
    def from_json(row: dict[str, Any]) -> Measured:
        def array(values: list[float | None] | None) -> np.ndarray | None:
            if values is None:
                return None
            return np.array([math.nan if value is None else value for value in values], np.float64)

        picture = array(row["picture"])
        assert picture is not None
        rates = row.get("rates")
        return Measured(
            a_start=row["a_start"],
            offset=row["offset"],
            picture=picture,
            sound=array(row["sound"]),
            rate=row.get("rate", 1.0),
            edges={
                int(step): tuple((float(start), float(score)) for start, score in frames)
                for step, frames in row.get("edges", {}).items()
            },
            rates=(Fraction(rates[0]), Fraction(rates[1])) if rates else None,
        )

    def times(self) -> np.ndarray:
        steps: np.ndarray = self.a_start + (np.arange(len(self.picture)) + 0.5) * STEP
        return steps

    def b_time(self, a_time: float) -> float:
        """B's time facing `a_time` on A."""
        return self.a_start + self.offset + (a_time - self.a_start) * self.rate

    def change_start(self, step: int, threshold: float) -> float:
        """Where on A a change on from `step` (and not at the step before) begins: the start of its
        first changed frame. From the frames between the two steps where they were scored (the
        earliest of the frames up to `step`'s that all pass `threshold`), else the start of the
        frame on screen where the two steps meet (sage.timebase's rule for a time between frames)."""
        frames = self.edges.get(step, ())
        if frames and frames[-1][1] > threshold:
            first = len(frames) - 1
            while first > 0 and frames[first - 1][1] > threshold:
                first -= 1
            if first > 0:  # the frame shown at the step before did not change
                return frames[first][0]
        return self._on_frame(self.a_start + step * STEP)

    def change_end(self, step: int, threshold: float) -> float:
        """Where on A a change on up to `step` (and not at the step after) ends: the end of its last
        changed frame, found as `change_start` finds a start."""
        frames = self.edges.get(step + 1, ())
        if frames and frames[0][1] > threshold:
            last = 0
            while last + 1 < len(frames) and frames[last + 1][1] > threshold:
                last += 1
            if last + 1 < len(frames):  # the frame shown at the step after did not change
                return frames[last + 1][0]
        return self._on_frame(self.a_start + (step + 1) * STEP)

    def _on_frame(self, between: float) -> float:
        """A change's edge between two steps (`between`, seconds on A) when its frames were not
        scored: the start of A's frame on screen then, where A's rate is known."""
        if self.rates is None:
            return between
        timebase = Timebase(self.rates[0])
        return timebase.start(timebase.frame_at(between))

    def b_edge(self, a_time: float) -> float:
        """B's time facing the edge `a_time` on A: a boundary of B's frames where the rates are known."""
        b_time = self.b_time(a_time)
        if self.rates is None:
            return b_time
        timebase = Timebase(self.rates[1])
        return timebase.start(timebase.boundary_near(b_time))
