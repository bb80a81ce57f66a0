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

Engine 3's findings (issue 37) are scored by stricter rules, and only as their own kind:

- "moved" is found by a predicted "moved" covering ≥ 50 % of its A range *and* of its B range; it
  is right when the median of its four boundary errors (both ranges) is ≤ 0.25 s. A move reported
  as a removal plus an insertion misses it, and both of those are false.
- "av_sync" is right when the lag the prediction gives (its `lag`, growing by `drift` ms a minute)
  is within 20 ms of the true lag at both ends of the true range.
- "speed" is right when its `ratio` is within 0.5 % of the true one.
- "text" is right when it names both texts (compared in capitals, spaces collapsed).
- A "visual" or "both" inside a "text" truth is not false (the picture did change there), but it
  does not find it.

Works on anything shaped like the engine's result (`offset`, `segments` with `kind`, `a_start`,
`a_end`, `b_start`, `b_end`, `severity`, and engine 3's `lag`, `drift`, `ratio`, `text_a`,
`text_b`) through :func:`prediction_from`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from .edits import SEVERITIES, Severity, Truth, TruthSegment

COVERED = 0.5
GOALS = {
    "recall": 0.95,  # at least
    "precision": 0.95,  # at least
    "boundary_median": 0.25,  # seconds, at most
    "offset_error": 0.1,  # seconds, at most, on at least OFFSET_SHARE of the cases
    "lag_error": 0.020,  # seconds, at most, at both ends of an A/V sync finding
    "ratio_error": 0.005,  # relative, at most, on a speed finding
    "move_boundary_median": 0.25,  # seconds, at most, over a move's four ends
}
FINDING_KINDS = ("moved", "av_sync", "speed", "text")
OFFSET_SHARE = 0.95
_EPSILON = 1e-6


@dataclass(frozen=True)
class TruthFinding:
    """A truth of engine 3's kinds (see the module's docstring), beside edits.TruthSegment's five.
    `lag`: seconds B's sound is late against its picture, relative to A, at `a_start` (negative:
    early); `drift`: ms a minute that lag grows (None: it holds); `ratio`: B's speed over A's."""

    kind: Literal["moved", "av_sync", "speed", "text"]
    a_start: float
    a_end: float
    b_start: float
    b_end: float
    floor: Severity | None = None
    lag: float | None = None
    drift: float | None = None
    ratio: float | None = None
    text_a: str | None = None
    text_b: str | None = None


TruthSpan = TruthSegment | TruthFinding


@dataclass(frozen=True)
class FindingsTruth:
    """A case's truth when it has engine 3's findings (same shape as edits.Truth)."""

    offset: float | None
    matched_spans: tuple[tuple[float, float, float, float], ...]
    segments: tuple[TruthSpan, ...]


AnyTruth = Truth | FindingsTruth


@dataclass(frozen=True)
class Predicted:
    kind: str
    a_start: float | None
    a_end: float | None
    b_start: float | None
    b_end: float | None
    severity: str | None = None
    lag: float | None = None
    drift: float | None = None
    ratio: float | None = None
    text_a: str | None = None
    text_b: str | None = None


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
            lag=_float(getattr(segment, "lag", None)),
            drift=_float(getattr(segment, "drift", None)),
            ratio=_float(getattr(segment, "ratio", None)),
            text_a=getattr(segment, "text_a", None),
            text_b=getattr(segment, "text_b", None),
        )
        for segment in result.segments
    )
    spans = tuple(
        (float(span.a_start), float(span.a_end), float(span.b_start), float(span.b_end))
        for span in getattr(result, "matched_spans", ()) or ()
    )
    return Prediction(offset=_float(getattr(result, "offset", None)), segments=segments, matched_spans=spans)


def prediction_from_truth(truth: AnyTruth) -> Prediction:
    """The truth as if a comparison had said it (it must score perfectly)."""
    segments = tuple(map(_as_predicted, truth.segments))
    return Prediction(offset=truth.offset, segments=segments, matched_spans=truth.matched_spans)


def _as_predicted(span: TruthSpan) -> Predicted:
    severity = None if span.kind.startswith("only") else span.floor or "low"
    said = Predicted(span.kind, span.a_start, span.a_end, span.b_start, span.b_end, severity)
    if isinstance(span, TruthFinding):
        return replace(said, lag=span.lag, drift=span.drift, ratio=span.ratio, text_a=span.text_a, text_b=span.text_b)
    return said


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def compatible(first: str, second: str) -> bool:
    """Whether a segment of one kind can find a truth of the other (engine 3's kinds: only their own)."""
    return first == second or {first, second} in ({"both", "visual"}, {"both", "audio"})


def tolerated(predicted: str, truth: str) -> bool:
    """Whether a predicted segment of this kind inside a truth of that kind is not false."""
    return compatible(predicted, truth) or (truth == "text" and predicted in ("visual", "both"))


def normalised_text(text: str | None) -> str:
    return " ".join((text or "").upper().split())


def axis(segment: Predicted | TruthSpan) -> tuple[float, float] | None:
    """The segment's range on the axis it is measured on: B's for only_b, else A's."""
    start, end = (segment.b_start, segment.b_end) if segment.kind == "only_b" else (segment.a_start, segment.a_end)
    if start is None or end is None:
        return None
    return (min(start, end), max(start, end))


