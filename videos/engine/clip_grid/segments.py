"""From per-pair distances to what a person reads: differing segments, similarity, the distance curve.

Everything here takes stored distances and a threshold, so moving the threshold re-derives the
result in milliseconds without touching a vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from videos.engine.clip_grid.distances import (
    AlignedPair,
    ClipSeries,
    pair_indexes,
)
from videos.engine.model import Difference, DifferenceKind, Metric, Severity

# Calibrated on the `local` backend (tests/videos/test_compare_media.py prints the figures with -s).
# Cosine distance of a re-encoded clip to its original: ≤ 0.004 for re-encodes at other sizes,
# codecs and bitrates (15 kbit/s included), 0.011 for the worst there is (CRF 51 at 160×120).
# Real changes: a 40×24 logo on 320×240 0.065–0.08, darkening to 60 % 0.18, a banner over a fifth
# of the picture 0.31, greyscale 0.43, replaced pictures or a changed tone 0.75–0.95. 0.05 sits
# 4.5× above the worst re-encode and under the smallest change. (A mild colour grade, ±40 levels
# of red and blue, measures 0.02–0.03: not called a difference.) The Euclidean threshold is the
# same one for unit vectors (‖u − v‖ = √(2·(1 − cos))), so both metrics call the same pairs.
# Other backends (Marengo) have other scales: the threshold is a setting of each comparison.
DEFAULT_COSINE_THRESHOLD = 0.05
DEFAULT_THRESHOLDS: dict[Metric, float] = {
    "cosine": DEFAULT_COSINE_THRESHOLD,
    "euclidean": math.sqrt(2 * DEFAULT_COSINE_THRESHOLD),
}
# Severity from a segment's peak cosine distance relative to the threshold: under 2× low, under 4×
# medium, else high (Euclidean: see `severity_for`). At the default: a small logo is low, darkening
# or a larger logo medium, a banner, a recolouring or replaced content high.
SEVERITY_STEPS: tuple[tuple[float, Severity], ...] = ((2.0, "low"), (4.0, "medium"))

_SAME, _DIFFERENT, _ONLY_A, _ONLY_B = 0, 1, 2, 3


@dataclass(frozen=True, eq=False)
class DistanceCurve:
    """Per aligned pair, for plotting: the start of its clip on A and on B (NaN where missing), and
    its visual and audio distance (NaN where not measured)."""

    a_time: np.ndarray
    b_time: np.ndarray
    visual: np.ndarray
    audio: np.ndarray

    def as_lists(self) -> dict[str, list[float | None]]:
        """JSON-ready columns: NaN becomes None."""
        return {
            name: [None if math.isnan(value) else round(value, 6) for value in values.tolist()]
            for name, values in (
                ("a_time", self.a_time),
                ("b_time", self.b_time),
                ("visual", self.visual),
                ("audio", self.audio),
            )
        }


def default_threshold(metric: Metric) -> float:
    try:
        return DEFAULT_THRESHOLDS[metric]
    except KeyError:
        raise ValueError(f"unknown metric {metric!r}") from None


def severity_for(peak: float, threshold: float, metric: Metric = "cosine") -> Severity:
    """Severity of a peak distance (see SEVERITY_STEPS). Euclidean distances compare squared, so both
    metrics grade the same unit vectors alike (‖u − v‖² = 2·cosine distance)."""
    if threshold <= 0:
        return "high"
    ratio = peak / threshold
    if metric == "euclidean":
        ratio *= ratio
    for factor, severity in SEVERITY_STEPS:
        if ratio < factor:
            return severity
    return "high"


def pair_states(
    a_indexes: np.ndarray, b_indexes: np.ndarray, visual: np.ndarray, audio: np.ndarray, *, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: its state (same, different, only in A, only in B) and whether its visual / its
    audio distance passes the threshold (strictly above it; NaN never passes)."""
    with np.errstate(invalid="ignore"):
        visual_passes = np.nan_to_num(visual, nan=-np.inf) > threshold
        audio_passes = np.nan_to_num(audio, nan=-np.inf) > threshold
    states = np.where(visual_passes | audio_passes, _DIFFERENT, _SAME)
    states = np.where(b_indexes < 0, _ONLY_A, states)
    states = np.where(a_indexes < 0, _ONLY_B, states)
    return states, visual_passes, audio_passes


def derive_segments(
    a: ClipSeries,
    b: ClipSeries,
    pairs: list[AlignedPair],
    visual_d: np.ndarray,
    audio_d: np.ndarray,
    *,
    threshold: float,
    metric: Metric = "cosine",
) -> list[Difference]:
    """Differences in alignment order (see Difference); `metric` (that of the distances) only grades
    severity. Vectorised over the pairs; the only loop is over the segments found."""
    a_indexes, b_indexes = pair_indexes(pairs)
    return segments_from_indexes(a, b, a_indexes, b_indexes, visual_d, audio_d, threshold=threshold, metric=metric)


