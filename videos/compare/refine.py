"""Alignment to a fraction of a second, on the fingerprints (videos.embeddings.fingerprint).

1. Coarse: the fingerprints pooled into 2 s clips, aligned as before (`none`, `offset`, or `cuts`,
   the banded dynamic programme): which stretch of B faces which stretch of A, to a clip or so.
2. Local offsets: every WINDOW_SECONDS of A, the offset (B time − A time) whose picture and sound
   match best, searched at the picture rate within SEARCH_SECONDS of the coarse lag. Windows that
   cannot tell (a still picture and silence; a stretch that matches nothing) abstain. Only some
   windows are searched over every candidate (probes, and more where the offset changes); the
   others confirm their neighbours' offset on a few candidates (videos.compare.windows).
3. Spans: runs of windows that agree on the offset are one matched span; its offset is then refined
   over the whole span to a fiftieth of a second (the sound's rate; the picture's between samples).
   Windows whose offsets drift along a line, or a stretch between two offsets where the windows
   could not agree, may be B playing faster or slower (videos.compare.speed): one span whose two
   lengths differ, its rate refined over the whole of it like an offset.
4. Edges: between two spans with offsets d1 < d2, B has d2 − d1 seconds that A has not ("only in
   B"); with d1 > d2, A has them. Where exactly is the switch point that makes the cheapest path:
   the picture's samples say it to a tenth of a second, and the sound to a fiftieth.

Pure numpy over two Fingerprints; `Alignment` names the mode as in videos.compare.alignment.
"""

from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from videos.compare.alignment import Alignment, best_lag
from videos.compare.cuts import cuts_pairs
from videos.compare.distances import ClipSeries
from videos.compare.moments import MomentCosts, Signals
from videos.compare.speed import (
    REPORTED_CHANGE,
    Line,
    explains,
    matches,
    refined_line,
    section_between,
    sloped_runs,
)
from videos.compare.sync import lagged_signals, synced
from videos.compare.windows import SAME_OFFSET, SEARCH_SECONDS, WINDOW_SECONDS, group_windows, window_offsets
from videos.embeddings.fingerprint import LUMA_GRID, Fingerprint

CLIP_SECONDS = 2.0
# Spans shorter than this on both videos are dropped (their time goes to the neighbours' edges).
MIN_SPAN_SECONDS = 0.5
_FINE_STEP = 0.02


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


def pooled_clips(signals: Signals, *, clip_seconds: float) -> ClipSeries:
    """The fingerprint as 2 s clips for the coarse alignment: per clip, the mean layout, mean
    colour and its movement, and the sound's mean and spread per band. Pooled _POOL_CLIPS clips at
    a time, so that the working arrays stay in the cache (each clip's figures are the same)."""
    per_clip = max(1, round(clip_seconds * signals.visual_rate))
    count = max(1, math.ceil(len(signals.visual) / per_clip))
    cells = LUMA_GRID * LUMA_GRID
    visual = np.empty((count, signals.visual.shape[1] + cells), np.float32)
    audio = None
    if signals.sound is not None:
        per_audio = max(1, round(clip_seconds * signals.audio_rate))
        audio = np.empty((count, 2 * signals.sound.shape[1]), np.float32)
    for first in range(0, count, _POOL_CLIPS):
        last = min(count, first + _POOL_CLIPS)
        # Past the end, the picture holds its last sample.
        blocks = _rows(signals.visual, first * per_clip, last * per_clip, hold=True).reshape(last - first, per_clip, -1)
        luma = blocks[..., :cells]
        layout = luma - luma.mean(axis=2, keepdims=True)
        visual[first:last] = np.concatenate(
            [layout.mean(axis=1) * 2.0, blocks[..., cells:].mean(axis=1) * 2.0, layout.std(axis=1)], axis=1
        )
        if signals.sound is not None and audio is not None:
            # Past the end of the sound: silence.
            sound = _rows(signals.sound, first * per_audio, last * per_audio, hold=False)
            sound_blocks = sound.reshape(last - first, per_audio, -1) / 20.0
            audio[first:last] = np.concatenate([sound_blocks.mean(axis=1), sound_blocks.std(axis=1)], axis=1)
    starts = np.arange(count) * clip_seconds
    ends = np.minimum(starts + clip_seconds, max(signals.duration, clip_seconds * count))
    return ClipSeries(starts=starts, ends=ends, visual=visual, audio=audio)


