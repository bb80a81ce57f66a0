"""Engine 3 (issue 37): where a matched span runs through unrelated footage, it is cut.

The alignment (videos.engine.passes.align) keeps its spans in order along both videos and takes
windows a fraction of a second apart for one offset, so a stretch replaced by other footage, or
two swapped stretches, can sit inside a span, where A and B then show unrelated pictures and
sounds. `without_unrelated` (on the fingerprints, before verification) cuts the span there —
picture and sound each cost as much as two unrelated moments typically do (videos.engine.signals),
for a second or more, or however short at a span's end — so that this time is "only in A" and
"only in B" like any other gap, for videos.engine.passes.moves to explain as a move or a replacement;
the spans either side get their own offsets and grow back to where the unrelated footage starts.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np

from videos.embeddings.fingerprint import AUDIO_STEPS_PER_DB
from videos.engine.model import MIN_SPAN_SECONDS, STEP, MatchedSpan, Stretch
from videos.engine.passes.base import PassState
from videos.engine.passes.screen import screen
from videos.engine.pitch import pitch_matched
from videos.engine.signals import MomentCosts, PairSignals

# Costs are in units of what two unrelated moments of the two videos typically cost (median 1).
# Footage is unrelated where picture and sound each cost at least UNRELATED_COST over a second
# (the same footage re-encoded costs under 0.15; a grade or a logo moves the picture, not the sound).
UNRELATED_COST = 0.5
SMOOTH_SECONDS = 1.0
MIN_UNRELATED_SECONDS = 1.0
# Where both sounds are silent (within QUIET_DB of the fingerprint's floor) the sound cannot tell:
# the picture alone says unrelated where it costs as much as two unrelated moments typically do
# (a grade or a logo costs far less; a silent opening of other footage, 1.1 and more).
QUIET_DB = 3.0
PICTURE_ALONE_COST = 1.0
# Such a stretch reaches out as far as picture and sound together cost EDGE_COST (the two sides of
# a swap are often one shot, alike in picture for a while), and its edges, and a move's, are put
# where the cost crosses it.
EDGE_COST = 0.3
_FINE_STEP = 0.02
_FINE_SAMPLES = 2000
# The shortest gap judging reports (videos.engine.pipeline.MIN_SEGMENT_SECONDS).
SHORTEST_GAP = 0.3


def b_times(span: MatchedSpan, times: np.ndarray) -> np.ndarray:
    """B's times for A's `times` along `span` (at its rate)."""
    mapped: np.ndarray = span.b_start + (times - span.a_start) * span.rate
    return mapped


def without_unrelated(
    signals: PairSignals, spans: list[MatchedSpan], candidates: list[Stretch]
) -> tuple[list[MatchedSpan], list[Stretch]]:
    """The spans cut where A and B show unrelated footage, and the candidates kept to what is left
    of them. Only the candidates (what screening found moving) are looked at."""
    if not candidates or not spans:
        return spans, candidates
    costs = signals.costs
    cuts: dict[int, list[tuple[float, float]]] = {}
    for stretch in candidates:
        number = _span_of(spans, stretch)
        if number is not None:
            cuts.setdefault(number, []).extend(_unrelated_runs(costs, spans[number], stretch.a_start, stretch.a_end))
    for number, span in enumerate(spans):
        if _implausible_speed(costs, span):
            cuts[number] = [(span.a_start, span.a_end)]
    if not cuts:
        return spans, candidates
    pieces: dict[int, list[MatchedSpan]] = {}
    refitted: list[MatchedSpan] = []
    all_holes: list[tuple[float, float]] = []
    for number, span in enumerate(spans):
        holes = _joined(cuts.get(number, []))
        all_holes += holes
        pieces[number] = _cut(span, holes)
        if holes and _at_a_speed(span) and sum(high - low for low, high in holes) > (span.a_end - span.a_start) / 2:
            # A speed change found across a cut or an insertion, mostly unrelated footage: no span.
            pieces[number] = []
            all_holes.append((span.a_start, span.a_end))
        elif holes:
            pieces[number], changed = _refitted(costs, pieces[number], holes)
            refitted += changed
    kept_candidates = []
    for stretch in candidates:
        number = _span_of(spans, stretch)
        if number is None or number not in cuts:
            kept_candidates.append(stretch)
        else:
            kept = [piece for piece in pieces[number] if not any(piece is other for other in refitted)]
            kept_candidates.extend(_clipped(stretch, kept))
    kept_spans, added = grown(costs, [piece for number in range(len(spans)) for piece in pieces[number]], all_holes)
    if refitted or added:
        # Screened again at their own offsets, and where they grew.
        again = screen(signals, refitted + added)
        kept_candidates = sorted(kept_candidates + again, key=lambda stretch: stretch.a_start)
    # Spans may have shrunk at a switch (`_switched`): candidates stay along them.
    kept_candidates = [piece for stretch in kept_candidates for piece in along_spans(stretch, kept_spans)]
    return kept_spans, kept_candidates


def along_spans(stretch: Stretch, spans: list[MatchedSpan]) -> list[Stretch]:
    """The parts of a candidate along the spans that face B where it does."""
    facing = [
        span
        for span in spans
        if abs(span.rate - stretch.rate) < 1e-6
        and abs(float(b_times(span, np.array([stretch.a_start]))[0]) - stretch.b_time(stretch.a_start)) < 1e-3
    ]
    return _clipped(stretch, facing)


def _implausible_speed(costs: MomentCosts, span: MatchedSpan) -> bool:
    """A span at a speed no edit plays footage at (a quarter of it, five times it), whose sound
    is unrelated over most of it: a still shot across a cut or an insertion matched slowed down
    or sped up, not a speed change."""
    if _PLAUSIBLE_RATES[0] <= span.rate <= _PLAUSIBLE_RATES[1] or not costs.with_sound:
        return False
    step = 1.0 / costs.a.visual_rate
    times = np.arange(span.a_start + step / 2, span.a_end, step)
    if not len(times):
        return False
    _, sound = _along(costs, span, times)
    assert sound is not None
    return float(np.mean(smoothed(sound, max(1, round(SMOOTH_SECONDS / step))) >= UNRELATED_COST)) > 0.5


_PLAUSIBLE_RATES = (0.5, 2.0)


def _at_a_speed(span: MatchedSpan) -> bool:
    return abs(span.rate - 1.0) > 1e-6


def grown(
    costs: MomentCosts, spans: list[MatchedSpan], holes: list[tuple[float, float]]
) -> tuple[list[MatchedSpan], list[MatchedSpan]]:
    """The spans with their edges next to a hole moved out into it as far as the footage still
    matches as they have it (a span the hole took with it may have held their edges in the
    wrong place); also the stretches they grew by, as spans."""
    grown = list(spans)
    added: list[MatchedSpan] = []
    for number in range(len(grown) - 1):
        left, right = grown[number], grown[number + 1]
        if not any(low < right.a_start + 1e-6 and high > left.a_end - 1e-6 for low, high in holes):
            continue
        if not _at_a_speed(left):
            limit = min(right.a_start, right.b_start - left.offset, left.a_end + _REFIT_SECONDS)
            end = _reach(costs, left, left.a_end, limit, forward=True)
            if end > left.a_end + 1e-3:
                added.append(_piece(left, left.a_end, end))
                left = grown[number] = _piece(left, left.a_start, end)
        if not _at_a_speed(right):
            limit = max(left.a_end, left.b_end - right.offset, right.a_start - _REFIT_SECONDS)
            start = _reach(costs, right, right.a_start, limit, forward=False)
            if start < right.a_start - 1e-3:
                added.append(_piece(right, start, right.a_start))
                grown[number + 1] = right = _piece(right, start, right.a_end)
        switched = _switched(costs, left, right)
        if switched is not None:
            new_left, new_right = switched
            if new_left.a_end > left.a_end + 1e-3:
                added.append(_piece(left, left.a_end, new_left.a_end))
            if new_right.a_start < right.a_start - 1e-3:
                added.append(_piece(right, new_right.a_start, right.a_start))
            grown[number], grown[number + 1] = new_left, new_right
    return grown, added


def _switched(costs: MomentCosts, left: MatchedSpan, right: MatchedSpan) -> tuple[MatchedSpan, MatchedSpan] | None:
    """Two spans with a gap on one video only (a cut, or an insertion), their common edge put
    again where going over from the one to the other costs least (as videos.engine.passes.align places
    it): a span that a hole took with it held it there. None when that is not the case."""
    if _at_a_speed(left) or _at_a_speed(right):
        return None
    gap_a, gap_b = right.a_start - left.a_end, right.b_start - left.b_end
    if min(gap_a, gap_b) >= SHORTEST_GAP or max(gap_a, gap_b) < SHORTEST_GAP:
        return None
    step = 1.0 / costs.a.audio_rate
    if gap_a > gap_b:  # A has more: the switch is a point on B
        centre = (left.b_end + right.b_start) / 2
        points = np.arange(max(left.b_start, centre - _SWITCH_REACH), min(right.b_end, centre + _SWITCH_REACH), step)
        first, second = points - left.offset, points - right.offset
    else:  # B has more: a point on A
        centre = (left.a_end + right.a_start) / 2
        points = np.arange(max(left.a_start, centre - _SWITCH_REACH), min(right.a_end, centre + _SWITCH_REACH), step)
        first = second = points
    if len(points) < 2:
        return None
    cost_first = _combined(*_along(costs, left, first))
    cost_second = _combined(*_along(costs, right, second))
    # cost(p) = Σ before p at the left span's offset + Σ from p at the right one's, for every p.
    before = np.concatenate([[0.0], np.cumsum(cost_first)])
    totals = before + np.concatenate([np.cumsum(cost_second[::-1])[::-1], [0.0]])
    index = int(np.argmin(totals))
    point = float(points[min(index, len(points) - 1)])
    end, start = (point - left.offset, point - right.offset) if gap_a > gap_b else (point, point)
    if end - left.a_start < MIN_SPAN_SECONDS or right.a_end - start < MIN_SPAN_SECONDS:
        return None
    return _piece(left, left.a_start, end), _piece(right, start, right.a_end)


def _combined(picture: np.ndarray, sound: np.ndarray | None) -> np.ndarray:
    return picture if sound is None else (picture + sound) / 2


_SWITCH_REACH = 1.5  # seconds either side of where the gap is now


def _reach(costs: MomentCosts, span: MatchedSpan, edge: float, limit: float, *, forward: bool) -> float:
    """How far from `edge` towards `limit` (on A) A still matches B as `span` has it, carried on."""
    step = 1.0 / costs.a.audio_rate
    offset = span.offset
    if forward:
        times = np.arange(edge - 0.2, limit, step)
        times = times[(times >= 0) & (times + offset >= 0) & (times <= costs.a.duration)]
    else:
        times = np.arange(limit, edge + 0.2, step)
        times = times[(times >= 0) & (times + offset >= 0) & (times + offset <= costs.b.duration)]
    if len(times) < 2:
        return edge
    picture, sound = _along(costs, span, times)
    moment = picture if sound is None else (picture + sound) / 2
    if forward:
        return min(limit, max(edge, switch_point(times, moment, related_first=True)))
    return max(limit, min(edge, switch_point(times, moment, related_first=False)))


def _refitted(
    costs: MomentCosts, pieces: list[MatchedSpan], holes: list[tuple[float, float]]
) -> tuple[list[MatchedSpan], list[MatchedSpan]]:
    """The pieces of a span cut at `holes`, each next to a hole with its own offset (and its edge
    there placed again): the alignment takes windows within SAME_OFFSET for one offset, and the
    two sides of footage replaced by a stretch a little longer or shorter are then one span, a
    fraction of a second off on one side. Also the pieces that changed."""
    fitted: list[MatchedSpan] = []
    changed: list[MatchedSpan] = []
    for piece in pieces:
        new = _refit(costs, piece, holes)
        previous = fitted[-1] if fitted else None
        if (
            new is not piece
            and previous is not None
            and (new.a_start < previous.a_end - 1e-6 or new.b_start < previous.b_end - 1e-6)
        ):
            new = piece
        if new is not piece:
            changed.append(new)
        fitted.append(new)
    for number, (first, second) in enumerate(itertools.pairwise(list(fitted))):
        if second.a_start < first.a_end - 1e-6 or second.b_start < first.b_end - 1e-6:
            fitted[number + 1] = pieces[number + 1]
            changed = [piece for piece in changed if piece is not second]
    return fitted, changed


def _refit(costs: MomentCosts, piece: MatchedSpan, holes: list[tuple[float, float]]) -> MatchedSpan:
    if abs(piece.rate - 1.0) > 1e-6 or piece.sound_lag or piece.sound_drift:
        return piece  # a speed change or a sound out of step has its own fit
    hole_before = next(((low, high) for low, high in holes if abs(high - piece.a_start) < 1e-6), None)
    hole_after = next(((low, high) for low, high in holes if abs(low - piece.a_end) < 1e-6), None)
    start, end = piece.a_start, piece.a_end
    if hole_after is not None and hole_before is None:
        start = max(start, end - _REFIT_SECONDS)
    elif hole_before is not None and hole_after is None:
        end = min(end, start + _REFIT_SECONDS)
    offset = fine_offset(costs, start, end, piece.offset, reach=_REFIT_REACH)
    if abs(offset - piece.offset) < _REFIT_CHANGE:
        return piece
    a_start, a_end = piece.a_start, piece.a_end
    rate = costs.a.audio_rate
    if hole_before is not None:
        times = np.arange(max(hole_before[0], a_start - _REFIT_SECONDS), a_start + 0.2, 1.0 / rate)
        if len(times) >= 2:
            a_start = switch_point(times, costs.moment(times, times + offset), related_first=False)
    if hole_after is not None:
        times = np.arange(a_end - 0.2, min(hole_after[1], a_end + _REFIT_SECONDS), 1.0 / rate)
        if len(times) >= 2:
            a_end = switch_point(times, costs.moment(times, times + offset), related_first=True)
    a_start, a_end = max(a_start, -offset, 0.0), min(a_end, costs.b.duration - offset, costs.a.duration)
    if a_end - a_start < MIN_SPAN_SECONDS:
        return piece
    return MatchedSpan(a_start, a_end, a_start + offset, a_end + offset)


_REFIT_SECONDS = 20.0  # the offset fitted again over this much of a piece next to a hole; its edge moved as far
_REFIT_REACH = 0.16  # within this of the span's offset (windows.SAME_OFFSET, and a little)
_REFIT_CHANGE = 0.03  # a piece whose offset moves less keeps the span's


def _span_of(spans: list[MatchedSpan], stretch: Stretch) -> int | None:
    """The span a candidate lies along: it starts inside it, B facing A there as the span has it."""
    for number, span in enumerate(spans):
        if span.a_start - 1e-6 <= stretch.a_start < span.a_end:
            facing = float(b_times(span, np.array([stretch.a_start]))[0])
            if abs(facing - stretch.b_time(stretch.a_start)) < 1e-3:
                return number
    return None


def _unrelated_runs(costs: MomentCosts, span: MatchedSpan, start: float, end: float) -> list[tuple[float, float]]:
    """(start, end) on A of each run of at least MIN_UNRELATED_SECONDS between `start` and `end`
    where A and B (along `span`) show unrelated footage, its edges to a fiftieth of a second."""
    step = 1.0 / costs.a.visual_rate
    times = np.arange(start + step / 2, end, step)
    # Shorter than MIN_UNRELATED_SECONDS, a stretch is still looked at: at a span's end however
    # short (below), as a span under a second long that matches nothing is.
    if len(times) * step < SHORTEST_GAP:
        return []
    width = max(1, round(SMOOTH_SECONDS / step))
    picture, sound = _along(costs, span, times)
    if sound is not None:
        picture_smoothed = smoothed(picture, width)
        unrelated = (picture_smoothed >= UNRELATED_COST) & (smoothed(sound, width) >= UNRELATED_COST)
        unrelated |= (picture_smoothed >= PICTURE_ALONE_COST) & (smoothed(_both_quiet(costs, span, times), width) > 0.5)
        moment = (picture + sound) / 2
    else:
        unrelated = smoothed(picture, width) >= UNRELATED_COST
        moment = picture
    wide = smoothed(moment, width) >= EDGE_COST
    cores = [run for run in flag_runs(unrelated) if (run[1] - run[0] + 1) * step >= MIN_UNRELATED_SECONDS]
    runs = []
    for first, last in flag_runs(wide):
        at_edge = times[first] - step <= span.a_start or times[last] + step >= span.a_end
        # Unrelated at a span's end, however short: the alignment put the edge of a gap a little
        # off (a cut with other footage put in its place, of another length).
        if not any(first <= core_first and core_last <= last for core_first, core_last in cores) and not (
            at_edge and _unlike(costs, span, times[first : last + 1])
        ):
            continue
        low, high = float(times[first] - step / 2), float(times[last] + step / 2)
        low = _edge(costs, span, low, entering=True, limits=(start, end))
        high = _edge(costs, span, high, entering=False, limits=(start, end))
        if high - low >= SHORTEST_GAP:
            runs.append((low, high))
    return runs


def _unlike(costs: MomentCosts, span: MatchedSpan, times: np.ndarray) -> bool:
    """Whether A and B along `span` at `times` show unrelated pictures and sounds, on average."""
    if len(times) * (1.0 / costs.a.visual_rate) < SHORTEST_GAP:
        return False
    picture, sound = _along(costs, span, times)
    if float(np.mean(picture)) < UNRELATED_COST:
        return False
    if sound is None or float(np.mean(sound)) >= UNRELATED_COST:
        return True
    return float(np.mean(picture)) >= PICTURE_ALONE_COST and float(np.mean(_both_quiet(costs, span, times))) > 0.5


def _both_quiet(costs: MomentCosts, span: MatchedSpan, times: np.ndarray) -> np.ndarray:
    """Per time of A, whether A's sound and B's (along `span`, where it is heard) are both within
    QUIET_DB of the fingerprint's floor in every band: silence matches silence, and says nothing."""
    assert costs.a.sound is not None and costs.b.sound is not None
    heard = b_times(span, times) + span.sound_lag + span.sound_drift * (times - span.a_start)
    loudest_a = costs.a.sound[costs.a.sound_index(times)].max(axis=-1)
    loudest_b = costs.b.sound[costs.b.sound_index(heard)].max(axis=-1)
    quiet: np.ndarray = np.maximum(loudest_a, loudest_b) <= QUIET_DB * AUDIO_STEPS_PER_DB
    return quiet


