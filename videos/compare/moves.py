"""Engine 3 (issue 37): moved scenes and stretches replaced in place.

The alignment (videos.compare.refine) keeps its spans in order along both videos, so a stretch an
editor moved, and a stretch replaced by other footage, both end up as time that no span covers —
or, when the footage around them lines up at one offset, inside a span, where A and B then show
unrelated pictures and sounds. Three steps make them what an editor calls them:

1. `without_unrelated` (on the fingerprints, before verification): where along a span A and B show
   unrelated footage — picture and sound each cost as much as two unrelated moments typically do
   (videos.compare.moments), for a second or more — the span is cut, so that this time is "only in A"
   and "only in B" like any other gap rather than a measured change.
2. `find_moves` (on the fingerprints): a stretch of A that no span covers, found again at another
   place of B that no span covers, is one "moved" finding (A range → B range). Swaps are two moves:
   when the alignment kept one of two swapped stretches as a span out of line with its neighbours,
   that span is the other move.
3. In judging (videos.compare.changes.judge, from the spans and the findings alone, so at every
   threshold): `unexplained_gaps` takes what the moves explain out of the gaps, then
   `replaced_in_place` makes an "only in A" and an "only in B" at the same place, of lengths within
   REPLACED_LENGTHS of each other, one "both" difference (`replaced`, high severity).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable

import numpy as np

from videos.compare.moments import MomentCosts, Signals
from videos.compare.refine import MIN_SPAN_SECONDS, MatchedSpan
from videos.compare.screening import screen
from videos.compare.segments import Difference
from videos.compare.verify import STEP, Stretch
from videos.embeddings.fingerprint import Fingerprint

# Costs are in units of what two unrelated moments of the two videos typically cost (median 1).
# Footage is unrelated where picture and sound each cost at least UNRELATED_COST over a second
# (the same footage re-encoded costs under 0.15; a grade or a logo moves the picture, not the sound).
UNRELATED_COST = 0.5
SMOOTH_SECONDS = 1.0
MIN_UNRELATED_SECONDS = 1.0
# Such a stretch reaches out as far as picture and sound together cost EDGE_COST (the two sides of
# a swap are often one shot, alike in picture for a while), and its edges, and a move's, are put
# where the cost crosses it.
EDGE_COST = 0.3
# A move: a stretch of at least MIN_MOVE_SECONDS whose moments cost at most MOVE_COST on average
# (over each second) at one offset, and a margin under what the same stretch typically costs
# against the rest of the place searched (a repeated still or silence matches everything).
MOVE_COST = 0.45
MOVE_MARGIN = 0.3
MIN_MOVE_SECONDS = 1.5
# A stretch found within this of where it was is not a move (an alignment's own slack).
MIN_MOVE_DISTANCE = 1.0
# The search compares every moment of an uncovered stretch of A with every moment of one of B,
# a picture sample apart: pairs of stretches whose lengths multiply to more than this (seconds²;
# 300 s × 300 s) are not searched.
SEARCH_BUDGET = 90_000.0
# Of two swapped stretches, the one the alignment kept as a span is reported as moved too when it
# is no longer than this many times the other (a short scene moved past a long one is one move).
SWAP_LENGTHS = 2.0
# An "only in A" and an "only in B" at the same place are one replaced stretch when their lengths
# differ by at most this share of the longer.
REPLACED_LENGTHS = 0.2
_TOUCHING = 0.5  # seconds: a move and a span this close on both videos are neighbours
_SAME_PLACE = 0.05
_FINE_STEP = 0.02
_FINE_SAMPLES = 2000


# --- 1. unrelated footage inside a span -----------------------------------------------------------


def b_times(span: MatchedSpan, times: np.ndarray) -> np.ndarray:
    """B's times for A's `times` along `span` (at its rate)."""
    mapped: np.ndarray = span.b_start + (times - span.a_start) * span.rate
    return mapped


def without_unrelated(
    a: Fingerprint, b: Fingerprint, spans: list[MatchedSpan], candidates: list[Stretch]
) -> tuple[list[MatchedSpan], list[Stretch]]:
    """The spans cut where A and B show unrelated footage, and the candidates kept to what is left
    of them. Only the candidates (what screening found moving) are looked at."""
    if not candidates or not spans:
        return spans, candidates
    costs = MomentCosts(Signals(a), Signals(b))
    cuts: dict[int, list[tuple[float, float]]] = {}
    for stretch in candidates:
        number = _span_of(spans, stretch)
        if number is not None:
            cuts.setdefault(number, []).extend(_unrelated_runs(costs, spans[number], stretch.a_start, stretch.a_end))
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
    kept_spans, added = _grown(costs, [piece for number in range(len(spans)) for piece in pieces[number]], all_holes)
    if refitted or added:
        # Screened again at their own offsets, and where they grew.
        again = screen(a, b, refitted + added)
        kept_candidates = sorted(kept_candidates + again, key=lambda stretch: stretch.a_start)
    return kept_spans, kept_candidates


def _at_a_speed(span: MatchedSpan) -> bool:
    return abs(span.rate - 1.0) > 1e-6


def _grown(
    costs: MomentCosts, spans: list[MatchedSpan], holes: list[tuple[float, float]]
) -> tuple[list[MatchedSpan], list[MatchedSpan]]:
    """The spans with their edges next to a hole moved out into it as far as the footage still
    matches at their own offset (a span the hole took with it may have held their edges in the
    wrong place); also the stretches they grew by, as spans."""
    grown = list(spans)
    added: list[MatchedSpan] = []
    for number in range(len(grown) - 1):
        left, right = grown[number], grown[number + 1]
        if not any(low < right.a_start + 1e-6 and high > left.a_end - 1e-6 for low, high in holes):
            continue
        if _plain(left):
            limit = min(right.a_start, right.b_start - left.offset, left.a_end + _REFIT_SECONDS)
            end = _reach(costs, left.offset, left.a_end, limit, forward=True)
            if end > left.a_end + 1e-3:
                added.append(MatchedSpan(left.a_end, end, left.a_end + left.offset, end + left.offset))
                left = grown[number] = dataclasses.replace(left, a_end=end, b_end=end + left.offset)
        if _plain(right):
            limit = max(left.a_end, left.b_end - right.offset, right.a_start - _REFIT_SECONDS)
            start = _reach(costs, right.offset, right.a_start, limit, forward=False)
            if start < right.a_start - 1e-3:
                added.append(MatchedSpan(start, right.a_start, start + right.offset, right.a_start + right.offset))
                grown[number + 1] = dataclasses.replace(right, a_start=start, b_start=start + right.offset)
    return grown, added


def _plain(span: MatchedSpan) -> bool:
    """At the same speed, its sound in step: its offset says where everything of it is on B."""
    return not _at_a_speed(span) and not span.sound_lag and not span.sound_drift


def _reach(costs: MomentCosts, offset: float, edge: float, limit: float, *, forward: bool) -> float:
    """How far from `edge` towards `limit` (on A) A still matches B at `offset`."""
    step = 1.0 / costs.a.audio_rate
    if forward:
        times = np.arange(edge - 0.2, limit, step)
        times = times[(times >= 0) & (times + offset >= 0) & (times <= costs.a.duration)]
        if len(times) < 2:
            return edge
        return min(limit, max(edge, _switch(times, costs.moment(times, times + offset), related_first=True)))
    times = np.arange(limit, edge + 0.2, step)
    times = times[(times >= 0) & (times + offset >= 0) & (times + offset <= costs.b.duration)]
    if len(times) < 2:
        return edge
    return max(limit, min(edge, _switch(times, costs.moment(times, times + offset), related_first=False)))


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
    offset = _fine_offset(costs, start, end, piece.offset, reach=_REFIT_REACH)
    if abs(offset - piece.offset) < _REFIT_CHANGE:
        return piece
    a_start, a_end = piece.a_start, piece.a_end
    rate = costs.a.audio_rate
    if hole_before is not None:
        times = np.arange(max(hole_before[0], a_start - _REFIT_SECONDS), a_start + 0.2, 1.0 / rate)
        if len(times) >= 2:
            a_start = _switch(times, costs.moment(times, times + offset), related_first=False)
    if hole_after is not None:
        times = np.arange(a_end - 0.2, min(hole_after[1], a_end + _REFIT_SECONDS), 1.0 / rate)
        if len(times) >= 2:
            a_end = _switch(times, costs.moment(times, times + offset), related_first=True)
    a_start, a_end = max(a_start, -offset, 0.0), min(a_end, costs.b.duration - offset, costs.a.duration)
    if a_end - a_start < MIN_SPAN_SECONDS:
        return piece
    return MatchedSpan(a_start, a_end, a_start + offset, a_end + offset)


_REFIT_SECONDS = 20.0  # the offset fitted again over this much of a piece next to a hole; its edge moved as far
_REFIT_REACH = 0.16  # within this of the span's offset (windows.SAME_OFFSET, and a little)
_REFIT_CHANGE = 0.03  # a piece whose offset moves less keeps the span's


def _span_of(spans: list[MatchedSpan], stretch: Stretch) -> int | None:
    for number, span in enumerate(spans):
        if span.a_start - 1e-6 <= stretch.a_start < span.a_end and abs(span.offset - stretch.offset) < 1e-6:
            return number
    return None


def _unrelated_runs(costs: MomentCosts, span: MatchedSpan, start: float, end: float) -> list[tuple[float, float]]:
    """(start, end) on A of each run of at least MIN_UNRELATED_SECONDS between `start` and `end`
    where A and B (along `span`) show unrelated footage, its edges to a fiftieth of a second."""
    step = 1.0 / costs.a.visual_rate
    times = np.arange(start + step / 2, end, step)
    if len(times) * step < MIN_UNRELATED_SECONDS:
        return []
    other = b_times(span, times)
    width = max(1, round(SMOOTH_SECONDS / step))
    moment = costs.moment(times, other)
    if costs.with_sound:
        # `moment` is the mean of the picture's cost and the sound's.
        sound = costs.sound_only(times, other)
        unrelated = (_smoothed(2 * moment - sound, width) >= UNRELATED_COST) & (
            _smoothed(sound, width) >= UNRELATED_COST
        )
    else:
        unrelated = _smoothed(moment, width) >= UNRELATED_COST
    wide = _smoothed(moment, width) >= EDGE_COST
    cores = [run for run in _runs(unrelated) if (run[1] - run[0] + 1) * step >= MIN_UNRELATED_SECONDS]
    runs = []
    for first, last in _runs(wide):
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
        if high - low >= _SHORTEST_GAP:
            runs.append((low, high))
    return runs


def _unlike(costs: MomentCosts, span: MatchedSpan, times: np.ndarray) -> bool:
    """Whether A and B along `span` at `times` show unrelated pictures and sounds, on average."""
    if len(times) * (1.0 / costs.a.visual_rate) < _SHORTEST_GAP:
        return False
    other = b_times(span, times)
    moment = float(np.mean(costs.moment(times, other)))
    if not costs.with_sound:
        return moment >= UNRELATED_COST
    sound = float(np.mean(costs.sound_only(times, other)))
    return 2 * moment - sound >= UNRELATED_COST and sound >= UNRELATED_COST


def _edge(costs: MomentCosts, span: MatchedSpan, near: float, *, entering: bool, limits: tuple[float, float]) -> float:
    """Where, within half a second of `near` on A, the footage along `span` turns unrelated
    (`entering`) or related again, at the sound's rate."""
    times = np.arange(max(limits[0], near - 0.5), min(limits[1], near + 0.5), 1.0 / costs.a.audio_rate)
    if len(times) < 2:
        return near
    return _switch(times, costs.moment(times, b_times(span, times)), related_first=entering)


