"""Engine 3's A/V sync: B's sound measured against B's own picture, span by span (issue 37).

The alignment (videos.engine.passes.align) matches picture and sound together, so a soundtrack that is
late in B pulls a span's offset towards the sound and the picture then differs wherever it moves.
Here each matched span is measured in pieces of PIECE_SECONDS: the offset at which the picture
matches best, where the picture can tell (it moves; its best offset is clearly better than the
others), and, from that picture offset, the lag at which B's sound matches best, where the sound
can tell: by its levels (the 16 bands), or, where those barely change with the lag (a loud steady
tone under sparse clicks), by its onsets, the bands' rises from one frame to the next. The sound's
frames come 50 a second; the lag is put between them by a parabola through the best three, to a
few milliseconds. The pieces' lags then make one line over the span: a constant lag
(`MatchedSpan.sound_lag`) or one that grows (`sound_drift`, seconds per second of A).

B's sound at a moment of A is read at "B picture time + lag" (`sound_lag_at`), whatever maps A's
time to B's picture (an offset, or a rate where B plays faster).

`av_sync_findings` turns runs of spans with the same lag into one "av_sync" finding each.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from videos.engine.model import Difference, MatchedSpan, Severity, finding_over
from videos.engine.passes.base import PassState
from videos.engine.passes.speed import REPORTED_CHANGE
from videos.engine.pitch import pitch_matched
from videos.engine.signals import MomentCosts, PairSignals, VideoSignals

# The sound is looked for this far either side of the picture (lip-sync faults are frames to a
# second; further than that, a sound is another sound).
MAX_LAG = 1.0
# Lags under this are not reported: about a frame at 25 fps, and EBU R37's tolerance for sound
# ahead of picture is 40 ms. Re-encodes shift the sound by a few milliseconds (codec priming).
MIN_LAG = 0.035
# On a speed change a lag is reported when it reaches this somewhere on the span (see
# `_within_speed_slack`): a drift of 0.2 s over a programme played 4 % fast is.
SPEED_MIN_LAG = 0.1
# A lag that changes by less than this over a span is constant.
MIN_DRIFT_CHANGE = 0.04
# Two spans' lags within this of each other are one finding.
SAME_LAG = 0.025
PIECE_SECONDS = 8.0
# A long span is measured in at most this many pieces, spread along it.
MAX_PIECES = 40
# Pieces measured first (see `measure_span`).
_FIRST_LOOK = 6
# A piece's picture (or sound) can tell its offset when every candidate _AWAY seconds or more from
# its best costs this much more (in units of two unrelated moments, see MomentCosts), and
# _RISE_SHARE more than the best: a slow pan's picture rises little but from nearly nothing; a
# sound either matches or is another sound.
PICTURE_RISE = 0.03
SOUND_RISE = 0.2
# Where the sound's levels cannot tell, its onsets can when every lag _AWAY from the best meets this
# much less of them (a share of both sides' onsets over the piece; see `_onset_lag`).
ONSET_RISE = 0.3
_RISE_SHARE = 0.5
_AWAY = 0.2
# Pieces that must tell both to measure a span (and a share of those that agree with the line).
MIN_PIECES = 2
_AGREE = 0.03
_PICTURE_STEP = 0.05
_FINE_STEP = 0.02


@dataclasses.dataclass(frozen=True)
class SpanSync:
    """What a span's pieces said: the picture's offset against the span's mapping (`correction`,
    seconds to add to B's times), B's sound lag at the span's start and its growth per second of A."""

    correction: float
    lag: float
    drift: float


def sound_lag_at(span: MatchedSpan, a_times: np.ndarray) -> np.ndarray:
    """B's sound lag against B's picture at each of `a_times` on A (seconds)."""
    lags: np.ndarray = span.sound_lag + span.sound_drift * (np.asarray(a_times, np.float64) - span.a_start)
    return lags


