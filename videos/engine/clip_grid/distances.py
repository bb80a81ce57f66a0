"""A video's clips as arrays, and distances between clip vectors (whole arrays at once, no loop per clip)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from videos.engine.model import METRICS, Metric


class ClipRow(Protocol):
    """What `series_from_rows` reads: a `videos.models.ClipEmbedding` row or an embedding backend's
    `ClipEmbedding` (vectors as numpy arrays or lists)."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def visual(self) -> Any: ...
    @property
    def audio(self) -> Any: ...


@dataclass(frozen=True, eq=False)
class ClipSeries:
    """One video's clips in order: `starts`/`ends` in seconds (n,), `visual` (n, Dv) and `audio`
    (n, Da) vectors, `audio` None when the video has no sound. Arrays are converted on creation
    (times float64, vectors float32) and their shapes checked."""

    starts: np.ndarray
    ends: np.ndarray
    visual: np.ndarray
    audio: np.ndarray | None

    def __post_init__(self) -> None:
        starts = np.asarray(self.starts, np.float64).reshape(-1)
        ends = np.asarray(self.ends, np.float64).reshape(-1)
        count = len(starts)
        visual = np.asarray(self.visual, np.float32)
        if visual.size == 0:
            visual = visual.reshape(count, visual.shape[-1] if visual.ndim == 2 else 0)
        if len(ends) != count or visual.ndim != 2 or len(visual) != count:
            raise ValueError(f"clip series: {count} starts, {len(ends)} ends, visual of shape {visual.shape}")
        audio = None if self.audio is None else np.asarray(self.audio, np.float32)
        if audio is not None and (audio.ndim != 2 or len(audio) != count):
            raise ValueError(f"clip series: {count} clips but audio of shape {audio.shape}")
        # Frozen: the normalised arrays replace what was passed, once, here.
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "ends", ends)
        object.__setattr__(self, "visual", visual)
        object.__setattr__(self, "audio", audio)

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def durations(self) -> np.ndarray:
        durations: np.ndarray = self.ends - self.starts
        return durations


def series_from_rows(rows: Iterable[ClipRow]) -> ClipSeries:
    """A ClipSeries from clip rows in order (e.g. `video.clips.all()`). A video has sound in every
    clip or in none; should rows disagree, the audio is left out rather than compared in part."""
    clips = list(rows)
    if not clips:
        return ClipSeries(np.zeros(0), np.zeros(0), np.zeros((0, 0), np.float32), None)
    audio = None
    if all(clip.audio is not None for clip in clips):
        audio = np.array([np.asarray(clip.audio, np.float32) for clip in clips])
    return ClipSeries(
        starts=np.array([clip.start for clip in clips], np.float64),
        ends=np.array([clip.end for clip in clips], np.float64),
        visual=np.array([np.asarray(clip.visual, np.float32) for clip in clips]),
        audio=audio,
    )


@dataclass(frozen=True)
class AlignedPair:
    """Clip `a` of video A shown against clip `b` of video B; None on one side means the other
    video's clip has no counterpart (inserted in it, or removed from this one)."""

    a: int | None
    b: int | None


