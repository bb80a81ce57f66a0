"""The engine's result, and how it is judged at a threshold (which re-judges it at another from
what was measured, nothing decoded again: the result type and its judging live together).

    result.offset, result.spans, result.segments, result.similarity
    result.with_threshold(0.3)

Segments at a threshold: steps whose picture or sound score passes it, in runs; the gaps between
spans are "only in A" / "only in B" (those a move explains dropped, those replaced in place said
so); the findings that hold at any threshold (moved, av_sync, speed, text) are listed among them.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from videos.engine.clip_grid.segments import DistanceCurve
from videos.engine.cut_path import LEAST_CUT_SECONDS
from videos.engine.model import STEP, Alignment, Difference, DifferenceKind, MatchedSpan, Measured, Severity
from videos.engine.passes.moves import replaced_in_place, unexplained_gaps

# The default threshold on the 0–1 change scale: above every re-encode measured (bench/accuracy.py)
# and under the faintest edit the corpus holds.
DEFAULT_CHANGE_THRESHOLD = 0.15
# Severity from the peak score, fixed (docs/comparing.md): under 0.3 low, under 0.6 medium, else high.
SEVERITY_BANDS: tuple[tuple[float, Severity], ...] = ((0.3, "low"), (0.6, "medium"))
# Differences shorter than this are a flicker of the measurement, not an edit; gaps shorter than
# GAP_SECONDS inside one are closed.
MIN_SEGMENT_SECONDS = 0.3
GAP_SECONDS = 0.3
# What only one video has is reported from two frames (at up to 30 frames a second): a cut of
# two frames is an edit, and the alignment finds it (videos.engine.cut_path).
MIN_CUT_SECONDS = LEAST_CUT_SECONDS
# A changed soundtrack under a voice is masked in its loudest instants and the voice's pauses leave
# nothing to compare in a removed voice: gaps in a sound change up to this long are part of it.
SOUND_GAP_SECONDS = 1.5
CURVE_STEP = 0.5


@dataclass(frozen=True, eq=False)
class EngineResult:
    """What the engine found of a pair, judged at `threshold`: the one type the site, the API and
    the exports read (videos.compare), whichever passes found it."""

    duration_a: float
    duration_b: float
    alignment: Alignment
    threshold: float
    spans: list[MatchedSpan]
    measured: list[Measured]
    segments: list[Difference] = field(default_factory=list)
    similarity: float = 100.0
    # False while the candidates' scores are the screening's (the files not decoded yet).
    verified: bool = True
    # Engine 3: what holds at any threshold (moved, av_sync, speed, text), found once when compared.
    findings: list[Difference] = field(default_factory=list)
    # Seconds each pass took when compared (videos.engine.pipeline), in the order they ran; none
    # once re-judged at another threshold, which runs no pass.
    pass_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def offset(self) -> float | None:
        return self.spans[0].offset if self.spans else None

    @property
    def matched_spans(self) -> list[MatchedSpan]:
        return self.spans

    def counts(self) -> dict[str, int]:
        counts: Counter[str] = Counter(segment.kind for segment in self.segments)
        counts.update(segment.severity for segment in self.segments if segment.severity is not None)
        return dict(counts)

    def with_threshold(self, threshold: float) -> EngineResult:
        return self.judged_again(threshold=threshold)

    def judged_again(self, *, threshold: float | None = None, findings: list[Difference] | None = None) -> EngineResult:
        """Judged again from what was measured (nothing decoded, no pass run), at another threshold
        or with other findings."""
        return judge(
            duration_a=self.duration_a,
            duration_b=self.duration_b,
            alignment=self.alignment,
            spans=self.spans,
            measured=self.measured,
            threshold=self.threshold if threshold is None else threshold,
            verified=self.verified,
            findings=self.findings if findings is None else findings,
        )

    @property
    def curve(self) -> DistanceCurve:
        return change_curve(self.spans, self.measured)


def severity_of(score: float) -> Severity:
    for limit, severity in SEVERITY_BANDS:
        if score < limit:
            return severity
    return "high"


# --- judging -------------------------------------------------------------------------------------


def judge(
    *,
    duration_a: float,
    duration_b: float,
    alignment: Alignment,
    spans: list[MatchedSpan],
    measured: list[Measured],
    threshold: float,
    verified: bool = True,
    findings: list[Difference] | None = None,
) -> EngineResult:
    """Segments and similarity at `threshold` from the spans and what was measured, with the
    `findings` that hold at any threshold listed among them."""
    findings = findings or []
    if threshold < 0:
        raise ValueError("the threshold cannot be negative")
    changed = [segment for item in measured for segment in _changed_segments(item, threshold)]
    gaps = unexplained_gaps(_gap_segments(spans, duration_a, duration_b), findings)
    # With nothing matched at all, two videos are unrelated rather than one replaced by the other.
    kept_gaps, replaced = replaced_in_place(gaps) if spans else (gaps, [])
    segments = sorted(changed + kept_gaps + replaced + findings, key=_position)
    return EngineResult(
        duration_a=duration_a,
        duration_b=duration_b,
        alignment=alignment,
        threshold=threshold,
        spans=spans,
        measured=measured,
        segments=segments,
        similarity=_similarity(spans, sorted(changed + gaps, key=_position), duration_a, duration_b),
        verified=verified,
        findings=findings,
    )


def _position(segment: Difference) -> tuple[float, float]:
    return (segment.a_start or 0.0, segment.b_start or 0.0)


def _changed_segments(item: Measured, threshold: float) -> list[Difference]:
    picture = _steady(np.nan_to_num(item.picture, nan=0.0))
    sound = np.zeros_like(picture) if item.sound is None else np.nan_to_num(item.sound, nan=0.0)
    # Close short gaps, then drop flickers.
    picture_passes = _closed(picture > threshold, GAP_SECONDS)
    sound_passes = _closed(sound > threshold, SOUND_GAP_SECONDS)
    differs = _closed(picture_passes | sound_passes, GAP_SECONDS)
    segments: list[Difference] = []
    for first, last in _runs(differs):
        if (last - first + 1) * STEP < MIN_SEGMENT_SECONDS - 1e-6:
            continue
        run = slice(first, last + 1)
        # The kind says which scores pass over a fifth of the run or more (the sound's frames
        # reach a step across a picture's edit, a spike that is no change of sound), and a picture
        # score over the threshold is never called a change of sound alone.
        picture_share = float(picture_passes[run].mean())
        sound_share = float(sound_passes[run].mean())
        kind: DifferenceKind
        if picture_share >= 0.2 and sound_share >= 0.2:
            kind = "both"
        else:
            kind = "visual" if picture_share >= sound_share else "audio"
        if kind == "audio" and bool((picture[run] > threshold).any()):
            kind = "both"
        if kind == "both":
            first, last = _picture_edged(first, last, picture_passes, sound_passes)
            run = slice(first, last + 1)
        scores = np.maximum(picture[run], sound[run])
        peak = float(scores.max())
        # On the frame: its first and last changed frame (Measured.change_start, change_end).
        a_start = item.change_start(first, threshold)
        a_end = item.change_end(last, threshold)
        segments.append(
            Difference(
                kind=kind,
                a_start=a_start,
                a_end=a_end,
                b_start=item.b_edge(a_start),
                b_end=item.b_edge(a_end),
                peak=peak,
                mean=float(scores.mean()),
                severity=severity_of(peak),
                picture=float(picture[run].max()),
                sound=None if item.sound is None else float(sound[run].max()),
            )
        )
    return segments


def _picture_edged(first: int, last: int, picture: np.ndarray, sound: np.ndarray) -> tuple[int, int]:
    """A change of picture and sound from its first to its last step, without a step at either
    end where only the sound passes just beside the picture's first or last changed step: the
    sound's frames there reach a few hundredths of a second across the edge, so a sound that
    changes with the picture is flagged from the step before; its picture puts it on the frame
    (a stretch played backwards read 0.1 s too long at both ends)."""
    if last - first >= 2 and sound[first] and not picture[first] and picture[first + 1]:
        first += 1
    if last - first >= 2 and sound[last] and not picture[last] and picture[last - 1]:
        last -= 1
    return first, last


def _steady(scores: np.ndarray) -> np.ndarray:
    """Each step's score or, when its two neighbours agree it is out of line, theirs (the middle of
    the three): one frame a re-encoder spoiled in a fast scene is not an edit, and a change that
    lasts is left as it was, edges included."""
    if len(scores) < 3:
        return scores
    padded = np.pad(scores, 1, mode="edge")
    steady: np.ndarray = np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)
    return steady


def _closed(flags: np.ndarray, gap_seconds: float) -> np.ndarray:
    """`flags` with the gaps of up to `gap_seconds` between two set steps set too."""
    closed = flags.copy()
    longest = max(1, round(gap_seconds / STEP))
    positions = np.flatnonzero(flags)
    for previous, following in itertools.pairwise(positions.tolist()):
        if 1 < following - previous <= longest + 1:
            closed[previous:following] = True
    return closed


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist(), strict=True))


def _gap_segments(spans: list[MatchedSpan], duration_a: float, duration_b: float) -> list[Difference]:
    """What only one video has: before the first span, between spans, after the last."""
    if not spans:
        segments = []
        if duration_a > 0:
            segments.append(_only("only_a", 0.0, duration_a, 0.0))
        if duration_b > 0:
            segments.append(_only("only_b", 0.0, duration_b, 0.0))
        return segments
    segments = []
    previous_a, previous_b = 0.0, 0.0
    for span in [*spans, MatchedSpan(duration_a, duration_a, duration_b, duration_b)]:
        if span.a_start - previous_a >= MIN_CUT_SECONDS:
            segments.append(_only("only_a", previous_a, span.a_start, previous_b))
        if span.b_start - previous_b >= MIN_CUT_SECONDS:
            segments.append(_only("only_b", previous_b, span.b_start, span.a_start))
        previous_a, previous_b = span.a_end, span.b_end
    return segments


def _only(kind: DifferenceKind, start: float, end: float, point: float) -> Difference:
    """A stretch of one video (start–end on it) sitting at `point` on the other."""
    if kind == "only_a":
        return Difference(kind, start, end, point, point, None, None, None)
    return Difference(kind, point, point, start, end, None, None, None)


def _similarity(spans: list[MatchedSpan], segments: list[Difference], duration_a: float, duration_b: float) -> float:
    """Percent of the aligned time that does not differ: matched time with no difference, over the
    matched time plus what only one video has."""
    matched = sum(span.a_end - span.a_start for span in spans)
    only = sum(
        (segment.a_end or 0) - (segment.a_start or 0)
        if segment.kind == "only_a"
        else (segment.b_end or 0) - (segment.b_start or 0)
        for segment in segments
        if segment.kind in ("only_a", "only_b")
    )
    changed = sum(
        (segment.a_end or 0) - (segment.a_start or 0)
        for segment in segments
        if segment.kind not in ("only_a", "only_b")
    )
    total = matched + only
    if total <= 0:
        return 100.0
    return max(0.0, 100.0 * (matched - changed) / total)


def change_curve(spans: list[MatchedSpan], measured: list[Measured]) -> DistanceCurve:
    """Every CURVE_STEP along the spans: the time on A and B and the largest picture and sound score
    measured there (0 where screening saw nothing to measure)."""
    a_times: list[np.ndarray] = []
    b_times: list[np.ndarray] = []
    visual: list[np.ndarray] = []
    audio: list[np.ndarray] = []
    for span in spans:
        times = np.arange(span.a_start, span.a_end, CURVE_STEP)
        picture_values = np.zeros(len(times))
        sound_values = np.zeros(len(times))
        for item in measured:
            steps = item.times()
            inside = (steps >= span.a_start) & (steps < span.a_end)
            if not inside.any():
                continue
            bins = np.clip(((steps[inside] - span.a_start) / CURVE_STEP).astype(np.int64), 0, len(times) - 1)
            np.maximum.at(picture_values, bins, np.nan_to_num(item.picture[inside], nan=0.0))
            if item.sound is not None:
                np.maximum.at(sound_values, bins, np.nan_to_num(item.sound[inside], nan=0.0))
        a_times.append(times)
        b_times.append(span.b_start + (times - span.a_start) * span.rate)
        visual.append(picture_values)
        audio.append(sound_values)
    if not a_times:
        empty = np.zeros(0)
        return DistanceCurve(a_time=empty, b_time=empty, visual=empty, audio=empty)
    return DistanceCurve(
        a_time=np.concatenate(a_times),
        b_time=np.concatenate(b_times),
        visual=np.concatenate(visual),
        audio=np.concatenate(audio),
    )