def heard_bounds(
    bounds: tuple[float, float], shift_first: float, shift_last: float, sound_seconds_b: float
) -> tuple[float, float]:
    """`bounds` (seconds on A) narrowed to where B's sound exists when it is read `shift_first`
    later than A at bounds[0] and `shift_last` later at bounds[1] (offset and lag): a late sound
    runs past B's end, an early one starts before B's first picture, and what is not there is the
    lag's doing, not a change. `bounds` as they were when nothing would be left."""
    low = max(bounds[0], -shift_first)
    high = min(bounds[1], sound_seconds_b - shift_last)
    return (low, high) if high - low > 0.1 else bounds


def synced(costs: MomentCosts, spans: list[MatchedSpan]) -> list[MatchedSpan]:
    """`spans` with the sound lag and drift measured on each, and the offset of a span whose sound
    is out of step put where its picture says (the joint alignment sits between the two). A span
    that cannot be measured (too short, a still picture, silence) takes the constant lag of the
    nearest measured spans either side of it when they agree: a soundtrack is late as a whole."""
    if not costs.with_sound:
        return spans
    measured = [measure_span(costs, span) for span in spans]
    result = []
    for number, (span, sync) in enumerate(zip(spans, measured, strict=True)):
        if sync is None:
            sync = _from_neighbours(measured, number)
        if sync is None or (abs(sync.lag) < MIN_LAG and sync.drift == 0.0) or _within_speed_slack(span, sync):
            result.append(span)
            continue
        result.append(
            dataclasses.replace(
                span,
                b_start=span.b_start + sync.correction,
                b_end=span.b_end + sync.correction,
                sound_lag=sync.lag,
                sound_drift=sync.drift,
            )
        )
    return result


def _within_speed_slack(span: MatchedSpan, sync: SpanSync) -> bool:
    """Whether a span B plays at another speed has a lag within SPEED_MIN_LAG all along it: its
    sound, moved in pitch or stretched in time, matches A's less sharply, and pieces of a slowed
    section have measured lags of a few hundredths of a second that no sound had."""
    if abs(span.rate - 1.0) < REPORTED_CHANGE:
        return False
    ends = (sync.lag, sync.lag + sync.drift * (span.a_end - span.a_start))
    return max(abs(lag) for lag in ends) < SPEED_MIN_LAG


def _from_neighbours(measured: list[SpanSync | None], number: int) -> SpanSync | None:
    """The constant lag the nearest measured spans before and after span `number` agree on (one
    of them at either end), with no correction of the offset; None when they differ or drift."""
    before = next((sync for sync in reversed(measured[:number]) if sync is not None), None)
    after = next((sync for sync in measured[number + 1 :] if sync is not None), None)
    sides = [sync for sync in (before, after) if sync is not None]
    if not sides or any(sync.drift for sync in sides):
        return None
    if len(sides) == 2 and abs(sides[0].lag - sides[1].lag) > SAME_LAG:
        return None
    return SpanSync(0.0, float(np.mean([sync.lag for sync in sides])), 0.0)


