"""One call from two clip series to a full comparison, and cheap re-derivation at another threshold."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from videos.engine.clip_grid.alignment import align_indexes
from videos.engine.clip_grid.distances import (
    AlignedPair,
    ClipSeries,
    index_distances,
    pairs_from_indexes,
)
from videos.engine.clip_grid.segments import (
    DistanceCurve,
    curve_from_indexes,
    default_threshold,
    segments_from_indexes,
    similarity_from_indexes,
)
from videos.engine.model import Alignment, Difference, Metric


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """Alignment and distances (what is worth storing: `a_indexes`, `b_indexes`, `visual`, `audio`)
    and what the threshold derives from them (`segments`, `similarity`)."""

    a: ClipSeries
    b: ClipSeries
    metric: Metric
    alignment: Alignment
    threshold: float
    a_indexes: np.ndarray  # per aligned pair: clip of A, −1 when only B has one there
    b_indexes: np.ndarray
    visual: np.ndarray  # per pair, NaN where not measured
    audio: np.ndarray
    segments: list[Difference] = field(default_factory=list)
    similarity: float = 100.0

    @property
    def pairs(self) -> list[AlignedPair]:
        return pairs_from_indexes(self.a_indexes, self.b_indexes)

    @property
    def curve(self) -> DistanceCurve:
        return curve_from_indexes(self.a, self.b, self.a_indexes, self.b_indexes, self.visual, self.audio)

    def counts(self) -> dict[str, int]:
        """Segments per kind ("visual", "audio", "both", "only_a", "only_b") and per severity."""
        counts: Counter[str] = Counter(segment.kind for segment in self.segments)
        counts.update(segment.severity for segment in self.segments if segment.severity is not None)
        return dict(counts)

    def with_threshold(self, threshold: float) -> ComparisonResult:
        """The same alignment and distances judged at another threshold (no vector is touched)."""
        return derive(
            self.a,
            self.b,
            metric=self.metric,
            alignment=self.alignment,
            threshold=threshold,
            a_indexes=self.a_indexes,
            b_indexes=self.b_indexes,
            visual=self.visual,
            audio=self.audio,
        )


def compare(
    a: ClipSeries,
    b: ClipSeries,
    *,
    metric: Metric = "cosine",
    alignment: Alignment = "none",
    threshold: float | None = None,
) -> ComparisonResult:
    """Align, measure every aligned pair, and derive segments and similarity (threshold: the
    metric's default when None)."""
    a_indexes, b_indexes = align_indexes(a, b, alignment, metric=metric)
    visual, audio = index_distances(a, b, a_indexes, b_indexes, metric=metric)
    return derive(
        a,
        b,
        metric=metric,
        alignment=alignment,
        threshold=default_threshold(metric) if threshold is None else threshold,
        a_indexes=a_indexes,
        b_indexes=b_indexes,
        visual=visual,
        audio=audio,
    )


def derive(
    a: ClipSeries,
    b: ClipSeries,
    *,
    metric: Metric,
    alignment: Alignment,
    threshold: float,
    a_indexes: np.ndarray,
    b_indexes: np.ndarray,
    visual: np.ndarray,
    audio: np.ndarray,
) -> ComparisonResult:
    """A result from stored alignment and distances (e.g. read back from the database)."""
    if threshold < 0:
        raise ValueError("the threshold cannot be negative")
    return ComparisonResult(
        a=a,
        b=b,
        metric=metric,
        alignment=alignment,
        threshold=threshold,
        a_indexes=a_indexes,
        b_indexes=b_indexes,
        visual=visual,
        audio=audio,
        segments=segments_from_indexes(a, b, a_indexes, b_indexes, visual, audio, threshold=threshold, metric=metric),
        similarity=similarity_from_indexes(a, b, a_indexes, b_indexes, visual, audio, threshold=threshold),
    )
