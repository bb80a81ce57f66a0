"""Engine 1, the clip grid: pure functions over two videos' clip vectors (no models, no database).
The site no longer compares with it; the benches keep it as their BASELINE (bench/compare.py,
bench/accuracy.py), and engine 3's coarse alignment (videos.engine.passes.align) reads 2 s clips
with its `ClipSeries`, `best_lag` and `cuts_pairs`.

    a, b = series_from_rows(video_a.clips.all()), series_from_rows(video_b.clips.all())
    pairs = align(a, b, "cuts", metric="cosine")                # which clip faces which
    visual, audio = pair_distances(a, b, pairs, metric="cosine")   # per pair, vectorised
    segments = derive_segments(a, b, pairs, visual, audio, threshold=DEFAULT_THRESHOLDS["cosine"])
    percent = similarity(a, b, pairs, visual, audio, threshold=DEFAULT_THRESHOLDS["cosine"])

or all of it at once with `compare(a, b, metric=..., alignment=..., threshold=...)`, whose result
re-derives itself at another threshold with `.with_threshold(t)`.

Modules: `distances` (ClipSeries, metrics, per-pair distances), `alignment` (none / offset / cuts),
`cuts` (the cut-aware alignment's dynamic programme), `segments` (thresholds, severities, segments,
similarity, the distance curve), `compare` (`compare`).
"""

from videos.engine.clip_grid.alignment import align, align_indexes, best_lag
from videos.engine.clip_grid.compare import ComparisonResult, compare, derive
from videos.engine.clip_grid.distances import (
    AlignedPair,
    ClipSeries,
    index_distances,
    pair_distances,
    pair_indexes,
    pairs_from_indexes,
    series_from_rows,
)
from videos.engine.clip_grid.segments import (
    DEFAULT_THRESHOLDS,
    SEVERITY_STEPS,
    DistanceCurve,
    default_threshold,
    derive_segments,
    distance_curve,
    severity_for,
    similarity,
)
from videos.engine.model import ALIGNMENTS, METRICS, Alignment, Difference, DifferenceKind, Metric, Severity

__all__ = [
    "ALIGNMENTS",
    "DEFAULT_THRESHOLDS",
    "METRICS",
    "SEVERITY_STEPS",
    "AlignedPair",
    "Alignment",
    "ClipSeries",
    "ComparisonResult",
    "Difference",
    "DifferenceKind",
    "DistanceCurve",
    "Metric",
    "Severity",
    "align",
    "align_indexes",
    "best_lag",
    "compare",
    "default_threshold",
    "derive",
    "derive_segments",
    "distance_curve",
    "index_distances",
    "pair_distances",
    "pair_indexes",
    "pairs_from_indexes",
    "series_from_rows",
    "severity_for",
    "similarity",
]