def measure_span(costs: MomentCosts, span: MatchedSpan) -> SpanSync | None:
    """The span's picture correction, sound lag and drift; None when too few pieces can tell.
    A few pieces spread along the span are measured first: when they find one lag all along it
    (in step, as most comparisons are, or late or early by as much everywhere), that is the
    answer; otherwise every piece is measured, for the line."""
    length = span.a_end - span.a_start
    if length < PIECE_SECONDS / 2:
        return None
    count = max(1, math.ceil(length / PIECE_SECONDS))
    starts = span.a_start + np.arange(count) * (length / count)
    if count > MAX_PIECES:
        starts = starts[np.linspace(0, count - 1, MAX_PIECES).round().astype(np.int64)]
    piece_length = min(PIECE_SECONDS, length / count)
    first_look = np.zeros(len(starts), bool)
    first_look[np.linspace(0, len(starts) - 1, min(len(starts), _FIRST_LOOK)).round().astype(np.int64)] = True
    measured: dict[int, tuple[float, float]] = {}
    for look in (first_look, ~first_look):
        for number in np.flatnonzero(look).tolist():
            start = float(starts[number])
            correction = _picture_offset(costs, span, start, start + piece_length)
            lag = None if correction is None else _sound_lag(costs, span, start, start + piece_length, correction)
            if correction is not None and lag is not None:
                measured[number] = (correction, lag)
        rebased = _against_one_picture(span, measured)
        lags = np.array([lag for _, lag in rebased.values()])
        in_step = len(lags) >= MIN_PIECES and np.abs(lags).max() < MIN_LAG / 2
        if in_step or _steady(starts, piece_length, span, rebased):
            break
    if len(rebased) < MIN_PIECES:
        return None
    numbers = sorted(rebased)
    centres = starts[numbers] + piece_length / 2 - span.a_start
    corrections = np.array([rebased[number][0] for number in numbers])
    lags = np.array([rebased[number][1] for number in numbers])
    return _fitted(centres, corrections, lags, length)


def _against_one_picture(span: MatchedSpan, measured: dict[int, tuple[float, float]]) -> dict[int, tuple[float, float]]:
    """The pieces' (correction, lag) with every lag taken against one picture offset for the
    span, on a span at B's own speed. There the picture is at one offset all along; but slow or
    converted pictures put some pieces' readings a frame or two off (a 29.97 fps programme shown
    at 25 reads some pieces 60 ms off) while their sound, timed to a few milliseconds, is where it
    always was. Each lag read against its own piece's picture carries that frame as a lag no sound
    had, and when such pieces are the most, so does their median. So the offset is chosen among
    the readings at least two pieces (and a third of them) agree on: in doubt, the one that puts
    the sound most nearly in step. Where B plays at another speed, a piece's picture follows the
    speed's line and its sound with it, and each piece is kept as measured."""
    if span.rate != 1.0 or len(measured) < 2:
        return measured
    corrections = np.array([correction for correction, _ in measured.values()])
    heard = np.array([correction + lag for correction, lag in measured.values()])
    together = np.abs(corrections[:, None] - corrections[None, :]) <= _AGREE
    supported = together.sum(axis=1) >= max(2, len(corrections) / 3)
    readings = [float(np.median(corrections[row])) for row in together[supported]]
    sound = float(np.median(heard))
    picture = min(readings, key=lambda reading: abs(sound - reading)) if readings else float(np.median(corrections))
    return {number: (picture, correction + lag - picture) for number, (correction, lag) in measured.items()}


def _steady(
    starts: np.ndarray, piece_length: float, span: MatchedSpan, measured: dict[int, tuple[float, float]]
) -> bool:
    """Whether the pieces measured so far say one lag all along the span: enough of them (all the
    first look's but one), each within _AGREE / 2 of their mean, and the line through them changing
    by under half of MIN_DRIFT_CHANGE from end to end (a drift the pieces in between would fit
    shows at the ends as well)."""
    if len(measured) < max(MIN_PIECES, min(len(starts), _FIRST_LOOK) - 1):
        return False
    numbers = sorted(measured)
    centres = starts[numbers] + piece_length / 2 - span.a_start
    lags = np.array([measured[number][1] for number in numbers])
    if np.abs(lags - lags.mean()).max() > _AGREE / 2:
        return False
    if len(lags) < 3 or float(np.ptp(centres)) <= 0.0:
        return True
    slope = float(np.polyfit(centres, lags, 1)[0])
    return abs(slope) * (span.a_end - span.a_start) < MIN_DRIFT_CHANGE / 2