_POOL_CLIPS = 128


def _rows(values: np.ndarray, first: int, last: int, *, hold: bool) -> np.ndarray:
    """Rows first to last of `values` as float32; rows past its end are its last row (`hold`) or zeros."""
    if last <= len(values):
        return values[first:last]
    rows = np.zeros((last - first, values.shape[1]), np.float32)
    usable = max(0, len(values) - first)
    rows[:usable] = values[first : first + usable]
    if hold and len(values):
        rows[usable:] = values[-1]
    return rows


def _centred(first: ClipSeries, second: ClipSeries) -> tuple[ClipSeries, ClipSeries]:
    """Both series less their common mean, so that cosine distances see what differs between
    moments rather than what every moment shares."""

    def centre(part_a: np.ndarray | None, part_b: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        if part_a is None or part_b is None:
            return None, None
        mean = np.concatenate([part_a, part_b]).mean(axis=0)
        return part_a - mean, part_b - mean

    visual_a, visual_b = centre(first.visual, second.visual)
    audio_a, audio_b = centre(first.audio, second.audio)
    assert visual_a is not None and visual_b is not None
    return (
        ClipSeries(first.starts, first.ends, visual_a, audio_a),
        ClipSeries(second.starts, second.ends, visual_b, audio_b),
    )


# --- the alignment -------------------------------------------------------------------------------


def refined_spans(a: Fingerprint, b: Fingerprint, mode: Alignment) -> list[MatchedSpan]:
    """The matched spans of A and B, in order along both (see the module docstring)."""
    if not len(a.visual) or not len(b.visual):
        return []
    if mode == "none":
        end = min(a.duration, b.duration)
        return [MatchedSpan(0.0, end, 0.0, end)] if end > 0 else []
    # Each video's float signals and 2 s clips, both at once: NumPy lets go of the interpreter
    # lock in its loops, so two threads keep both cores busy (~0.1 s of a 3-hour comparison).
    with ThreadPoolExecutor(max_workers=2) as pool:
        (signals_a, pooled_a), (signals_b, pooled_b) = pool.map(_prepared, (a, b))
    costs = MomentCosts(signals_a, signals_b)
    coarse = coarse_lags(pooled_a, pooled_b, mode)
    # B's sound measured against its own picture (videos.compare.sync). Out of step, it pulled the
    # joint alignment towards itself: the spans are made again with B's sound moved back into
    # step, then measured against B's real sound.
    spans = synced(costs, _aligned(costs, coarse, mode))
    if any(span.sound_lag or span.sound_drift for span in spans):
        in_step = MomentCosts(signals_a, lagged_signals(signals_b, spans))
        spans = synced(costs, _aligned(in_step, coarse, mode))
    return spans


def _aligned(costs: MomentCosts, coarse: tuple[np.ndarray, np.ndarray], mode: Alignment) -> list[MatchedSpan]:
    """Spans from the windows' local offsets around the `coarse` lags (steps 2 to 4 of the module
    docstring), picture and sound matched together."""
    signals_a, signals_b = costs.a, costs.b
    votes = window_offsets(costs, coarse, signals_a.duration, clip_seconds=CLIP_SECONDS)
    lines: list[Line] = []  # speed changes (videos.compare.speed): B's time a sloped line in A's
    if mode == "offset":
        voted = [offset for _, _, offset in votes]
        global_offset = float(np.median(voted)) if voted else float(np.median(coarse[1]) if len(coarse[1]) else 0.0)
        groups = [(0.0, signals_a.duration, global_offset)]
    else:
        lines, constant_votes = sloped_runs(votes)
        groups = group_windows(constant_votes)
        if not groups and not lines:
            lag = float(np.median(coarse[1])) if len(coarse[1]) else 0.0
            groups = [(0.0, signals_a.duration, lag)]
    groups = [(start, end, _fine_offset(costs, start, end, offset)) for start, end, offset in groups]
    if mode != "offset":
        lines = [refined_line(costs, line) for line in lines] + _speed_sections(costs, groups, lines)
    spans = _spans_from_groups(costs, groups, signals_a.duration, signals_b.duration) if groups else []
    spans = _with_speed_changes(spans, lines, signals_a.duration, signals_b.duration)
    return _speed_tidied(costs, spans, signals_a.duration, signals_b.duration) if lines else spans


def _prepared(fingerprint: Fingerprint) -> tuple[Signals, ClipSeries]:
    signals = Signals(fingerprint)
    return signals, pooled_clips(signals, clip_seconds=CLIP_SECONDS)


def coarse_lags(pooled_a: ClipSeries, pooled_b: ClipSeries, mode: Alignment) -> tuple[np.ndarray, np.ndarray]:
    """(A clip start times, B − A lag in seconds) of every matched coarse pair."""
    series_a, series_b = _centred(pooled_a, pooled_b)
    if mode == "offset":
        lag = best_lag(series_a, series_b, metric="cosine")
        first = np.arange(max(0, -lag), min(len(series_a), len(series_b) - lag))
        return first * CLIP_SECONDS, np.full(len(first), lag * CLIP_SECONDS)
    a_indexes, b_indexes = cuts_pairs(series_a, series_b, metric="cosine")
    matched = (a_indexes >= 0) & (b_indexes >= 0)
    first, second = a_indexes[matched], b_indexes[matched]
    return first * CLIP_SECONDS, (second - first) * CLIP_SECONDS


def _fine_offset(costs: MomentCosts, start: float, end: float, offset: float) -> float:
    """The offset over A's [start, end] to a fiftieth of a second (sound) or between picture
    samples (parabola through the best three), searched within a picture sample of `offset`."""
    span = max(end - start, 0.1)
    count = int(min(2000, max(20, span * costs.a.visual_rate)))
    times_a = np.linspace(start, start + span, count, endpoint=False)
    step = _FINE_STEP
    candidates = offset + np.arange(-0.16, 0.16 + step / 2, step)
    times_b = times_a[None, :] + candidates[:, None]
    valid = (times_b >= 0) & (times_b <= costs.b.duration)
    # Picture (between its samples) and sound together: either alone can be blind (a still
    # picture; a constant tone).
    moment = _interpolated_visual(costs, times_a, times_b)
    if costs.with_sound:
        moment = (moment + costs.sound_only(np.broadcast_to(times_a, times_b.shape), times_b)) / 2.0
    mean_cost = np.where(valid, moment, 0).sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
    mean_cost = np.where(valid.mean(axis=1) >= 0.5, mean_cost, np.inf)
    best = int(np.argmin(mean_cost))
    if 0 < best < len(candidates) - 1 and np.isfinite(mean_cost[best - 1 : best + 2]).all():
        left, middle, right = mean_cost[best - 1 : best + 2]
        curvature = left - 2 * middle + right
        if curvature > 1e-9:
            return float(candidates[best] + step * 0.5 * (left - right) / curvature)
    return float(candidates[best])


def _interpolated_visual(costs: MomentCosts, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
    """Picture cost against B's layout interpolated between its samples (for offsets between them)."""
    return costs.visual_between(times_a, times_b)


def _spans_from_groups(
    costs: MomentCosts, groups: list[tuple[float, float, float]], duration_a: float, duration_b: float
) -> list[MatchedSpan]:
    """Spans from consecutive offset groups: each edge between two groups put where switching
    from one offset to the other costs least."""
    # The A time at which each group starts and ends (edges placed between groups).
    starts = [max(0.0, -groups[0][2])]
    ends: list[float] = []
    for (_, end_1, offset_1), (start_2, _, offset_2) in itertools.pairwise(groups):
        low = max(starts[-1], end_1 - WINDOW_SECONDS - SEARCH_SECONDS)
        high = min(duration_a, start_2 + WINDOW_SECONDS + SEARCH_SECONDS)
        if offset_2 > offset_1:  # B has more between them: the switch is a point on A
            switch = _switch_point(costs, low, high, offset_1, offset_2, on_a=True)
            ends.append(switch)
            starts.append(switch)
        else:  # A has more: the switch is a point on B
            switch_b = _switch_point(costs, low + offset_1, high + offset_2, offset_1, offset_2, on_a=False)
            ends.append(switch_b - offset_1)
            starts.append(switch_b - offset_2)
    last_offset = groups[-1][2]
    ends.append(min(duration_a, duration_b - last_offset))
    spans = []
    for (_, _, offset), start, end in zip(groups, starts, ends, strict=True):
        start, end = max(0.0, start), min(duration_a, end)
        start = max(start, -offset)
        end = min(end, duration_b - offset)
        if end - start >= MIN_SPAN_SECONDS:
            spans.append(MatchedSpan(start, end, start + offset, end + offset))
    return _monotone(spans)


def _switch_point(costs: MomentCosts, low: float, high: float, first: float, second: float, *, on_a: bool) -> float:
    """Where, between `low` and `high` on A (or on B when not `on_a`), matching with offset `first`
    before and `second` after costs least: the picture at its rate, then the sound around it."""

    def best_switch(times: np.ndarray, moment_first: np.ndarray, moment_second: np.ndarray) -> float:
        # cost(p) = Σ_{t < p} first + Σ_{t ≥ p} second, for every p at once.
        before = np.concatenate([[0.0], np.cumsum(moment_first)])
        after = np.concatenate([np.cumsum(moment_second[::-1])[::-1], [0.0]])
        total = before + after
        index = int(np.argmin(total))
        if index == 0:
            return float(times[0])
        if index == len(times):
            return float(times[-1])
        return float((times[index - 1] + times[index]) / 2)

    def moments(times: np.ndarray, offset: float, sound: bool) -> np.ndarray:
        if on_a:
            times_a, times_b = times, times + offset
        else:
            times_a, times_b = times - offset, times
        cost = costs.moment(times_a, times_b)
        outside = (times_a < 0) | (times_a > costs.a.duration) | (times_b < 0) | (times_b > costs.b.duration)
        return np.where(outside, 2.0, cost)

    if high <= low:
        return low
    times = np.arange(low, high, 1.0 / costs.a.visual_rate)
    if len(times) < 2:
        return low
    switch = best_switch(times, moments(times, first, False), moments(times, second, False))
    if costs.with_sound:
        fine = np.arange(max(low, switch - 0.3), min(high, switch + 0.3), 1.0 / costs.a.audio_rate)
        if len(fine) >= 2:
            switch = best_switch(fine, moments(fine, first, True), moments(fine, second, True))
    return switch


def _monotone(spans: list[MatchedSpan]) -> list[MatchedSpan]:
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


# --- speed changes -------------------------------------------------------------------------------

# Sections between two constant offsets are looked for across at most this many groups in between
# (windows inside a fast section may agree on passing offsets), each shorter than _PASSING_SECONDS.
_PASSING_GROUPS = 2
_PASSING_SECONDS = 3 * WINDOW_SECONDS


def _speed_sections(costs: MomentCosts, groups: list[tuple[float, float, float]], lines: list[Line]) -> list[Line]:
    """Fast speed sections (videos.compare.speed.section_between) between constant-offset groups,
    away from the slow ones already found."""
    sections: list[Line] = []
    first = 0
    while first < len(groups) - 1:
        found = None
        # The widest first: a section found across passing groups is one section, not several.
        for last in range(min(len(groups) - 1, first + 1 + _PASSING_GROUPS), first, -1):
            passing = groups[first + 1 : last]
            if any(end - start > _PASSING_SECONDS for start, end, _ in passing):
                continue
            if any(line.a_start < groups[last][0] and line.a_end > groups[first][1] for line in lines):
                continue
            found = section_between(costs, groups[first], groups[last])
            if found is not None:
                sections.append(found)
                first = last
                break
        if found is None:
            first += 1
    return sections


def _with_speed_changes(
    spans: list[MatchedSpan], lines: list[Line], duration_a: float, duration_b: float
) -> list[MatchedSpan]:
    """The constant-offset spans with each speed change's line put in their place: the spans it
    covers on A are cut back to it, and its ends meet its neighbours where the two lines cross (or
    the videos' ends, when it has none)."""
    if not lines:
        return spans
    speed_spans: list[MatchedSpan] = []
    for line in sorted(lines, key=lambda item: item.a_start):
        kept: list[MatchedSpan] = []
        for span in spans:
            if span.a_end <= line.a_start or span.a_start >= line.a_end:
                kept.append(span)
                continue
            if line.a_start - span.a_start >= MIN_SPAN_SECONDS:
                kept.append(_part(span, span.a_start, line.a_start))
            if span.a_end - line.a_end >= MIN_SPAN_SECONDS:
                kept.append(_part(span, line.a_end, span.a_end))
        speed = MatchedSpan(line.a_start, line.a_end, line.b_start, line.b_end)
        speed_spans.append(speed)
        spans = _absorbed(sorted([*kept, speed], key=lambda span: span.a_start), speed, speed_spans)
    joined = list(spans)
    for number, span in enumerate(spans):
        if not any(span is speed for speed in speed_spans):
            continue
        start, end = span.a_start, span.a_end
        if number > 0:
            previous = joined[number - 1]
            crossing = _crossing(previous, span)
            if crossing is not None and previous.a_start + MIN_SPAN_SECONDS < crossing < end - MIN_SPAN_SECONDS:
                start = crossing
                joined[number - 1] = _part(previous, previous.a_start, crossing)
        if number < len(spans) - 1:
            following = spans[number + 1]
            crossing = _crossing(span, following)
            if crossing is not None and start + MIN_SPAN_SECONDS < crossing < following.a_end - MIN_SPAN_SECONDS:
                end = crossing
                joined[number + 1] = _part(following, crossing, following.a_end)
        joined[number] = _part(span, start, end)
    return _monotone(joined)


def _speed_tidied(
    costs: MomentCosts, spans: list[MatchedSpan], duration_a: float, duration_b: float
) -> list[MatchedSpan]:
    """Speed changes made whole: two next to each other at one speed (within what is reported as
    the same) are one, fitted again; a short constant-offset span beside one that its line explains
    as well is taken into it; one that then starts or ends the alignment reaches the videos' ends."""
    tidied: list[MatchedSpan] = []
    for span in spans:
        previous = tidied[-1] if tidied else None
        if (
            previous is not None
            and _is_speed(previous)
            and _is_speed(span)
            and abs(span.rate / previous.rate - 1.0) < REPORTED_CHANGE
            and abs(span.a_start - previous.a_end) < 0.1
            and abs(span.b_start - previous.b_end) < 0.1
        ):
            line = Line(
                previous.a_start,
                span.a_end,
                previous.b_start,
                (span.b_end - previous.b_start) / (span.a_end - previous.a_start),
            )
            fitted = refined_line(costs, line)
            tidied[-1] = MatchedSpan(fitted.a_start, fitted.a_end, fitted.b_start, fitted.b_end)
            continue
        tidied.append(span)
    changed = True
    while changed:
        changed = False
        for number, span in enumerate(tidied):
            if not _is_speed(span):
                continue
            line = Line(span.a_start, span.a_end, span.b_start, span.rate)
            for other in (number - 1, number + 1):
                if not 0 <= other < len(tidied) or _is_speed(tidied[other]):
                    continue
                neighbour = tidied[other]
                if neighbour.a_end - neighbour.a_start > _ABSORBED_SECONDS:
                    continue
                if explains(costs, line, neighbour.a_start, neighbour.a_end, neighbour.offset):
                    start, end = min(span.a_start, neighbour.a_start), max(span.a_end, neighbour.a_end)
                    tidied[number] = _part(span, start, end)
                    del tidied[other]
                    changed = True
                    break
            if changed:
                break
    # Back to where either video starts and on to where either ends, where the line matches there.
    if tidied and _is_speed(tidied[0]):
        span = tidied[0]
        start = max(0.0, span.a_start - span.b_start / span.rate)
        if start < span.a_start and matches(
            costs, Line(span.a_start, span.a_end, span.b_start, span.rate), start, span.a_start
        ):
            tidied[0] = _part(span, start, span.a_end)
    if tidied and _is_speed(tidied[-1]):
        span = tidied[-1]
        end = min(duration_a, span.a_start + (duration_b - span.b_start) / span.rate)
        if end > span.a_end and matches(
            costs, Line(span.a_start, span.a_end, span.b_start, span.rate), span.a_end, end
        ):
            tidied[-1] = _part(span, span.a_start, end)
    return _monotone(tidied)


def _is_speed(span: MatchedSpan) -> bool:
    return abs(span.rate - 1.0) > 1e-6


def _absorbed(spans: list[MatchedSpan], speed: MatchedSpan, speed_spans: list[MatchedSpan]) -> list[MatchedSpan]:
    """`spans` with a short constant-offset span next to the `speed` one taken into it when its
    offset lies on the speed's line all along (windows at a speed change's end can agree on an
    offset for a moment: the line holds there too)."""
    number = next(index for index, span in enumerate(spans) if span is speed)
    start, end = speed.a_start, speed.a_end
    kept = []
    for index, span in enumerate(spans):
        beside = abs(index - number) == 1 and not any(span is other for other in speed_spans)
        if beside and span.a_end - span.a_start <= _ABSORBED_SECONDS:
            line_offsets = [speed.b_start + (t - speed.a_start) * speed.rate - t for t in (span.a_start, span.a_end)]
            if all(abs(span.offset - offset) <= SAME_OFFSET for offset in line_offsets):
                start, end = min(start, span.a_start), max(end, span.a_end)
                continue
        kept.append(span)
    if (start, end) == (speed.a_start, speed.a_end):
        return spans
    widened = _part(speed, start, end)
    speed_spans[speed_spans.index(speed)] = widened
    return [widened if span is speed else span for span in kept]


_ABSORBED_SECONDS = 2 * WINDOW_SECONDS


def _part(span: MatchedSpan, a_start: float, a_end: float) -> MatchedSpan:
    """`span` from a_start to a_end on A (either may lie past its ends: along its line)."""
    rate = span.rate
    return MatchedSpan(
        a_start, a_end, span.b_start + (a_start - span.a_start) * rate, span.b_start + (a_end - span.a_start) * rate
    )


def _crossing(first: MatchedSpan, second: MatchedSpan) -> float | None:
    """The A time at which the two spans' lines meet (None: parallel)."""
    rate_1, rate_2 = first.rate, second.rate
    if abs(rate_1 - rate_2) < 1e-6:
        return None
    # first.b_start + (t − first.a_start)·rate_1 = second.b_start + (t − second.a_start)·rate_2
    return (second.b_start - second.a_start * rate_2 - first.b_start + first.a_start * rate_1) / (rate_1 - rate_2)