def _overlap(first: tuple[float, float], second: tuple[float, float]) -> float:
    return max(0.0, min(first[1], second[1]) - max(first[0], second[0]))


def _range(start: float | None, end: float | None) -> tuple[float, float] | None:
    return None if start is None or end is None else (min(start, end), max(start, end))


def _lag_at(segment: Predicted | TruthFinding, at: float) -> float:
    """The lag a finding gives at `at` seconds on A (its `drift` in ms a minute from its start)."""
    start = segment.a_start or 0.0
    return (segment.lag or 0.0) + (segment.drift or 0.0) / 60_000 * (at - start)


@dataclass(frozen=True)
class SpanResult:
    truth: TruthSpan
    best: Predicted | None
    coverage: float

    @property
    def found(self) -> bool:
        return self.best is not None and self.coverage >= COVERED - _EPSILON

    @property
    def kind_ok(self) -> bool:
        return self.found and self.best is not None and self.best.kind == self.truth.kind

    @property
    def boundary_errors(self) -> tuple[float, ...] | None:
        """|start| and |end| errors on the span's axis (a move: on A's, then on B's)."""
        truth_range, best_range = axis(self.truth), axis(self.best) if self.best is not None else None
        if not self.found or self.best is None or truth_range is None or best_range is None:
            return None
        errors: tuple[float, ...] = (abs(best_range[0] - truth_range[0]), abs(best_range[1] - truth_range[1]))
        if self.truth.kind == "moved":
            truth_b, best_b = _range(self.truth.b_start, self.truth.b_end), _range(self.best.b_start, self.best.b_end)
            if truth_b is None or best_b is None:
                return None
            errors += (abs(best_b[0] - truth_b[0]), abs(best_b[1] - truth_b[1]))
        return errors

    @property
    def detail_ok(self) -> bool | None:
        """For engine 3's kinds, whether the finding says the right thing (see the module's
        docstring); None for the other kinds."""
        truth, best = self.truth, self.best
        if not isinstance(truth, TruthFinding):
            return None
        if not self.found or best is None or best.kind != truth.kind:
            return False
        if truth.kind == "moved":
            errors = self.boundary_errors
            return errors is not None and float(np.median(errors)) <= GOALS["move_boundary_median"] + _EPSILON
        if truth.kind == "av_sync":
            if best.lag is None:
                return False
            return all(
                abs(_lag_at(best, at) - _lag_at(truth, at)) <= GOALS["lag_error"] + _EPSILON
                for at in (truth.a_start, truth.a_end)
            )
        if truth.kind == "speed":
            return (
                best.ratio is not None
                and truth.ratio is not None
                and abs(best.ratio / truth.ratio - 1) <= GOALS["ratio_error"] + _EPSILON
            )
        return normalised_text(best.text_a) == normalised_text(truth.text_a) and normalised_text(
            best.text_b
        ) == normalised_text(truth.text_b)

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
    truth: AnyTruth
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

    def detail_checks(self, kind: str) -> list[bool]:
        """Per truth finding of `kind`, whether it was found saying the right thing."""
        return [bool(span.detail_ok) for span in self.spans if span.truth.kind == kind]


def score_case(
    truth: AnyTruth,
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
            if truth_segment.kind == "moved":  # a move is found on both of its places
                coverage = min(coverage, _b_coverage(predicted, truth_segment))
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


def _b_coverage(predicted: Predicted, truth_segment: TruthSpan) -> float:
    truth_b = _range(truth_segment.b_start, truth_segment.b_end)
    predicted_b = _range(predicted.b_start, predicted.b_end)
    if truth_b is None or predicted_b is None or truth_b[1] - truth_b[0] <= _EPSILON:
        return 0.0
    return _overlap(predicted_b, truth_b) / (truth_b[1] - truth_b[0])


def _mostly_true(predicted: Predicted, truth_segments: Sequence[TruthSpan]) -> bool:
    predicted_range = axis(predicted)
    if predicted_range is None:
        return False
    ranges = sorted(
        truth_range
        for truth_segment in truth_segments
        if tolerated(predicted.kind, truth_segment.kind) and (truth_range := axis(truth_segment)) is not None
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
    # Engine 3's kinds: per kind, (truth findings, found saying the right thing).
    details: dict[str, tuple[int, int]] = field(default_factory=dict)

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
        details={
            kind: (len(checks), sum(checks))
            for kind in FINDING_KINDS
            if (checks := [ok for score in listed for ok in score.detail_checks(kind)])
        },
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
        *((_FINDING_GOALS[kind], f"{right}/{count}", right == count) for kind, (count, right) in total.details.items()),
    ]


_FINDING_GOALS = {
    "moved": f"moves reported as moves (median end error ≤ {GOALS['move_boundary_median']} s)",
    "av_sync": f"A/V lag within {GOALS['lag_error'] * 1000:.0f} ms",
    "speed": f"speed ratio within {GOALS['ratio_error']:.1%}",
    "text": "changed on-screen text named on both sides",
}