def _fitted(centres: np.ndarray, corrections: np.ndarray, lags: np.ndarray, length: float) -> SpanSync | None:
    """One line through the pieces' lags (`centres`: seconds from the span's start), those far
    from it left out: a drift when it changes by MIN_DRIFT_CHANGE over the span, else the lag
    most pieces agree on; None when they agree on neither."""
    correction = float(np.median(corrections))
    if len(lags) >= 3:
        keep = np.ones(len(lags), bool)
        for _ in range(2):
            slope, intercept = np.polyfit(centres[keep], lags[keep], 1)
            keep = np.abs(lags - (intercept + slope * centres)) <= _AGREE
            if keep.sum() < max(3, 0.6 * len(lags)):
                break
        else:
            # A drift is a claim about the whole span: the pieces at both its ends must lie on the
            # line. One dropped there leaves the line extrapolated where it was measured otherwise
            # (a picture's offset read off by 60 ms on slow content, its lag with it).
            if abs(slope) * length >= MIN_DRIFT_CHANGE and keep[0] and keep[-1]:
                return SpanSync(correction, float(intercept), float(slope))
    agree = np.abs(lags - np.median(lags)) <= _AGREE
    if agree.sum() < max(MIN_PIECES, 0.6 * len(lags)):
        return None
    return SpanSync(correction, float(lags[agree].mean()), 0.0)


def _picture_offset(costs: MomentCosts, span: MatchedSpan, start: float, end: float) -> float | None:
    """Seconds to add to the span's B times for the picture to match best over A's [start, end],
    or None when the picture cannot tell (it hardly moves; nothing matches clearly)."""
    a, b = costs.a, costs.b
    times_a = np.arange(math.ceil(start * a.visual_rate), math.floor(end * a.visual_rate) + 1) / a.visual_rate
    if len(times_a) < 4:
        return None
    curve = _cost_curve(a.layout[a.visual_index(times_a)], b.layout, b.visual_rate, _b_times(span, times_a), b.duration)
    offset = _best_offset(curve, _PICTURE_STEP, PICTURE_RISE * costs.visual_unit)
    return offset


def _sound_lag(costs: MomentCosts, span: MatchedSpan, start: float, end: float, correction: float) -> float | None:
    """The lag of B's sound behind B's picture (as matched, `correction` included) over A's
    [start, end], or None when the sound cannot tell (silence, a steady tone)."""
    a, b = costs.a, costs.b
    if a.sound is None or b.sound is None:
        return None
    times_a = np.arange(math.ceil(start * a.audio_rate), math.floor(end * a.audio_rate) + 1) / a.audio_rate
    if len(times_a) < 20:
        return None
    rows_a, times_b = a.sound[a.sound_index(times_a)], _b_times(span, times_a) + correction
    curve = _cost_curve(rows_a, b.sound, b.audio_rate, times_b, b.duration)
    if abs(span.rate - 1.0) >= REPORTED_CHANGE:
        # B played faster or slower: its sound may be higher or lower pitched too, or corrected
        # (videos.engine.passes.speed). Both are tried on B's sound around the piece, and the one that
        # matches A's better is measured (a speed change's sound can drift as well).
        first = max(0, math.floor((float(times_b.min()) - MAX_LAG) * b.audio_rate) - 1)
        last = min(len(b.sound), math.ceil((float(times_b.max()) + MAX_LAG) * b.audio_rate) + 2)
        near = b.sound[first:last].astype(np.float32)
        origin = first / b.audio_rate
        ends = min(b.duration, last / b.audio_rate) - origin
        shifted = _cost_curve(rows_a, pitch_matched(near, 1.0 / span.rate), b.audio_rate, times_b - origin, ends)
        plain = _cost_curve(rows_a, near, b.audio_rate, times_b - origin, ends)
        around = np.arange(-MAX_LAG, MAX_LAG + _FINE_STEP / 2, 2 * _FINE_STEP)
        curve = shifted if np.nanmin(shifted(around)) < np.nanmin(plain(around)) else plain
    lag = _best_offset(curve, _FINE_STEP, SOUND_RISE * costs.sound_unit)
    # Onsets only at B's own speed: a speed change's pieces already read lags no sound had
    # (`_within_speed_slack`), and a piece its levels cannot time is left to the others.
    if lag is None and abs(span.rate - 1.0) < REPORTED_CHANGE:
        indexes = a.sound_index(times_a)
        with_one_before = np.concatenate([[max(0, int(indexes[0]) - 1)], indexes])
        lag = _onset_lag(a.sound[with_one_before], b.sound, b.audio_rate, times_b, b.duration)
    return lag


