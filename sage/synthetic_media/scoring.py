"""How a comparison's findings measure up against a corpus case's truth (issue 13's rules).

- A truth span is **found** when one predicted segment of a compatible kind covers ≥ 50 % of it,
  measured on A's time axis (on B's for "only_b"). Compatible: the same kind, or "both" with
  "visual" or "audio" (either way round).
- A predicted segment is a **false positive** when less than half of it lies in truth spans of a
  compatible kind (on its own axis: B's for "only_b", else A's).
- **Kind accuracy**: found spans whose best predicted segment has the truth's kind.
- **Boundary error**: |start| and |end| differences between a found span and its best predicted
  segment, on the span's axis.
- **Offset error**: |predicted offset − true offset| (infinite when the comparison gives none).
- **Severity floor met**: a found span with a floor got at least that severity.

Works on anything shaped like the engine's result (`offset`, `segments` with `kind`, `a_start`,
`a_end`, `b_start`, `b_end`, `severity`) through :func:`prediction_from`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .edits import SEVERITIES, Truth, TruthSegment

COVERED = 0.5
GOALS = {
    "recall": 0.95,  # at least
    "precision": 0.95,  # at least
    "boundary_median": 0.25,  # seconds, at most
    "offset_error": 0.1,  # seconds, at most, on at least OFFSET_SHARE of the cases
}
OFFSET_SHARE = 0.95
_EPSILON = 1e-6


@dataclass(frozen=True)
class Predicted:
    kind: str
    a_start: float | None
    a_end: float | None
    b_start: float | None
    b_end: float | None
    severity: str | None = None


@dataclass(frozen=True)
class Prediction:
    offset: float | None
    segments: tuple[Predicted, ...]
    matched_spans: tuple[tuple[float, float, float, float], ...] = ()


def prediction_from(result: Any) -> Prediction:
    """A Prediction from an engine result (or anything with the same attribute names)."""
    segments = tuple(
        Predicted(
            kind=str(segment.kind),
            a_start=_float(segment.a_start),
            a_end=_float(segment.a_end),
            b_start=_float(segment.b_start),
            b_end=_float(segment.b_end),
            severity=getattr(segment, "severity", None),
        )
        for segment in result.segments
    )
    spans = tuple(
        (float(span.a_start), float(span.a_end), float(span.b_start), float(span.b_end))
        for span in getattr(result, "matched_spans", ()) or ()
    )
    return Prediction(offset=_float(getattr(result, "offset", None)), segments=segments, matched_spans=spans)


def prediction_from_truth(truth: Truth) -> Prediction:
    """The truth as if a comparison had said it (it must score perfectly)."""
    return Prediction(
        offset=truth.offset,
        segments=tuple(
            Predicted(
                s.kind, s.a_start, s.a_end, s.b_start, s.b_end, None if s.kind.startswith("only") else s.floor or "low"
            )
            for s in truth.segments
        ),
        matched_spans=truth.matched_spans,
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def compatible(first: str, second: str) -> bool:
    return first == second or {first, second} in ({"both", "visual"}, {"both", "audio"})


def axis(segment: Predicted | TruthSegment) -> tuple[float, float] | None:
    """The segment's range on the axis it is measured on: B's for only_b, else A's."""
    start, end = (segment.b_start, segment.b_end) if segment.kind == "only_b" else (segment.a_start, segment.a_end)
    if start is None or end is None:
        return None
    return (min(start, end), max(start, end))


def _overlap(first: tuple[float, float], second: tuple[float, float]) -> float:
    return max(0.0, min(first[1], second[1]) - max(first[0], second[0]))


@dataclass(frozen=True)
class SpanResult:
    truth: TruthSegment
    best: Predicted | None
    coverage: float

    @property
    def found(self) -> bool:
        return self.best is not None and self.coverage >= COVERED - _EPSILON

    @property
    def kind_ok(self) -> bool:
        return self.found and self.best is not None and self.best.kind == self.truth.kind

    @property
    def boundary_errors(self) -> tuple[float, float] | None:
        truth_range, best_range = axis(self.truth), axis(self.best) if self.best is not None else None
        if not self.found or truth_range is None or best_range is None:
            return None
        return (abs(best_range[0] - truth_range[0]), abs(best_range[1] - truth_range[1]))

    @property
    def severity_ok(self) -> bool | None:
        """None when the truth sets no floor."""
        if self.truth.floor is None:
            return None
        severity = self.best.severity if self.found and self.best is not None else None
        return severity in SEVERITIES and SEVERITIES.index(severity) >= SEVERITIES.index(self.truth.floor)


@dataclass(frozen=True)
class CaseScore:
    name: str
    category: str
    held_out: bool
    truth: Truth
    prediction: Prediction
    spans: tuple[SpanResult, ...]
    false_positives: tuple[Predicted, ...]
    seconds: float = 0.0

    @property
    def found(self) -> int:
        return sum(span.found for span in self.spans)

    @property
    def missed(self) -> int:
        return len(self.spans) - self.found

    @property
    def kind_ok(self) -> int:
        return sum(span.kind_ok for span in self.spans)

    @property
    def boundary_errors(self) -> list[float]:
        return [error for span in self.spans if (errors := span.boundary_errors) for error in errors]

    @property
    def offset_error(self) -> float | None:
        """None when the truth has no offset (nothing in common)."""
        if self.truth.offset is None:
            return None
        if self.prediction.offset is None:
            return math.inf
        return abs(self.prediction.offset - self.truth.offset)

    @property
    def severity_checks(self) -> list[bool]:
        return [ok for span in self.spans if (ok := span.severity_ok) is not None]