def _switch(times: np.ndarray, moment: np.ndarray, *, related_first: bool) -> float:
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
            clipped.append(dataclasses.replace(stretch, a_start=low, a_end=high))
    return clipped


# --- 2. moves -------------------------------------------------------------------------------------


def find_moves(a: Fingerprint, b: Fingerprint, spans: list[MatchedSpan]) -> list[Difference]:
    """The "moved" findings: stretches of A that no span covers found at another uncovered place
    of B, then the spans that are the other half of a swap with one of them."""
    if not spans:
        return []
    gaps_a, gaps_b = _uncovered(spans, a.duration, b.duration)
    if not gaps_a or not gaps_b:
        return []
    costs = MomentCosts(Signals(a), Signals(b))
    moves: list[tuple[float, float, float]] = []  # a_start, a_end, offset
    while True:
        best: tuple[float, float, float] | None = None
        for gap_a in gaps_a:
            for gap_b in gaps_b:
                found = _best_match(costs, gap_a, gap_b, _offsets_near(spans, gap_a))
                if found is not None and (best is None or found[1] - found[0] > best[1] - best[0]):
                    best = found
        if best is None:
            break
        moves.append(best)
        start, end, offset = best
        gaps_a = _without(gaps_a, start, end)
        gaps_b = _without(gaps_b, start + offset, end + offset)
    moved = [_moved(start, end, start + offset, end + offset) for start, end, offset in sorted(moves)]
    return sorted([*moved, *_swap_partners(spans, moved)], key=lambda move: move.a_start or 0.0)