def _along(costs: MomentCosts, span: MatchedSpan, times: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The picture's and the sound's cost of A at `times` against B along `span` (B's sound read
    where it is heard: its lag, when out of step, added)."""
    other = b_times(span, times)
    picture = costs.visual_between(times, other)
    if not costs.with_sound:
        return picture, None
    lag = span.sound_lag + span.sound_drift * (times - span.a_start)
    heard = other + lag
    sound = costs.sound_only(times, heard)
    if _at_a_speed(span) and costs.a.sound is not None and costs.b.sound is not None:
        # Played faster without correction, B's sound is higher pitched: compared moved back down
        # too, and the closer counts (as videos.engine.passes.speed measures a speed change).
        levels_a = costs.a.sound[costs.a.sound_index(times)].astype(np.float32)
        levels_b = pitch_matched(costs.b.sound[costs.b.sound_index(heard)].astype(np.float32), 1.0 / span.rate)
        sound = np.minimum(sound, np.abs(levels_a - levels_b).mean(axis=-1) / costs.sound_unit)
    return picture, sound


def _edge(costs: MomentCosts, span: MatchedSpan, near: float, *, entering: bool, limits: tuple[float, float]) -> float:
    """Where, within half a second of `near` on A, the footage along `span` turns unrelated
    (`entering`) or related again, at the sound's rate."""
    times = np.arange(max(limits[0], near - 0.5), min(limits[1], near + 0.5), 1.0 / costs.a.audio_rate)
    if len(times) < 2:
        return near
    picture, sound = _along(costs, span, times)
    moment = picture if sound is None else (picture + sound) / 2
    return switch_point(times, moment, related_first=entering)


def switch_point(times: np.ndarray, moment: np.ndarray, *, related_first: bool) -> float:
    """The point among `times` that leaves the moments costing under EDGE_COST on one side
    (before it when `related_first`) and the others on the other side, as well as can be:
    cost(p) = Σ over the related side of (moment − level) − the same over the other, for every p."""
    signed = moment - EDGE_COST
    before = np.concatenate([[0.0], np.cumsum(signed)])
    after = np.concatenate([np.cumsum(signed[::-1])[::-1], [0.0]])
    index = int(np.argmin(before - after if related_first else after - before))
    if index == 0:
        return float(times[0])
    if index == len(times):
        return float(times[-1])
    return float((times[index - 1] + times[index]) / 2)


def _cut(span: MatchedSpan, holes: list[tuple[float, float]]) -> list[MatchedSpan]:
    """`span` less the A stretches in `holes` (pieces shorter than MIN_SPAN_SECONDS left out)."""
    pieces: list[MatchedSpan] = []
    start = span.a_start
    for low, high in [*holes, (span.a_end, span.a_end)]:
        if low - start >= MIN_SPAN_SECONDS:
            pieces.append(_piece(span, start, low))
        start = max(start, high)
    return pieces


def _piece(span: MatchedSpan, start: float, end: float) -> MatchedSpan:
    """`span` from `start` to `end` on A, B and its sound's lag following."""
    lag = span.sound_lag + span.sound_drift * (start - span.a_start)
    b_start, b_end = b_times(span, np.array([start, end])).tolist()
    return dataclasses.replace(span, a_start=start, a_end=end, b_start=b_start, b_end=b_end, sound_lag=lag)


def _clipped(stretch: Stretch, pieces: list[MatchedSpan]) -> list[Stretch]:
    """The parts of a candidate that lie along what is left of its span."""
    clipped = []
    for piece in pieces:
        low, high = max(stretch.a_start, piece.a_start), min(stretch.a_end, piece.a_end)
        if high - low >= STEP:
            # The offset is B's against A at the stretch's start (at a speed, it moves along).
            offset = stretch.b_time(low) - low
            clipped.append(dataclasses.replace(stretch, a_start=low, a_end=high, offset=offset))
    return clipped


def fine_offset(costs: MomentCosts, start: float, end: float, offset: float, *, reach: float = 0.1) -> float:
    """The offset over A's start–end to a fiftieth of a second, within `reach` of `offset` (a
    picture sample), on at most _FINE_SAMPLES moments."""
    times = np.linspace(start, end, int(min(_FINE_SAMPLES, max(2, (end - start) / _FINE_STEP))), endpoint=False)
    candidates = offset + np.arange(-reach, reach + _FINE_STEP / 2, _FINE_STEP)
    mean_cost = costs.moment(times[None, :], times[None, :] + candidates[:, None]).mean(axis=1)
    if costs.with_sound:
        mean_cost = mean_cost + costs.sound_only(times[None, :], times[None, :] + candidates[:, None]).mean(axis=1)
    return float(candidates[int(np.argmin(mean_cost))])


# --- helpers -------------------------------------------------------------------------------------


def smoothed(values: np.ndarray, width: int) -> np.ndarray:
    """The moving mean over `width` samples (shorter at the ends)."""
    if width <= 1 or len(values) < 2:
        return values.astype(np.float64)
    # The full convolution's middle: NumPy's "same" gives the longer input's length, and a span
    # under a second long has fewer samples than a second's width.
    kernel = np.ones(width)
    middle = slice((width - 1) // 2, (width - 1) // 2 + len(values))
    sums = np.convolve(values.astype(np.float64), kernel)[middle]
    counts = np.convolve(np.ones(len(values)), kernel)[middle]
    smoothed: np.ndarray = sums / counts
    return smoothed


def flag_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist(), strict=True))


def _joined(runs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    joined: list[tuple[float, float]] = []
    for low, high in sorted(runs):
        if joined and low <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], high))
        else:
            joined.append((low, high))
    return joined


@dataclass(frozen=True)
class Unrelated:
    """Spans cut where they run through unrelated footage (a replaced or moved stretch): that time is
    then "only in A" and "only in B", for moves and replacements to explain."""

    name: str = "unrelated footage"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        spans, candidates = without_unrelated(signals, state.spans, state.candidates)
        return dataclasses.replace(state, spans=spans, candidates=candidates)
