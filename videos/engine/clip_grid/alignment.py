"""Which clip of video A is compared with which clip of video B.

- `none`: clip i with clip i; the longer video's tail is "only in" it.
- `offset`: one global shift in whole clips (one video starts later), the lag whose overlapping
  clips are closest on average, found for every lag at once by FFT cross-correlation.
- `cuts`: a monotone clip-to-clip mapping by dynamic programming (Needleman–Wunsch with affine
  gap costs, in a band around the diagonal; see `videos.engine.clip_grid.cuts`): an inserted or removed
  stretch becomes a run of "only in B" / "only in A" clips and what follows lines up again.

Everything works on index arrays (−1: no clip on that side, see `pair_indexes`); `align` returns
them as AlignedPair objects.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft  # type: ignore[import-untyped]  # scipy ships no stubs (scipy-stubs is not installed)

from videos.engine.clip_grid.cuts import cuts_pairs
from videos.engine.clip_grid.distances import (
    AlignedPair,
    ClipSeries,
    check_comparable,
    norms,
    pairs_from_indexes,
)
from videos.engine.model import ALIGNMENTS, Alignment, Metric

# `offset` considers only lags where the videos overlap by at least this share of the shorter one:
# with a handful of overlapping clips some lag always matches well by chance.
MIN_OVERLAP_FRACTION = 0.5
# Lags whose mean cosine distances are within this of the best are a tie, settled for the smallest
# shift: a tenth of the default threshold, above what re-encoding moves a clip (≤ 0.011), so a still
# picture, which matches itself at every lag, is not shifted by noise. (Euclidean compares mean
# squared distances, twice the cosine distance for unit vectors: the tie is doubled.)
LAG_TIE = 0.005


def align(
    a: ClipSeries,
    b: ClipSeries,
    mode: Alignment,
    *,
    metric: Metric,
    band_clips: int | None = None,
    gap_penalty: float | None = None,
) -> list[AlignedPair]:
    """The pairs of clips to compare, in order along both videos (see the module's docstring).
    `band_clips` and `gap_penalty` tune `cuts` (see `videos.engine.clip_grid.cuts.cuts_pairs`)."""
    a_indexes, b_indexes = align_indexes(a, b, mode, metric=metric, band_clips=band_clips, gap_penalty=gap_penalty)
    return pairs_from_indexes(a_indexes, b_indexes)


def align_indexes(
    a: ClipSeries,
    b: ClipSeries,
    mode: Alignment,
    *,
    metric: Metric,
    band_clips: int | None = None,
    gap_penalty: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`align`, as index arrays."""
    if mode not in ALIGNMENTS:
        raise ValueError(f"unknown alignment {mode!r}")
    check_comparable(a.visual, b.visual, "visual")
    if mode == "none" or not len(a) or not len(b):
        return shifted_pairs(len(a), len(b), lag=0)
    if mode == "offset":
        return shifted_pairs(len(a), len(b), lag=best_lag(a, b, metric=metric))
    return cuts_pairs(a, b, metric=metric, band_clips=band_clips, gap_penalty=gap_penalty)


# --- none / offset -----------------------------------------------------------------------------


def shifted_pairs(a_count: int, b_count: int, *, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Clip i of A with clip i + lag of B; B's first `lag` clips (or A's first −lag) lead alone,
    and whichever video runs longer ends alone."""
    overlap_first = max(0, -lag)
    overlap_end = max(overlap_first, min(a_count, b_count - lag))
    lead_a = np.arange(min(-lag, a_count)) if lag < 0 else np.zeros(0, np.int64)
    lead_b = np.arange(min(lag, b_count)) if lag > 0 else np.zeros(0, np.int64)
    middle = np.arange(overlap_first, overlap_end)
    tail_a = np.arange(overlap_end, a_count)
    tail_b = np.arange(max(overlap_end + lag, len(lead_b)), b_count)

    def missing(count: int) -> np.ndarray:
        return np.full(count, -1, np.int64)

    a_indexes = np.concatenate([lead_a, missing(len(lead_b)), middle, tail_a, missing(len(tail_b))])
    b_indexes = np.concatenate([missing(len(lead_a)), lead_b, middle + lag, missing(len(tail_a)), tail_b])
    return a_indexes.astype(np.int64), b_indexes.astype(np.int64)


def lag_distances(first: np.ndarray, second: np.ndarray, metric: Metric) -> np.ndarray:
    """Mean distance between row i of `first` and row i + L of `second` over their overlap, for
    every lag L from −(len(first) − 1) to len(second) − 1 (in that order). Euclidean gives the
    mean squared distance (sums of squares come out of the same correlation)."""
    count_first, count_second = len(first), len(second)
    first_norms, second_norms = norms(first), norms(second)
    if metric == "cosine":
        # Unit rows: the correlation is then a sum of cosines.
        first = first / np.where(first_norms > 0, first_norms, 1.0)[:, None].astype(np.float32)
        second = second / np.where(second_norms > 0, second_norms, 1.0)[:, None].astype(np.float32)
    size = scipy.fft.next_fast_len(count_first + count_second - 1, real=True)
    spectrum = np.conj(scipy.fft.rfft(first, n=size, axis=0)) * scipy.fft.rfft(second, n=size, axis=0)
    correlation = scipy.fft.irfft(spectrum.sum(axis=1), n=size).astype(np.float64)
    # correlation[k] = Σ_i first_i · second_{i+k}, circularly: negative lags wrap to the end.
    products = np.concatenate([correlation[size - (count_first - 1) :], correlation[:count_second]])
    lags = np.arange(-(count_first - 1), count_second)
    first_begin = np.maximum(0, -lags)
    first_end = np.minimum(count_first, count_second - lags)
    overlap = np.maximum(first_end - first_begin, 1)
    if metric == "cosine":
        means: np.ndarray = 1.0 - products / overlap
        return means
    first_squares = np.concatenate([[0.0], np.cumsum(first_norms**2)])
    second_squares = np.concatenate([[0.0], np.cumsum(second_norms**2)])
    squares = (
        first_squares[first_end]
        - first_squares[first_begin]
        + second_squares[first_end + lags]
        - second_squares[first_begin + lags]
    )
    mean_square: np.ndarray = np.clip((squares - 2.0 * products) / overlap, 0.0, None)
    return mean_square


def best_lag(a: ClipSeries, b: ClipSeries, *, metric: Metric) -> int:
    """The shift L, clip i of A ↔ clip i + L of B, with the smallest mean visual (+ audio, when both
    have sound) distance over the overlap. L > 0: B has L clips before A's first (A's content starts
    L clips later in B); L < 0: the other way round."""
    count_a, count_b = len(a), len(b)
    cost = lag_distances(a.visual, b.visual, metric)
    if a.audio is not None and b.audio is not None:
        check_comparable(a.audio, b.audio, "audio")
        cost = cost + lag_distances(a.audio, b.audio, metric)
    lags = np.arange(-(count_a - 1), count_b)
    overlap = np.minimum(count_a, count_b - lags) - np.maximum(0, -lags)
    enough = overlap >= max(1, math.ceil(MIN_OVERLAP_FRACTION * min(count_a, count_b)))
    cost = np.where(enough, cost, np.inf)
    near_best = np.flatnonzero(cost <= cost.min() + (2 * LAG_TIE if metric == "euclidean" else LAG_TIE))
    return int(lags[near_best[np.argmin(np.abs(lags[near_best]))]])
