"""Alignment to a fraction of a second, on the fingerprints (videos.embeddings.fingerprint).

1. Coarse: the fingerprints pooled into 2 s clips, aligned as before (`none`, `offset`, or `cuts`,
   the banded dynamic programme): which stretch of B faces which stretch of A, to a clip or so.
2. Local offsets: every WINDOW_SECONDS of A, the offset (B time − A time) whose picture and sound
   match best, searched at the picture rate within SEARCH_SECONDS of the coarse lag. Windows that
   cannot tell (a still picture and silence; a stretch that matches nothing) abstain.
3. Spans: runs of windows that agree on the offset are one matched span; its offset is then refined
   over the whole span to a fiftieth of a second (the sound's rate; the picture's between samples).
4. Edges: between two spans with offsets d1 < d2, B has d2 − d1 seconds that A has not ("only in
   B"); with d1 > d2, A has them. Where exactly is the switch point that makes the cheapest path:
   the picture's samples say it to a tenth of a second, and the sound to a fiftieth.

Pure numpy over two Fingerprints; `Alignment` names the mode as in videos.compare.alignment.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from videos.compare.alignment import Alignment, best_lag
from videos.compare.cuts import cuts_pairs
from videos.compare.distances import ClipSeries
from videos.embeddings.fingerprint import LUMA_GRID, Fingerprint

CLIP_SECONDS = 2.0
WINDOW_SECONDS = 4.0
SEARCH_SECONDS = 4.2
# A window votes for an offset only when its best match is clearly better than a typical wrong one
# and plausibly a match at all (costs are in units of the typical unrelated pair, see `_Costs`).
VOTE_MARGIN = 0.25
VOTE_CEILING = 0.6
# Windows whose offsets differ by no more than this belong to one span.
SAME_OFFSET = 0.15
# Spans shorter than this on both videos are dropped (their time goes to the neighbours' edges).
MIN_SPAN_SECONDS = 0.5
_FINE_STEP = 0.02


@dataclass(frozen=True)
class MatchedSpan:
    """A stretch shown in both videos: A from a_start to a_end is B from b_start to b_end."""

    a_start: float
    a_end: float
    b_start: float
    b_end: float

    @property
    def offset(self) -> float:
        return self.b_start - self.a_start

    def as_list(self) -> list[float]:
        return [round(self.a_start, 3), round(self.a_end, 3), round(self.b_start, 3), round(self.b_end, 3)]


# --- signals -------------------------------------------------------------------------------------


class _Signals:
    """One video's fingerprint as float arrays, with lookups at any time."""

    def __init__(self, fingerprint: Fingerprint) -> None:
        features = fingerprint.visual_float()
        luma = features[:, : LUMA_GRID * LUMA_GRID]
        # The luma grid without its mean (brightness lives in the chroma part's neighbour below):
        # layout matters more than level for telling moments apart.
        self.layout = luma - luma.mean(axis=1, keepdims=True)
        self.visual = features
        self.visual_rate = fingerprint.visual_rate
        self.sound = fingerprint.audio_db()
        self.audio_rate = fingerprint.audio_rate
        self.duration = fingerprint.duration

    def visual_index(self, times: np.ndarray) -> np.ndarray:
        """Nearest sample index at `times` (clamped into the video)."""
        indexes = np.rint(times * self.visual_rate).astype(np.int64)
        return np.clip(indexes, 0, max(0, len(self.visual) - 1))

    def sound_index(self, times: np.ndarray) -> np.ndarray:
        assert self.sound is not None
        indexes = np.rint(times * self.audio_rate).astype(np.int64)
        return np.clip(indexes, 0, max(0, len(self.sound) - 1))


def _pooled(signals: _Signals, *, clip_seconds: float) -> ClipSeries:
    """The fingerprint as 2 s clips for the coarse alignment: per clip, the mean layout, mean
    colour and its movement, and the sound's mean and spread per band."""
    per_clip = max(1, round(clip_seconds * signals.visual_rate))
    count = max(1, math.ceil(len(signals.visual) / per_clip))
    padded = np.zeros((count * per_clip, signals.visual.shape[1]), np.float32)
    padded[: len(signals.visual)] = signals.visual
    padded[len(signals.visual) :] = signals.visual[-1] if len(signals.visual) else 0
    blocks = padded.reshape(count, per_clip, -1)
    luma = blocks[..., : LUMA_GRID * LUMA_GRID]
    layout = luma - luma.mean(axis=2, keepdims=True)
    visual = np.concatenate(
        [layout.mean(axis=1) * 2.0, blocks[..., LUMA_GRID * LUMA_GRID :].mean(axis=1) * 2.0, layout.std(axis=1)],
        axis=1,
    )
    audio = None
    if signals.sound is not None:
        per_audio = max(1, round(clip_seconds * signals.audio_rate))
        sound = np.zeros((count * per_audio, signals.sound.shape[1]), np.float32)
        usable = min(len(sound), len(signals.sound))
        sound[:usable] = signals.sound[:usable]
        sound_blocks = sound.reshape(count, per_audio, -1) / 20.0
        audio = np.concatenate([sound_blocks.mean(axis=1), sound_blocks.std(axis=1)], axis=1)
    starts = np.arange(count) * clip_seconds
    ends = np.minimum(starts + clip_seconds, max(signals.duration, clip_seconds * count))
    return ClipSeries(starts=starts, ends=ends, visual=visual, audio=audio)


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