def score_case(
    truth: Truth,
    prediction: Prediction,
    *,
    name: str = "",
    category: str = "",
    held_out: bool = False,
    seconds: float = 0.0,
) -> CaseScore:
    spans = []
    for truth_segment in truth.segments:
        truth_range = axis(truth_segment)
        assert truth_range is not None
        length = truth_range[1] - truth_range[0]
        best: Predicted | None = None
        best_coverage = -1.0
        for predicted in prediction.segments:
            predicted_range = axis(predicted)
            if predicted_range is None or not compatible(predicted.kind, truth_segment.kind):
                continue
            if length > _EPSILON:
                coverage = _overlap(predicted_range, truth_range) / length
            else:
                coverage = float(predicted_range[0] - _EPSILON <= truth_range[0] <= predicted_range[1] + _EPSILON)
            # Ties go to the segment of the truth's own kind.
            if coverage > best_coverage + _EPSILON or (
                abs(coverage - best_coverage) <= _EPSILON and best is not None and predicted.kind == truth_segment.kind
            ):
                best, best_coverage = predicted, coverage
        spans.append(SpanResult(truth_segment, best, max(best_coverage, 0.0)))
    false_positives = tuple(
        predicted for predicted in prediction.segments if not _mostly_true(predicted, truth.segments)
    )
    return CaseScore(name, category, held_out, truth, prediction, tuple(spans), false_positives, seconds)


def _mostly_true(predicted: Predicted, truth_segments: Sequence[TruthSegment]) -> bool:
    predicted_range = axis(predicted)
    if predicted_range is None:
        return False
    ranges = sorted(
        truth_range
        for truth_segment in truth_segments
        if compatible(truth_segment.kind, predicted.kind) and (truth_range := axis(truth_segment)) is not None
    )
    length = predicted_range[1] - predicted_range[0]
    if length <= _EPSILON:
        return any(low - _EPSILON <= predicted_range[0] <= high + _EPSILON for low, high in ranges)
    inside, reached = 0.0, -math.inf
    for low, high in ranges:  # the union of the truth ranges, so overlapping truths count once
        low = max(low, reached)
        if high > low:
            inside += _overlap(predicted_range, (low, high))
            reached = high
    return inside >= COVERED * length - _EPSILON


@dataclass(frozen=True)
class Totals:
    cases: int
    truth_spans: int
    found: int
    predicted: int
    false_positives: int
    kind_ok: int
    boundary_errors: list[float] = field(default_factory=list)
    offset_errors: list[float] = field(default_factory=list)
    reencodes: int = 0
    reencodes_clean: int = 0
    severity_checks: int = 0
    severity_ok: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.truth_spans if self.truth_spans else 1.0

    @property
    def precision(self) -> float:
        return (self.predicted - self.false_positives) / self.predicted if self.predicted else 1.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_ok / self.found if self.found else 1.0

    def boundary(self, percentile: float) -> float:
        return float(np.percentile(self.boundary_errors, percentile)) if self.boundary_errors else 0.0

    def offset(self, percentile: float) -> float:
        return float(np.percentile(self.offset_errors, percentile)) if self.offset_errors else 0.0

    @property
    def offsets_within_goal(self) -> float:
        """The share of cases whose offset is within the goal."""
        if not self.offset_errors:
            return 1.0
        return sum(error <= GOALS["offset_error"] + _EPSILON for error in self.offset_errors) / len(self.offset_errors)


def totals(scores: Iterable[CaseScore]) -> Totals:
    listed = list(scores)
    return Totals(
        cases=len(listed),
        truth_spans=sum(len(score.spans) for score in listed),
        found=sum(score.found for score in listed),
        predicted=sum(len(score.prediction.segments) for score in listed),
        false_positives=sum(len(score.false_positives) for score in listed),
        kind_ok=sum(score.kind_ok for score in listed),
        boundary_errors=[error for score in listed for error in score.boundary_errors],
        offset_errors=[error for score in listed if (error := score.offset_error) is not None],
        reencodes=sum(score.category == "reencode" for score in listed),
        reencodes_clean=sum(score.category == "reencode" and not score.prediction.segments for score in listed),
        severity_checks=sum(len(score.severity_checks) for score in listed),
        severity_ok=sum(sum(score.severity_checks) for score in listed),
    )


def goals(total: Totals) -> list[tuple[str, str, bool]]:
    """Each goal: what it asks, what was measured, whether it is met."""
    return [
        (f"recall ≥ {GOALS['recall']}", f"{total.recall:.3f}", total.recall >= GOALS["recall"]),
        (f"precision ≥ {GOALS['precision']}", f"{total.precision:.3f}", total.precision >= GOALS["precision"]),
        (
            f"median boundary error ≤ {GOALS['boundary_median']} s",
            f"{total.boundary(50):.3f} s",
            total.boundary(50) <= GOALS["boundary_median"],
        ),
        (
            f"offset error ≤ {GOALS['offset_error']} s on ≥ {OFFSET_SHARE:.0%} of cases",
            f"{total.offsets_within_goal:.0%} (p90 {total.offset(90):.3f} s)",
            total.offsets_within_goal >= OFFSET_SHARE,
        ),
        (
            "re-encodes: no segment",
            f"{total.reencodes_clean}/{total.reencodes}",
            total.reencodes_clean == total.reencodes,
        ),
        (
            "severity floors met",
            f"{total.severity_ok}/{total.severity_checks}",
            total.severity_ok == total.severity_checks,
        ),
    ]