def _onset_lag(
    levels_a: np.ndarray, levels_b: np.ndarray, rate_b: float, times_b: np.ndarray, duration_b: float
) -> float | None:
    """The lag at which the onsets of `levels_a` (A's sound frames over a piece, one before them
    included) match B's sound read at `times_b` + lag best, or None when they cannot tell: too few
    onsets, or none matching at one lag more than at every other.

    A loud steady tone under sparse clicks costs nearly as little a fifth of a second off as in
    step (its spectrum changes every few seconds), so the levels cannot tell; its clicks match at one
    lag only. The curve is in units of both sides' onsets over the piece (1: none meet, 0: all do)."""
    first = max(0, math.floor((float(times_b.min()) - MAX_LAG) * rate_b) - 2)
    last = min(len(levels_b), math.ceil((float(times_b.max()) + MAX_LAG) * rate_b) + 2)
    onsets_b = _onsets(levels_b[first:last])
    origin = first / rate_b
    onsets_a = _onsets(levels_a)[1:]
    facing = _between(onsets_b, (times_b - origin) * rate_b)
    scale = float(onsets_a.mean() + facing.mean())
    if scale <= 0.0:
        return None
    curve = _cost_curve(
        onsets_a / scale, onsets_b / scale, rate_b, times_b - origin, min(duration_b, last / rate_b) - origin
    )
    return _best_offset(curve, _FINE_STEP, ONSET_RISE)


def _onsets(levels: np.ndarray) -> np.ndarray:
    """Each band's rise in level (dB) from the sound frame before (the first frame's is 0): where
    sounds start. A steady tone has none; its re-encoding's noise, little."""
    rises = np.diff(levels.astype(np.float32), axis=0, prepend=levels[:1].astype(np.float32))
    onsets: np.ndarray = np.maximum(rises, 0.0, out=rises)
    return onsets


def _cost_curve(
    rows_a: np.ndarray, rows_b: np.ndarray, rate_b: float, times_b: np.ndarray, duration_b: float
) -> Callable[[np.ndarray], np.ndarray]:
    """candidates → the mean distance of `rows_a` from B's rows read at `times_b` + candidate
    (between B's samples); infinite where a quarter of those times fall outside B."""
    rows_a = np.ascontiguousarray(rows_a, np.float32)
    rows_b = np.ascontiguousarray(rows_b, np.float32)
    times = np.ascontiguousarray(times_b, np.float64)

    def curve(candidates: np.ndarray) -> np.ndarray:
        mean = np.empty(len(candidates), np.float64)
        _mean_distances(rows_a, rows_b, times, np.asarray(candidates, np.float64), rate_b, duration_b, mean)
        return mean

    return curve