class _Costs:
    """How unlike a moment of A is a moment of B: picture layout and colour, and sound, each in
    units of what two unrelated moments of these videos typically cost."""

    def __init__(self, a: _Signals, b: _Signals, rng_seed: int = 0) -> None:
        self.a, self.b = a, b
        self.with_sound = a.sound is not None and b.sound is not None
        rng = np.random.default_rng(rng_seed)
        sample = 2000
        times_a = rng.uniform(0, max(a.duration, 0.1), sample)
        times_b = rng.uniform(0, max(b.duration, 0.1), sample)
        self.visual_unit = max(1e-3, float(np.median(self._visual(times_a, times_b, unit=1.0))))
        self.sound_unit = 1.0
        if self.with_sound:
            self.sound_unit = max(1.0, float(np.median(self._sound(times_a, times_b, unit=1.0))))

    def _visual(self, times_a: np.ndarray, times_b: np.ndarray, *, unit: float | None = None) -> np.ndarray:
        first = self.a.layout[self.a.visual_index(times_a)]
        second = self.b.layout[self.b.visual_index(times_b)]
        difference: np.ndarray = np.abs(first - second).mean(axis=-1) / (unit or self.visual_unit)
        return difference

    def _sound(self, times_a: np.ndarray, times_b: np.ndarray, *, unit: float | None = None) -> np.ndarray:
        assert self.a.sound is not None and self.b.sound is not None
        first = self.a.sound[self.a.sound_index(times_a)]
        second = self.b.sound[self.b.sound_index(times_b)]
        difference: np.ndarray = np.abs(first - second).mean(axis=-1) / (unit or self.sound_unit)
        return difference

    def moment(self, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
        """The cost of A at `times_a` against B at `times_b` (any matching shapes)."""
        cost = self._visual(times_a, times_b)
        if self.with_sound:
            cost = (cost + self._sound(times_a, times_b)) / 2.0
        return cost

    def sound_only(self, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
        return self._sound(times_a, times_b)


# --- the alignment -------------------------------------------------------------------------------


def refined_spans(a: Fingerprint, b: Fingerprint, mode: Alignment) -> list[MatchedSpan]:
    """The matched spans of A and B, in order along both (see the module docstring)."""
    signals_a, signals_b = _Signals(a), _Signals(b)
    if not len(signals_a.visual) or not len(signals_b.visual):
        return []
    if mode == "none":
        end = min(signals_a.duration, signals_b.duration)
        return [MatchedSpan(0.0, end, 0.0, end)] if end > 0 else []
    costs = _Costs(signals_a, signals_b)
    coarse = _coarse_lags(signals_a, signals_b, mode)
    window_offsets = _window_offsets(costs, coarse, signals_a.duration)
    if mode == "offset":
        voted = [offset for _, _, offset in window_offsets]
        global_offset = float(np.median(voted)) if voted else float(np.median(coarse[1]) if len(coarse[1]) else 0.0)
        groups = [(0.0, signals_a.duration, global_offset)]
    else:
        groups = _group_windows(window_offsets)
        if not groups:
            lag = float(np.median(coarse[1])) if len(coarse[1]) else 0.0
            groups = [(0.0, signals_a.duration, lag)]
    groups = [(start, end, _fine_offset(costs, start, end, offset)) for start, end, offset in groups]
    return _spans_from_groups(costs, groups, signals_a.duration, signals_b.duration)


def _coarse_lags(a: _Signals, b: _Signals, mode: Alignment) -> tuple[np.ndarray, np.ndarray]:
    """(A clip start times, B − A lag in seconds) of every matched coarse pair."""
    series_a, series_b = _centred(_pooled(a, clip_seconds=CLIP_SECONDS), _pooled(b, clip_seconds=CLIP_SECONDS))
    if mode == "offset":
        lag = best_lag(series_a, series_b, metric="cosine")
        first = np.arange(max(0, -lag), min(len(series_a), len(series_b) - lag))
        return first * CLIP_SECONDS, np.full(len(first), lag * CLIP_SECONDS)
    a_indexes, b_indexes = cuts_pairs(series_a, series_b, metric="cosine")
    matched = (a_indexes >= 0) & (b_indexes >= 0)
    first, second = a_indexes[matched], b_indexes[matched]
    return first * CLIP_SECONDS, (second - first) * CLIP_SECONDS


def _window_offsets(
    costs: _Costs, coarse: tuple[np.ndarray, np.ndarray], duration_a: float
) -> list[tuple[float, float, float]]:
    """(start, end, offset) on A of every window that can tell its offset. Windows overlap by
    half; each searches SEARCH_SECONDS around the median coarse lag near it. Vectorised over blocks
    of windows: a 3-hour video has thousands."""
    clip_starts, lags = coarse
    if not len(clip_starts):
        return []
    step = 1.0 / costs.a.visual_rate
    candidates = np.arange(-SEARCH_SECONDS, SEARCH_SECONDS + step / 2, step)
    window_starts = np.arange(0.0, max(duration_a - WINDOW_SECONDS / 2, step), WINDOW_SECONDS / 2)
    # The median coarse lag of the clips around each window (none: the window is skipped).
    order = np.argsort(clip_starts, kind="stable")
    sorted_starts, sorted_lags = clip_starts[order], lags[order]
    first = np.searchsorted(sorted_starts, window_starts - CLIP_SECONDS)
    last = np.searchsorted(sorted_starts, window_starts + WINDOW_SECONDS + CLIP_SECONDS)
    samples = np.arange(0.0, WINDOW_SECONDS, 2 * step)
    votes: list[tuple[float, float, float]] = []
    block = 256
    for begin in range(0, len(window_starts), block):
        starts = window_starts[begin : begin + block]
        centres = np.array(
            [
                np.median(sorted_lags[low:high]) if high > low else np.nan
                for low, high in zip(first[begin : begin + block], last[begin : begin + block], strict=True)
            ]
        )
        centres = np.round(centres / step) * step
        times_a = starts[:, None] + samples[None, :]  # windows × samples
        offsets = np.nan_to_num(centres)[:, None] + candidates[None, :]  # windows × candidates
        times_b = times_a[:, None, :] + offsets[:, :, None]  # windows × candidates × samples
        inside_a = times_a <= duration_a
        valid = (times_b >= 0) & (times_b <= costs.b.duration) & inside_a[:, None, :]
        moment = costs.moment(np.broadcast_to(times_a[:, None, :], times_b.shape), times_b)
        counted = valid.sum(axis=2)
        mean_cost = np.where(valid, moment, 0).sum(axis=2) / np.maximum(counted, 1)
        enough = counted >= 0.75 * np.maximum(inside_a.sum(axis=1), 1)[:, None]
        mean_cost = np.where(enough & (counted >= 4), mean_cost, np.inf)
        for row, start in enumerate(starts.tolist()):
            row_costs = mean_cost[row]
            if np.isnan(centres[row]) or not np.isfinite(row_costs).any():
                continue
            best = int(np.argmin(row_costs))
            typical = float(np.median(row_costs[np.isfinite(row_costs)]))
            if row_costs[best] > VOTE_CEILING or typical - row_costs[best] < VOTE_MARGIN:
                continue
            votes.append((start, min(duration_a, start + WINDOW_SECONDS), float(offsets[row, best])))
    return votes


def _group_windows(votes: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Consecutive windows that agree on the offset, as (start, end, median offset) on A."""
    groups: list[list[tuple[float, float, float]]] = []
    for vote in votes:
        if groups and abs(vote[2] - float(np.median([v[2] for v in groups[-1]]))) <= SAME_OFFSET:
            groups[-1].append(vote)
        else:
            groups.append([vote])
    # A lone window between two groups of one offset is noise (a still moment, a near match).
    merged: list[list[tuple[float, float, float]]] = []
    for group in groups:
        if (
            merged
            and abs(float(np.median([v[2] for v in merged[-1]])) - float(np.median([v[2] for v in group])))
            <= SAME_OFFSET
        ):
            merged[-1].extend(group)
        elif len(group) == 1 and merged and len(groups) > 1 and group is not groups[-1]:
            continue
        else:
            merged.append(group)
    return [(group[0][0], group[-1][1], float(np.median([v[2] for v in group]))) for group in merged]


def _fine_offset(costs: _Costs, start: float, end: float, offset: float) -> float:
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


def _interpolated_visual(costs: _Costs, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
    """Picture cost against B's layout interpolated between its samples (for offsets between them)."""
    b = costs.b
    position = np.clip(times_b * b.visual_rate, 0, len(b.layout) - 1)
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, len(b.layout) - 1)
    weight = (position - lower)[..., None].astype(np.float32)
    between = b.layout[lower] * (1 - weight) + b.layout[upper] * weight
    first = costs.a.layout[costs.a.visual_index(times_a)]
    result: np.ndarray = np.abs(first - between).mean(axis=-1) / costs.visual_unit
    return result


def _spans_from_groups(
    costs: _Costs, groups: list[tuple[float, float, float]], duration_a: float, duration_b: float
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


def _switch_point(costs: _Costs, low: float, high: float, first: float, second: float, *, on_a: bool) -> float:
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
            shift = max(a_start - span.a_start, b_start - span.b_start)
            span = MatchedSpan(span.a_start + shift, span.a_end, span.b_start + shift, span.b_end)
            if span.a_end - span.a_start < MIN_SPAN_SECONDS:
                continue
        ordered.append(span)
    return ordered