def segments_from_indexes(
    a: ClipSeries,
    b: ClipSeries,
    a_indexes: np.ndarray,
    b_indexes: np.ndarray,
    visual: np.ndarray,
    audio: np.ndarray,
    *,
    threshold: float,
    metric: Metric = "cosine",
) -> list[Difference]:
    """`derive_segments` on pairs given as index arrays."""
    count = len(a_indexes)
    if not (len(b_indexes) == len(visual) == len(audio) == count):
        raise ValueError("pairs and distances of different lengths")
    if not count:
        return []
    states, visual_passes, audio_passes = pair_states(a_indexes, b_indexes, visual, audio, threshold=threshold)
    run_starts = np.flatnonzero(np.concatenate([[True], states[1:] != states[:-1]]))
    run_ends = np.concatenate([run_starts[1:], [count]]) - 1
    run_states = states[run_starts]
    with np.errstate(invalid="ignore"):
        difference = np.fmax(visual, audio)  # NaN only where neither was measured
    filled = np.nan_to_num(difference, nan=0.0)
    peaks = np.maximum.reduceat(filled, run_starts)
    means = np.add.reduceat(filled, run_starts) / (run_ends - run_starts + 1)
    any_visual = np.logical_or.reduceat(visual_passes, run_starts)
    any_audio = np.logical_or.reduceat(audio_passes, run_starts)
    a_points = _gap_points(a, a_indexes, run_starts[run_states == _ONLY_B])
    b_points = _gap_points(b, b_indexes, run_starts[run_states == _ONLY_A])

    segments: list[Difference] = []
    for run in np.flatnonzero(run_states != _SAME).tolist():
        first, last = int(run_starts[run]), int(run_ends[run])
        state = int(run_states[run])
        a_span = _span(a, a_indexes, first, last) if state != _ONLY_B else (a_points[first], a_points[first])
        b_span = _span(b, b_indexes, first, last) if state != _ONLY_A else (b_points[first], b_points[first])
        if state == _DIFFERENT:
            kind: DifferenceKind = ("both" if any_audio[run] else "visual") if any_visual[run] else "audio"
            peak: float | None = float(peaks[run])
            mean: float | None = float(means[run])
            severity: Severity | None = severity_for(float(peaks[run]), threshold, metric)
        else:
            kind = "only_a" if state == _ONLY_A else "only_b"
            peak = mean = severity = None
        segments.append(Difference(kind, *a_span, *b_span, peak, mean, severity, first, last))
    return segments


def _span(series: ClipSeries, indexes: np.ndarray, first: int, last: int) -> tuple[float | None, float | None]:
    return float(series.starts[indexes[first]]), float(series.ends[indexes[last]])


def _gap_points(series: ClipSeries, indexes: np.ndarray, pairs: np.ndarray) -> dict[int, float | None]:
    """For each of `pairs` (positions in the alignment), where on this video a pair without a
    clip here sits: the end of this video's last clip before it, or its start when none comes before."""
    if not len(series):
        return dict.fromkeys(pairs.tolist())
    present = np.flatnonzero(indexes >= 0)
    # The last pair with a clip here strictly before each of `pairs`.
    before = np.searchsorted(present, pairs) - 1
    points = np.where(before >= 0, series.ends[indexes[present[np.maximum(before, 0)]]], series.starts[0])
    return dict(zip(pairs.tolist(), points.tolist(), strict=True))


def pair_weights(a: ClipSeries, b: ClipSeries, a_indexes: np.ndarray, b_indexes: np.ndarray) -> np.ndarray:
    """Seconds each pair stands for: the mean length of its two clips, or its one clip's length."""

    def lengths(series: ClipSeries, indexes: np.ndarray) -> np.ndarray:
        if not len(series):
            return np.zeros(len(indexes))
        present: np.ndarray = np.where(indexes >= 0, series.durations[np.maximum(indexes, 0)], 0.0)
        return present

    a_lengths, b_lengths = lengths(a, a_indexes), lengths(b, b_indexes)
    sides = (a_indexes >= 0).astype(np.float64) + (b_indexes >= 0)
    weights: np.ndarray = (a_lengths + b_lengths) / np.maximum(sides, 1.0)
    return weights


def similarity(
    a: ClipSeries,
    b: ClipSeries,
    pairs: list[AlignedPair],
    visual_d: np.ndarray,
    audio_d: np.ndarray,
    *,
    threshold: float,
) -> float:
    """Percent of the aligned time that does not differ: the seconds of pairs whose distances both
    stay at or under the threshold, over the seconds of all pairs (each pair weighing the mean
    length of its clips; a clip only one video has counts in full, as different). Two videos
    without clips are 100 % similar."""
    a_indexes, b_indexes = pair_indexes(pairs)
    return similarity_from_indexes(a, b, a_indexes, b_indexes, visual_d, audio_d, threshold=threshold)


def similarity_from_indexes(
    a: ClipSeries,
    b: ClipSeries,
    a_indexes: np.ndarray,
    b_indexes: np.ndarray,
    visual: np.ndarray,
    audio: np.ndarray,
    *,
    threshold: float,
) -> float:
    weights = pair_weights(a, b, a_indexes, b_indexes)
    total = float(weights.sum())
    if total <= 0:
        return 100.0
    states, _, _ = pair_states(a_indexes, b_indexes, visual, audio, threshold=threshold)
    return 100.0 * float(weights[states == _SAME].sum()) / total


def distance_curve(
    a: ClipSeries, b: ClipSeries, pairs: list[AlignedPair], visual_d: np.ndarray, audio_d: np.ndarray
) -> DistanceCurve:
    a_indexes, b_indexes = pair_indexes(pairs)
    return curve_from_indexes(a, b, a_indexes, b_indexes, visual_d, audio_d)


def curve_from_indexes(
    a: ClipSeries, b: ClipSeries, a_indexes: np.ndarray, b_indexes: np.ndarray, visual: np.ndarray, audio: np.ndarray
) -> DistanceCurve:
    def times(series: ClipSeries, indexes: np.ndarray) -> np.ndarray:
        if not len(series):
            return np.full(len(indexes), np.nan)
        starts: np.ndarray = np.where(indexes >= 0, series.starts[np.maximum(indexes, 0)], np.nan)
        return starts

    return DistanceCurve(
        a_time=times(a, a_indexes), b_time=times(b, b_indexes), visual=visual.copy(), audio=audio.copy()
    )