@numba.njit(cache=True, nogil=True)
def _mean_distances(
    rows_a: np.ndarray,
    rows_b: np.ndarray,
    times_b: np.ndarray,
    candidates: np.ndarray,
    rate_b: float,
    duration_b: float,
    out: np.ndarray,
) -> None:
    """out[c] = the mean over times t inside B of mean |rows_a[t] − B's rows at (times_b[t] +
    candidates[c]) · rate_b| (linear between B's rows, clamped at its ends); infinite where under
    three quarters of the times fall inside B. A piece's curve is read at a hundred candidates:
    summed here row by row, nothing of candidates × times × features is ever held."""
    last = len(rows_b) - 1
    features = rows_a.shape[1]
    for candidate in range(len(candidates)):
        total = 0.0
        inside = 0
        for row in range(len(times_b)):
            moved = times_b[row] + candidates[candidate]
            if moved < 0.0 or moved > duration_b:
                continue
            inside += 1
            position = min(max(moved * rate_b, 0.0), float(last))
            lower = int(np.floor(position))
            upper = min(lower + 1, last)
            weight = np.float32(position - lower)
            distance = np.float32(0.0)
            for feature in range(features):
                value = rows_b[lower, feature] * (np.float32(1.0) - weight) + rows_b[upper, feature] * weight
                distance += abs(rows_a[row, feature] - value)
            total += distance / features
        if len(times_b) and inside >= 0.75 * len(times_b):
            out[candidate] = total / inside
        else:
            out[candidate] = np.inf


def _best_offset(curve: Callable[[np.ndarray], np.ndarray], step: float, least_rise: float) -> float | None:
    """The candidate within ±MAX_LAG where `curve` (candidates → mean cost) is least: found every
    `step`, then every _FINE_STEP around it, then between those by a parabola. None when the least
    is not clearly least: _AWAY seconds from it, every cost must be higher by `least_rise` and by
    _RISE_SHARE of the least (a picture that hardly moves, a steady sound, a poor match)."""
    coarse = np.arange(-MAX_LAG, MAX_LAG + step / 2, step)
    coarse_costs = curve(coarse)
    finite = np.isfinite(coarse_costs)
    if finite.sum() < len(coarse) / 2:
        return None
    best = int(np.nanargmin(np.where(finite, coarse_costs, np.nan)))
    fine, fine_costs = coarse, coarse_costs
    if step > _FINE_STEP * 1.5:
        fine = coarse[best] + np.arange(-step - _FINE_STEP, step + _FINE_STEP * 1.5, _FINE_STEP)
        fine_costs = curve(fine)
    index = int(np.argmin(fine_costs))
    least = float(fine_costs[index])
    away = finite & (np.abs(coarse - fine[index]) >= _AWAY)
    if not math.isfinite(least) or not away.any():
        return None
    if float(coarse_costs[away].min()) - least < max(least_rise, _RISE_SHARE * least):
        return None
    offset = float(fine[index])
    if 0 < index < len(fine) - 1 and np.isfinite(fine_costs[index - 1 : index + 2]).all():
        left, middle, right = fine_costs[index - 1 : index + 2]
        curvature = left - 2 * middle + right
        if curvature > 1e-9:
            offset += float(fine[1] - fine[0]) * 0.5 * float(left - right) / float(curvature)
    return offset


def _b_times(span: MatchedSpan, a_times: np.ndarray) -> np.ndarray:
    """B's picture time facing each of `a_times` along the span (at its rate)."""
    mapped: np.ndarray = span.b_start + (a_times - span.a_start) * span.rate
    return mapped