def moved_candidates(
    a: Fingerprint, b: Fingerprint, spans: list[MatchedSpan], moves: list[Difference]
) -> list[Stretch]:
    """Screening's candidates along the moves no span covers, at the offset each went to: what
    changed in a stretch besides its place is measured there like any change."""
    along = []
    for move in moves:
        assert move.a_start is not None and move.a_end is not None and move.b_start is not None
        assert move.b_end is not None
        if not any(span.a_start - 1e-6 <= move.a_start and move.a_end <= span.a_end + 1e-6 for span in spans):
            along.append(MatchedSpan(move.a_start, move.a_end, move.b_start, move.b_end))
    return screen(a, b, along) if along else []


def _moved(a_start: float, a_end: float, b_start: float, b_end: float) -> Difference:
    # A scene out of order is a delivery an editor sends back: high.
    return Difference("moved", a_start, a_end, b_start, b_end, None, None, "high")


def _uncovered(
    spans: list[MatchedSpan], duration_a: float, duration_b: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The stretches of A and of B that no span covers, MIN_MOVE_SECONDS or longer."""
    gaps_a, gaps_b = [], []
    previous_a = previous_b = 0.0
    for span in [*spans, MatchedSpan(duration_a, duration_a, duration_b, duration_b)]:
        if span.a_start - previous_a >= MIN_MOVE_SECONDS:
            gaps_a.append((previous_a, span.a_start))
        if span.b_start - previous_b >= MIN_MOVE_SECONDS:
            gaps_b.append((previous_b, span.b_start))
        previous_a, previous_b = max(previous_a, span.a_end), max(previous_b, span.b_end)
    return gaps_a, gaps_b


def _offsets_near(spans: list[MatchedSpan], gap_a: tuple[float, float]) -> list[float]:
    """The offsets of the spans either side of an uncovered stretch of A: found there, it did not move."""
    return [span.offset for span in spans if span.a_end <= gap_a[0] + 1e-6][-1:] + [
        span.offset for span in spans if span.a_start >= gap_a[1] - 1e-6
    ][:1]


def _without(gaps: list[tuple[float, float]], start: float, end: float) -> list[tuple[float, float]]:
    kept = []
    for low, high in gaps:
        for piece_low, piece_high in ((low, min(high, start)), (max(low, end), high)):
            if piece_high - piece_low >= MIN_MOVE_SECONDS:
                kept.append((piece_low, piece_high))
    return kept


def _best_match(
    costs: MomentCosts, gap_a: tuple[float, float], gap_b: tuple[float, float], offsets_near: list[float]
) -> tuple[float, float, float] | None:
    """The longest stretch of `gap_a` (on A) shown somewhere in `gap_b` (on B), as (A start, A end,
    offset), or None. Every _ROW_EVERY-th picture sample of A is set against every one of B: each
    diagonal of that table is one offset, and those with a run of low cost are looked at again on
    every sample; the longest run there is the candidate."""
    (a0, a1), (b0, b1) = gap_a, gap_b
    if (a1 - a0) * (b1 - b0) > SEARCH_BUDGET:
        return None
    step = 1.0 / costs.a.visual_rate
    # On both videos' picture samples, so that each diagonal is a whole number of them.
    times_a = np.arange(math.ceil(a0 / step), math.floor(a1 / step) + 1) * step
    times_b = np.arange(math.ceil(b0 / step), math.floor(b1 / step) + 1) * step
    needed = math.ceil(MIN_MOVE_SECONDS / step)
    if len(times_a) < needed or len(times_b) < needed:
        return None
    sampled = times_a[::_ROW_EVERY]
    table = np.empty((len(sampled), len(times_b)), np.float32)
    rows = max(1, 2_000_000 // (len(times_b) * 64))  # ~32 MB of picture differences at a time
    for first in range(0, len(sampled), rows):
        table[first : first + rows] = _tolerant(costs, sampled[first : first + rows, None], times_b[None, :])
    typical = np.median(table, axis=1)
    diagonals = np.arange(-(len(times_a) - needed), len(times_b) - needed + 1)
    best: tuple[int, int, int] | None = None  # first row, last row, diagonal
    width = max(1, round(SMOOTH_SECONDS / step))
    for diagonal in _promising(table, diagonals, needed).tolist():
        offset = float(times_b[0] - times_a[0]) + diagonal * step
        if any(abs(offset - near) < MIN_MOVE_DISTANCE for near in offsets_near):
            continue
        first_row = max(0, -diagonal)
        last_row = min(len(times_a), len(times_b) - diagonal)
        values = _tolerant(costs, times_a[first_row:last_row], times_b[first_row + diagonal : last_row + diagonal])
        low = _smoothed(values, width) <= MOVE_COST
        for first, last in _runs(low):
            if last - first + 1 < needed or (best is not None and last - first <= best[1] - best[0]):
                continue
            usual = typical[(first_row + np.arange(first, last + 1)) // _ROW_EVERY]
            if float(np.mean(usual)) - float(np.mean(values[first : last + 1])) < MOVE_MARGIN:
                continue
            best = (first_row + first, first_row + last, diagonal)
    if best is None:
        return None
    first, last, diagonal = best
    offset = float(times_b[0] - times_a[0]) + diagonal * step
    offset = _fine_offset(costs, float(times_a[first]), float(times_a[last]), offset)
    start = _move_edge(costs, float(times_a[first] - step / 2), offset, entering=True, limits=(a0, a1), gap_b=gap_b)
    end = _move_edge(costs, float(times_a[last] + step / 2), offset, entering=False, limits=(a0, a1), gap_b=gap_b)
    if end - start < MIN_MOVE_SECONDS:
        return None
    return start, end, offset


_ROW_EVERY = 5  # the first look takes every fifth picture sample of A (half a second)


def _promising(table: np.ndarray, diagonals: np.ndarray, needed: int) -> np.ndarray:
    """The diagonals (column − row, in picture samples) along which the sampled rows of `table`
    cost at most MOVE_COST, a second at a time, for as long as a move must last."""
    rows = np.arange(len(table))
    columns = rows[:, None] * _ROW_EVERY + diagonals[None, :]
    inside = (columns >= 0) & (columns < table.shape[1])
    values = np.where(inside, table[rows[:, None], np.clip(columns, 0, table.shape[1] - 1)], np.inf)
    pair = max(1, round(SMOOTH_SECONDS / (_ROW_EVERY * 0.1)))
    if pair > 1 and len(values) >= pair:
        values = np.lib.stride_tricks.sliding_window_view(values, pair, axis=0).mean(axis=-1)
    run = np.zeros(len(diagonals), np.int64)
    longest = np.zeros(len(diagonals), np.int64)
    for low in values <= MOVE_COST:
        run = np.where(low, run + 1, 0)
        longest = np.maximum(longest, run)
    # Sampled rows are _ROW_EVERY samples apart: a run of k of them spans about k·_ROW_EVERY samples.
    promising: np.ndarray = diagonals[longest * _ROW_EVERY >= max(1, needed - _ROW_EVERY)]
    return promising


def _tolerant(costs: MomentCosts, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
    """`costs.moment`, with the sound's part the least of B's at its time and _SOUND_SHIFTS from
    it: the table's offsets are a picture sample apart, and the sound's frames, five times finer,
    would call a match half a sample off unrelated."""
    moment = costs.moment(times_a, times_b)
    if not costs.with_sound:
        return moment
    sound = costs.sound_only(times_a, times_b)
    picture = 2 * moment - sound
    for shift in _SOUND_SHIFTS:
        sound = np.minimum(sound, costs.sound_only(times_a, times_b + shift))
    tolerant: np.ndarray = (picture + sound) / 2
    return tolerant


# B's sound a frame and a half (at 50 a second) either way: no frame is then more than 0.02 s off.
_SOUND_SHIFTS = (-0.04, 0.04)


def _fine_offset(costs: MomentCosts, start: float, end: float, offset: float, *, reach: float = 0.1) -> float:
    """The offset over A's start–end to a fiftieth of a second, within `reach` of `offset` (a
    picture sample), on at most _FINE_SAMPLES moments."""
    times = np.linspace(start, end, int(min(_FINE_SAMPLES, max(2, (end - start) / _FINE_STEP))), endpoint=False)
    candidates = offset + np.arange(-reach, reach + _FINE_STEP / 2, _FINE_STEP)
    mean_cost = costs.moment(times[None, :], times[None, :] + candidates[:, None]).mean(axis=1)
    if costs.with_sound:
        mean_cost = mean_cost + costs.sound_only(times[None, :], times[None, :] + candidates[:, None]).mean(axis=1)
    return float(candidates[int(np.argmin(mean_cost))])


def _move_edge(
    costs: MomentCosts,
    near: float,
    offset: float,
    *,
    entering: bool,
    limits: tuple[float, float],
    gap_b: tuple[float, float],
) -> float:
    """Where, within half a second of `near` on A (inside both uncovered stretches), the moved
    stretch starts (`entering`) or ends, at the sound's rate: inside it the moments cost little at
    `offset`, outside it as much as unrelated ones."""
    low = max(limits[0], gap_b[0] - offset, near - 0.5)
    high = min(limits[1], gap_b[1] - offset, near + 0.5)
    times = np.arange(low, high, 1.0 / costs.a.audio_rate)
    if len(times) < 2:
        return min(max(near, low), high)
    return _switch(times, costs.moment(times, times + offset), related_first=not entering)


def _swap_partners(spans: list[MatchedSpan], moved: list[Difference]) -> list[Difference]:
    """Spans out of line with the two around them (which agree on an offset), next to a move on
    both videos the other way round, and no longer than SWAP_LENGTHS times it: the other half of
    a swap."""
    partners = []
    for before, span, after in zip(spans, spans[1:], spans[2:], strict=False):
        if abs(before.offset - after.offset) > MIN_MOVE_DISTANCE / 4:
            continue
        if abs(span.offset - before.offset) < MIN_MOVE_DISTANCE:
            continue
        for move in moved:
            assert move.a_start is not None and move.a_end is not None
            assert move.b_start is not None and move.b_end is not None
            later_on_a = abs(move.a_start - span.a_end) <= _TOUCHING and abs(move.b_end - span.b_start) <= _TOUCHING
            earlier_on_a = abs(move.a_end - span.a_start) <= _TOUCHING and abs(move.b_start - span.b_end) <= _TOUCHING
            length = span.a_end - span.a_start
            if (later_on_a or earlier_on_a) and length <= SWAP_LENGTHS * (move.a_end - move.a_start):
                partners.append(_moved(span.a_start, span.a_end, span.b_start, span.b_end))
                break
    return partners


# --- 3. judging ----------------------------------------------------------------------------------


def unexplained_gaps(gaps: list[Difference], findings: Iterable[Difference]) -> list[Difference]:
    """The "only in A" and "only in B" gaps less what the moves among `findings` explain (A's
    moved stretches out of "only in A", B's out of "only in B"); pieces shorter than judging
    reports are dropped."""
    moves = [finding for finding in findings if finding.kind == "moved"]
    if not moves:
        return gaps
    kept: list[Difference] = []
    for gap in gaps:
        on_a = gap.kind == "only_a"
        start, end = (gap.a_start, gap.a_end) if on_a else (gap.b_start, gap.b_end)
        assert start is not None and end is not None
        pieces = [(start, end)]
        for move in moves:
            low, high = (move.a_start, move.a_end) if on_a else (move.b_start, move.b_end)
            assert low is not None and high is not None
            pieces = [part for piece in pieces for part in _less(piece, low, high)]
        for low, high in pieces:
            if high - low >= _SHORTEST_GAP:
                kept.append(
                    dataclasses.replace(gap, a_start=low, a_end=high)
                    if on_a
                    else dataclasses.replace(gap, b_start=low, b_end=high)
                )
    return kept


# The shortest gap judging reports (videos.compare.changes.MIN_SEGMENT_SECONDS).
_SHORTEST_GAP = 0.3


def _less(piece: tuple[float, float], low: float, high: float) -> list[tuple[float, float]]:
    start, end = piece
    if high <= start or low >= end:
        return [piece]
    return [part for part in ((start, low), (high, end)) if part[1] - part[0] > 1e-6]


def replaced_in_place(gaps: list[Difference]) -> tuple[list[Difference], list[Difference]]:
    """(gaps left, replaced stretches): an "only in A" and an "only in B" at the same place (the
    same point between two spans on each video) whose lengths are within REPLACED_LENGTHS of each
    other are one "both" difference, `replaced`."""
    replaced: list[Difference] = []
    used: set[int] = set()
    for number, only_a in enumerate(gaps):
        if only_a.kind != "only_a":
            continue
        for other, only_b in enumerate(gaps):
            if only_b.kind != "only_b" or other in used:
                continue
            assert only_a.a_start is not None and only_a.a_end is not None and only_a.b_start is not None
            assert only_b.a_start is not None and only_b.b_start is not None and only_b.b_end is not None
            same_place = (
                abs(only_a.a_end - only_b.a_start) <= _SAME_PLACE
                and abs(only_a.b_start - only_b.b_start) <= _SAME_PLACE
            )
            length_a, length_b = only_a.a_end - only_a.a_start, only_b.b_end - only_b.b_start
            if same_place and abs(length_a - length_b) <= REPLACED_LENGTHS * max(length_a, length_b):
                used.update((number, other))
                replaced.append(
                    Difference(
                        "both", only_a.a_start, only_a.a_end, only_b.b_start, only_b.b_end, None, None, "high",
                        replaced=True,
                    )
                )  # fmt: skip
                break
    return [gap for number, gap in enumerate(gaps) if number not in used], replaced


# --- helpers -------------------------------------------------------------------------------------


def _smoothed(values: np.ndarray, width: int) -> np.ndarray:
    """The moving mean over `width` samples (shorter at the ends)."""
    if width <= 1 or len(values) < 2:
        return values.astype(np.float64)
    kernel = np.ones(width)
    sums = np.convolve(values.astype(np.float64), kernel, mode="same")
    counts = np.convolve(np.ones(len(values)), kernel, mode="same")
    smoothed: np.ndarray = sums / counts
    return smoothed


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
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