def pair_indexes(pairs: Iterable[AlignedPair]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs as two int arrays of clip indexes, −1 where a side is missing (how they are
    stored, and what every vectorised step works on)."""
    listed = list(pairs)
    a_indexes = np.fromiter((-1 if pair.a is None else pair.a for pair in listed), np.int64, len(listed))
    b_indexes = np.fromiter((-1 if pair.b is None else pair.b for pair in listed), np.int64, len(listed))
    return a_indexes, b_indexes


def pairs_from_indexes(a_indexes: np.ndarray, b_indexes: np.ndarray) -> list[AlignedPair]:
    """The inverse of `pair_indexes`."""
    return [
        AlignedPair(None if a < 0 else a, None if b < 0 else b)
        for a, b in zip(a_indexes.tolist(), b_indexes.tolist(), strict=True)
    ]


def pair_distances(
    a: ClipSeries, b: ClipSeries, pairs: Iterable[AlignedPair], *, metric: Metric
) -> tuple[np.ndarray, np.ndarray]:
    """Visual and audio distance of every pair (float64, one entry per pair, in order): NaN where a
    side is missing, and audio NaN throughout unless both videos have sound."""
    a_indexes, b_indexes = pair_indexes(pairs)
    return index_distances(a, b, a_indexes, b_indexes, metric=metric)


def index_distances(
    a: ClipSeries, b: ClipSeries, a_indexes: np.ndarray, b_indexes: np.ndarray, *, metric: Metric
) -> tuple[np.ndarray, np.ndarray]:
    """`pair_distances` on pairs given as index arrays (see `pair_indexes`)."""
    if len(a_indexes) != len(b_indexes):
        raise ValueError("index arrays of different lengths")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    check_comparable(a.visual, b.visual, "visual")
    matched = (a_indexes >= 0) & (b_indexes >= 0)
    first, second = a_indexes[matched], b_indexes[matched]
    runs = _diagonal_runs(first, second)
    visual = np.full(len(a_indexes), np.nan)
    visual[matched] = _run_distances(a.visual, b.visual, first, second, runs, metric)
    audio = np.full(len(a_indexes), np.nan)
    if a.audio is not None and b.audio is not None:
        check_comparable(a.audio, b.audio, "audio")
        audio[matched] = _run_distances(a.audio, b.audio, first, second, runs, metric)
    return visual, audio


def _diagonal_runs(first: np.ndarray, second: np.ndarray) -> list[tuple[int, int]]:
    """(begin, end) of each stretch of matched pairs that step one clip on both sides at a time.
    Aligned videos are a few such stretches, whose vectors are read as slices: gathering every
    vector into a fresh array would cost more than the distances themselves."""
    breaks = np.flatnonzero((np.diff(first) != 1) | (np.diff(second) != 1)) + 1
    bounds = [0, *breaks.tolist(), len(first)]
    return [(begin, end) for begin, end in itertools.pairwise(bounds) if end > begin]


def _run_distances(
    vectors_a: np.ndarray,
    vectors_b: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    runs: list[tuple[int, int]],
    metric: Metric,
) -> np.ndarray:
    distances = np.empty(len(first))
    for begin, end in runs:
        start_a, start_b, length = int(first[begin]), int(second[begin]), end - begin
        distances[begin:end] = row_distances(
            vectors_a[start_a : start_a + length], vectors_b[start_b : start_b + length], metric
        )
    return distances


def check_comparable(first: np.ndarray, second: np.ndarray, part: str) -> None:
    """Vectors of different sizes come from different backends: comparing them would be noise."""
    if len(first) and len(second) and first.shape[1] != second.shape[1]:
        raise ValueError(f"{part} vectors of different sizes ({first.shape[1]} and {second.shape[1]}): other backends?")


def row_distances(first: np.ndarray, second: np.ndarray, metric: Metric) -> np.ndarray:
    """Distance between row k of `first` and row k of `second`, for every k at once (float64).

    Cosine distance is 1 − cos (0 same direction, 1 unrelated, 2 opposite); a zero vector is at 1
    from everything. Euclidean is the plain L2 distance (for unit vectors √(2·cosine)). Sums run in
    float32, the vectors' own precision (an error of ~1e-7 against re-encode distances of ≥ 1e-5):
    float64 accumulation would cost 8× as much."""
    if metric == "euclidean":
        difference = first - second
        euclidean = np.sqrt(np.einsum("ij,ij->i", difference, difference))
        return np.asarray(euclidean, np.float64)
    if metric != "cosine":
        raise ValueError(f"unknown metric {metric!r}")
    dots = np.einsum("ij,ij->i", first, second).astype(np.float64)
    lengths = norms(first) * norms(second)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.where(lengths > 0, dots / lengths, 0.0)
    distances: np.ndarray = np.clip(1.0 - cosine, 0.0, 2.0)
    return distances


def norms(vectors: np.ndarray) -> np.ndarray:
    """L2 norm of each row (float64; summed in float32, see `row_distances`)."""
    rows: np.ndarray = np.sqrt(np.einsum("ij,ij->i", vectors, vectors).astype(np.float64))
    return rows