def _between(rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`rows` read at fractional `positions` (linear between neighbours, clamped at the ends)."""
    values = np.empty((len(positions), rows.shape[1]), np.float32)
    _rows_at(np.ascontiguousarray(rows, np.float32), np.ascontiguousarray(positions, np.float64), values)
    return values


@numba.njit(cache=True, nogil=True)
def _rows_at(rows: np.ndarray, positions: np.ndarray, out: np.ndarray) -> None:
    """out[i] = `rows` at fractional position positions[i] (see `_between`), row by row: a whole
    soundtrack read again at its lags is half a million rows."""
    last = len(rows) - 1
    for index in range(len(positions)):
        position = min(max(positions[index], 0.0), float(last))
        lower = int(np.floor(position))
        upper = min(lower + 1, last)
        weight = np.float32(position - lower)
        for feature in range(rows.shape[1]):
            out[index, feature] = rows[lower, feature] * (np.float32(1.0) - weight) + rows[upper, feature] * weight


def lagged_signals(signals: VideoSignals, spans: list[MatchedSpan]) -> VideoSignals:
    """B's signals with its sound moved back into step with its picture: B's sound frame at B time
    t is read from t + lag there (the nearest span's lag, on B's timeline), so that an alignment of
    picture and sound together sees them agree."""
    if signals.sound is None or not any(span.sound_lag or span.sound_drift for span in spans):
        return signals
    frame_times = np.arange(len(signals.sound)) / signals.audio_rate
    lags = np.zeros(len(frame_times))
    ordered = sorted(spans, key=lambda span: span.b_start)
    edges = [(first.b_end + second.b_start) / 2 for first, second in itertools.pairwise(ordered)]
    which = np.searchsorted(np.array(edges), frame_times)
    for number, span in enumerate(ordered):
        here = which == number
        a_times = span.a_start + (frame_times[here] - span.b_start) / (span.rate or 1.0)
        lags[here] = sound_lag_at(span, np.clip(a_times, span.a_start, span.a_end))
    moved = copy.copy(signals)
    moved.sound = _between(signals.sound, (frame_times + lags) * signals.audio_rate)
    return moved


# --- findings ------------------------------------------------------------------------------------

# How far out of sync people notice and accept (ITU-R BT.1359): sound early is noticed from 45 ms
# and unacceptable from 90 ms; sound late from 125 ms and 185 ms.
_NOTICED = {"early": 0.045, "late": 0.125}
_UNACCEPTABLE = {"early": 0.09, "late": 0.185}


def lag_severity(lag: float) -> Severity:
    side = "late" if lag > 0 else "early"
    if abs(lag) >= _UNACCEPTABLE[side]:
        return "high"
    if abs(lag) >= _NOTICED[side]:
        return "medium"
    return "low"


def av_sync_findings(spans: list[MatchedSpan]) -> list[Difference]:
    """One "av_sync" finding per run of consecutive spans whose sound is out of step the same way
    (a constant lag within SAME_LAG of the run's, or the same drift)."""
    runs: list[list[MatchedSpan]] = []
    for span in spans:
        if not (span.sound_lag or span.sound_drift):
            runs.append([])
            continue
        if runs and runs[-1] and _same_lag(runs[-1][-1], span):
            runs[-1].append(span)
        else:
            runs.append([span])
    findings = []
    for run in runs:
        if not run:
            continue
        first, last = run[0], run[-1]
        drifting = any(span.sound_drift for span in run)
        # A constant lag: the spans' own, weighted by their length; a drift: where it starts.
        lengths = np.array([span.a_end - span.a_start for span in run])
        lag = first.sound_lag if drifting else float(np.average([span.sound_lag for span in run], weights=lengths))
        end_lag = float(sound_lag_at(last, np.array([last.a_end]))[0])
        findings.append(
            finding_over(
                first,
                last,
                "av_sync",
                lag_severity(max(lag, end_lag, key=abs)),
                lag=round(lag, 4),
                drift=round(first.sound_drift * 60_000.0, 1) if drifting else None,
            )
        )
    return findings


def _same_lag(previous: MatchedSpan, span: MatchedSpan) -> bool:
    if previous.sound_drift or span.sound_drift:
        # A drift goes on across a cut when the next span starts where the last one's line got to.
        reached = float(sound_lag_at(previous, np.array([previous.a_end]))[0])
        return abs(previous.sound_drift - span.sound_drift) * 60 <= 0.01 and abs(reached - span.sound_lag) <= SAME_LAG
    return abs(previous.sound_lag - span.sound_lag) <= SAME_LAG


@dataclass(frozen=True)
class Sync:
    """The "av_sync" findings of the spans (their lags were measured with the alignment)."""

    name: str = "A/V sync"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        return dataclasses.replace(state, findings=state.findings + av_sync_findings(state.spans))
