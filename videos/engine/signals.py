"""The pair's signals, built once and read by every pass, and how unlike a moment of A is a moment
of B on them (the alignment's measure).

`VideoSignals` holds one video's fingerprint as float arrays with lookups at any time;
`PairSignals` holds both, with what they have in common (sound only when both have it) and one
`MomentCosts`, which compares picture layout and sound, each in units of what two unrelated moments
of these videos typically cost. Its units are sampled once per pair: every pass that costs moments
shares them (as PySceneDetect's StatsManager keeps per-frame metrics computed once for every
detector).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np

from videos.embeddings.fingerprint import Fingerprint


class VideoSignals:
    """One video's fingerprint as float arrays, with lookups at any time."""

    def __init__(self, fingerprint: Fingerprint) -> None:
        # The luma grid without its mean (brightness lives in the chroma part's neighbour below):
        # layout matters more than level for telling moments apart. Kept by the fingerprint, so
        # that every pass that builds these signals again finds it made.
        self.layout = fingerprint.layout
        self.visual = fingerprint.visual_floats
        self.visual_rate = fingerprint.visual_rate
        self.sound = fingerprint.audio_levels
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


class MomentCosts:
    """How unlike a moment of A is a moment of B: picture layout and colour, and sound, each in
    units of what two unrelated moments of these videos typically cost."""

    def __init__(self, a: VideoSignals, b: VideoSignals, rng_seed: int = 0) -> None:
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
        return _distances_at(
            self.a.layout, self.b.layout, self.a.visual_index(times_a), self.b.visual_index(times_b),
            unit or self.visual_unit,
        )  # fmt: skip

    def _sound(self, times_a: np.ndarray, times_b: np.ndarray, *, unit: float | None = None) -> np.ndarray:
        assert self.a.sound is not None and self.b.sound is not None
        return _distances_at(
            self.a.sound, self.b.sound, self.a.sound_index(times_a), self.b.sound_index(times_b),
            unit or self.sound_unit,
        )  # fmt: skip

    def moment(self, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
        """The cost of A at `times_a` against B at `times_b` (any shapes that broadcast together:
        a time of A faced with many of B is looked up once)."""
        cost = self._visual(times_a, times_b)
        if self.with_sound:
            cost = (cost + self._sound(times_a, times_b)) / 2.0
        return cost

    def windows(self, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
        """`moment(times_a[:, None, :], times_b)` for windows × samples of A against windows ×
        candidates × samples of B (a window search). Where a window's samples of B step evenly
        over its rows, as they do inside a video, they are read as a strided view rather than
        gathered (a search sets millions of rows side by side): the same figures."""
        parts = [(self.a.layout, self.b.layout, self.a.visual_index, self.b.visual_index, self.visual_unit)]
        if self.with_sound:
            assert self.a.sound is not None and self.b.sound is not None
            parts.append((self.a.sound, self.b.sound, self.a.sound_index, self.b.sound_index, self.sound_unit))
        total: np.ndarray | None = None
        for part_a, part_b, index_a, index_b, unit in parts:
            rows_a = part_a[index_a(times_a)]
            indexes_b = index_b(times_b)
            cost = np.empty(times_b.shape, np.float32)
            for window in range(len(times_a)):
                rows_b = grid_rows(part_b, indexes_b[window])
                cost[window] = _mean_distance(rows_a[window][None], rows_b, unit)
            total = cost if total is None else (total + cost) / 2.0
        assert total is not None
        return total

    def sound_only(self, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
        return self._sound(times_a, times_b)

    def visual_between(self, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
        """Picture cost against B's layout interpolated between its samples (for offsets, or a
        speed, that put B's times between them)."""
        b = self.b
        times_a, times_b = np.broadcast_arrays(times_a, times_b)
        position = np.clip(times_b * b.visual_rate, 0, len(b.layout) - 1)
        lower = np.floor(position).astype(np.int64)
        weight = (position - lower).astype(np.float32)
        indexes_a = self.a.visual_index(times_a)
        result = np.empty(times_b.shape, np.float32)
        _distances_between(
            self.a.layout, b.layout, indexes_a.ravel(), lower.ravel(), weight.ravel(), np.float32(self.visual_unit),
            result.reshape(-1),
        )  # fmt: skip
        return result

    def visual_floor_near(self, times_a: np.ndarray, times_b: np.ndarray, reach: float) -> np.ndarray:
        """A floor under `visual_between(times_a, x)` for every x within `reach` seconds of
        `times_b`. B between two samples lies, feature by feature, inside the range the two span,
        so A's distance to that range is a floor for the segment; the least over the segments the
        reach covers is a floor for the reach. It tells that no line kept near a guess can match
        without searching the lines."""
        b = self.b
        last = len(b.layout) - 1
        if last < 1 or len(times_a) == 0:
            return np.zeros(len(times_a), np.float32)
        first = np.clip(np.floor((times_b - reach) * b.visual_rate).astype(np.int64), 0, last - 1)
        segments = np.minimum(first[:, None] + np.arange(int(np.ceil(2 * reach * b.visual_rate)) + 1), last - 1)
        sample_low, sample_high = b.layout[segments], b.layout[segments + 1]
        low, high = np.minimum(sample_low, sample_high), np.maximum(sample_low, sample_high)
        rows_a = self.a.layout[self.a.visual_index(times_a)][:, None, :]
        outside_range = np.maximum(low - rows_a, 0) + np.maximum(rows_a - high, 0)
        floor: np.ndarray = outside_range.mean(axis=-1).min(axis=1) / self.visual_unit
        return floor

    def along(self, times_a: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """`moment(times_a, times_a + offset)` for every offset, (offsets × times). When the times
        fall on evenly spaced samples of both videos (a run of windows), the samples are read as
        strided slices rather than gathered one row per time: the same figures, at a fraction of
        the memory traffic."""
        parts = [(self.a.layout, self.b.layout, self.a.visual_index, self.b.visual_index, self.visual_unit)]
        if self.with_sound:
            assert self.a.sound is not None and self.b.sound is not None
            parts.append((self.a.sound, self.b.sound, self.a.sound_index, self.b.sound_index, self.sound_unit))
        rows: list[list[tuple[int, int]]] = []  # per part: (first row of A, then of B per offset), stride
        for _, _, index_a, index_b, _ in parts:
            first = _evenly(index_a(times_a))
            others = _evenly_each(index_b(times_a[None, :] + offsets[:, None]))
            if first is None or others is None or any(stride != first[1] for _, stride in others):
                return self.moment(times_a[None, :], times_a[None, :] + offsets[:, None])
            rows.append([first, *others])
        result: np.ndarray | None = None
        for (part_a, part_b, _, _, unit), part_rows in zip(parts, rows, strict=True):
            (row_a, stride), rows_b = part_rows[0], np.array([row for row, _ in part_rows[1:]], np.int64)
            cost = np.empty((len(offsets), len(times_a)), np.float32)
            _mean_distances_along(part_a, part_b, row_a, rows_b, stride, np.float32(unit), cost)
            result = cost if result is None else (result + cost) / 2.0
        assert result is not None
        return result


@numba.njit(cache=True, nogil=True)
def _mean_distances_along(
    rows_a: np.ndarray,
    rows_b: np.ndarray,
    first_a: int,
    firsts_b: np.ndarray,
    stride: int,
    unit: np.float32,
    out: np.ndarray,
) -> None:
    """out[o, t] = mean |rows_a[first_a + t·stride] − rows_b[firsts_b[o] + t·stride]| / unit, to the
    bit NumPy's `np.abs(a − b).mean(axis=-1) / unit` gives in float32: each row summed as NumPy sums
    fewer than 128 values (eight running sums added in pairs; under eight, one by one). Compiled
    (numba): NumPy made a difference array per chunk and offset, most of a window search's time."""
    features = rows_a.shape[1]
    count = np.float32(features)
    sums = np.empty(8, np.float32)
    for number in range(len(firsts_b)):
        for step in range(out.shape[1]):
            row_a, row_b = first_a + step * stride, firsts_b[number] + step * stride
            total = np.float32(0.0)
            column = 0
            if features >= 8:
                for lane in range(8):
                    sums[lane] = abs(rows_a[row_a, lane] - rows_b[row_b, lane])
                column = 8
                while column + 8 <= features:
                    for lane in range(8):
                        sums[lane] += abs(rows_a[row_a, column + lane] - rows_b[row_b, column + lane])
                    column += 8
                total = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
            while column < features:
                total += abs(rows_a[row_a, column] - rows_b[row_b, column])
                column += 1
            out[number, step] = total / count / unit


def _distances_at(
    rows_a: np.ndarray, rows_b: np.ndarray, indexes_a: np.ndarray, indexes_b: np.ndarray, unit: float
) -> np.ndarray:
    """`_mean_distance(rows_a[indexes_a], rows_b[indexes_b], unit)` for index arrays that broadcast
    together, without gathering the rows first."""
    indexes_a, indexes_b = np.broadcast_arrays(indexes_a, indexes_b)
    result = np.empty(indexes_a.shape, np.float32)
    _distances_of_rows(rows_a, rows_b, indexes_a.ravel(), indexes_b.ravel(), np.float32(unit), result.reshape(-1))
    return result


@numba.njit(cache=True, nogil=True)
def _row_distance(row_a: np.ndarray, row_b: np.ndarray) -> np.float32:
    """Sum of |row_a − row_b| in float32, as NumPy sums fewer than 128 values (eight running sums
    added in pairs; under eight, one by one)."""
    features = len(row_a)
    total = np.float32(0.0)
    column = 0
    if features >= 8:
        s0 = abs(row_a[0] - row_b[0])
        s1 = abs(row_a[1] - row_b[1])
        s2 = abs(row_a[2] - row_b[2])
        s3 = abs(row_a[3] - row_b[3])
        s4 = abs(row_a[4] - row_b[4])
        s5 = abs(row_a[5] - row_b[5])
        s6 = abs(row_a[6] - row_b[6])
        s7 = abs(row_a[7] - row_b[7])
        column = 8
        while column + 8 <= features:
            s0 += abs(row_a[column] - row_b[column])
            s1 += abs(row_a[column + 1] - row_b[column + 1])
            s2 += abs(row_a[column + 2] - row_b[column + 2])
            s3 += abs(row_a[column + 3] - row_b[column + 3])
            s4 += abs(row_a[column + 4] - row_b[column + 4])
            s5 += abs(row_a[column + 5] - row_b[column + 5])
            s6 += abs(row_a[column + 6] - row_b[column + 6])
            s7 += abs(row_a[column + 7] - row_b[column + 7])
            column += 8
        total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    while column < features:
        total += abs(row_a[column] - row_b[column])
        column += 1
    return total


@numba.njit(cache=True, nogil=True)
def _distances_of_rows(
    rows_a: np.ndarray,
    rows_b: np.ndarray,
    indexes_a: np.ndarray,
    indexes_b: np.ndarray,
    unit: np.float32,
    out: np.ndarray,
) -> None:
    """out[i] = mean |rows_a[indexes_a[i]] − rows_b[indexes_b[i]]| / unit, to the bit NumPy's
    `np.abs(a − b).mean(axis=-1) / unit` gives in float32. Compiled (numba): NumPy gathered both
    rows of every pair and made a difference array of them."""
    count = np.float32(rows_a.shape[1])
    for item in range(len(out)):
        out[item] = _row_distance(rows_a[indexes_a[item]], rows_b[indexes_b[item]]) / count / unit


@numba.njit(cache=True, nogil=True)
def _distances_between(
    rows_a: np.ndarray,
    rows_b: np.ndarray,
    indexes_a: np.ndarray,
    lower: np.ndarray,
    weight: np.ndarray,
    unit: np.float32,
    out: np.ndarray,
) -> None:
    """out[i] = mean |rows_a[indexes_a[i]] − B between rows lower[i] and lower[i] + 1 (weight[i] of
    the way; the last row past the end)| / unit, to the bit NumPy gives in float32 (as
    `_distances_of_rows`): the picture between B's samples without a gathered copy of each."""
    features = rows_a.shape[1]
    count = np.float32(features)
    last = rows_b.shape[0] - 1
    between = np.empty(features, np.float32)
    one = np.float32(1.0)
    for item in range(len(out)):
        low = lower[item]
        high = min(low + 1, last)
        share = weight[item]
        rest = one - share
        for column in range(features):
            between[column] = rows_b[low, column] * rest + rows_b[high, column] * share
        out[item] = _row_distance(rows_a[indexes_a[item]], between) / count / unit


@dataclass(frozen=True, eq=False)
class PairSignals:
    """Both videos' fingerprints and their signals, built once per comparison and passed to every
    pass: the fingerprints (`fingerprint_a`, `fingerprint_b`), each video's float signals (`a`,
    `b`), and the moment measure on them (`costs`, made the first time a pass asks)."""

    fingerprint_a: Fingerprint
    fingerprint_b: Fingerprint
    a: VideoSignals
    b: VideoSignals

    @classmethod
    def of(cls, a: Fingerprint, b: Fingerprint) -> PairSignals:
        return cls(a, b, VideoSignals(a), VideoSignals(b))

    @cached_property
    def costs(self) -> MomentCosts:
        return MomentCosts(self.a, self.b)

    @property
    def with_sound(self) -> bool:
        return self.a.sound is not None and self.b.sound is not None

    # Screening's and verification's view (pictures 0–1, sound in dB, None unless both have sound;
    # A's rates, which both share after fingerprinting).
    @property
    def picture_a(self) -> np.ndarray:
        return self.a.visual

    @property
    def picture_b(self) -> np.ndarray:
        return self.b.visual

    @property
    def sound_a(self) -> np.ndarray | None:
        return self.a.sound if self.with_sound else None

    @property
    def sound_b(self) -> np.ndarray | None:
        return self.b.sound if self.with_sound else None

    @property
    def visual_rate(self) -> float:
        return self.a.visual_rate

    @property
    def audio_rate(self) -> float:
        return self.a.audio_rate


def _mean_distance(first: np.ndarray, second: np.ndarray, unit: float) -> np.ndarray:
    """Mean absolute difference over the last axis, in `unit`s, worked in place: a window search
    sets millions of rows side by side."""
    difference = first - second
    np.abs(difference, out=difference)
    distance: np.ndarray = difference.mean(axis=-1)
    distance /= unit
    return distance


def grid_rows(rows: np.ndarray, indexes: np.ndarray) -> np.ndarray:
    """`rows[indexes]` for a 2-d array of indexes: a strided view when they step evenly along
    both axes (first + i·down + j·across, both steps positive), else gathered."""
    gathered: np.ndarray
    first = int(indexes[0, 0])
    down = int(indexes[1, 0]) - first if len(indexes) > 1 else 1
    across = int(indexes[0, 1]) - first if indexes.shape[1] > 1 else 1
    grid = first + down * np.arange(indexes.shape[0])[:, None] + across * np.arange(indexes.shape[1])
    if down <= 0 or across <= 0 or not np.array_equal(indexes, grid):
        gathered = rows[indexes]
        return gathered
    row_step, column_step = rows.strides
    view: np.ndarray = np.lib.stride_tricks.as_strided(
        rows[first:],
        shape=(*indexes.shape, rows.shape[1]),
        strides=(down * row_step, across * row_step, column_step),
        writeable=False,
    )
    return view


def _evenly_each(indexes: np.ndarray) -> list[tuple[int, int]] | None:
    """`_evenly` of each row of `indexes` (offsets × times, all of one length), or None when one
    row does not step evenly upwards: one pass over all of them, not one per offset."""
    if indexes.shape[1] < 2:
        return [(int(row[0]), 1) for row in indexes] if indexes.shape[1] else None
    steps = np.diff(indexes, axis=1)
    if not ((steps > 0).all() and (steps == steps[:, :1]).all()):
        return None
    return list(zip(indexes[:, 0].tolist(), steps[:, 0].tolist(), strict=True))


def _evenly(indexes: np.ndarray) -> tuple[int, int] | None:
    """(first, stride) when `indexes` step evenly upwards, else None."""
    if len(indexes) < 2:
        return (int(indexes[0]), 1) if len(indexes) else None
    stride = int(indexes[1] - indexes[0])
    if stride <= 0 or not np.array_equal(np.diff(indexes), np.full(len(indexes) - 1, stride)):
        return None
    return int(indexes[0]), stride
