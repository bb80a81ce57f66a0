"""Engine 3 (issue 37): moved scenes and stretches replaced in place.

The alignment (videos.engine.passes.align) keeps its spans in order along both videos, so a stretch an
editor moved, and a stretch replaced by other footage, both end up as time that no span covers —
or, when the footage around them lines up at one offset, inside a span, where A and B then show
unrelated pictures and sounds. Three steps make them what an editor calls them:

1. `videos.engine.passes.unrelated.without_unrelated` (on the fingerprints, before verification): where
   along a span A and B show unrelated footage, the span is cut, so that this time is "only in A"
   and "only in B" like any other gap rather than a measured change.
2. `find_moves` (on the fingerprints): a stretch of A that no span covers, found again at another
   place of B that no span covers, is one "moved" finding (A range → B range). Swaps are two moves:
   when the alignment kept one of two swapped stretches as a span out of line with its neighbours,
   that span is the other move.
3. In judging (videos.engine.pipeline.judge, from the spans and the findings alone, so at every
   threshold): `unexplained_gaps` takes what the moves explain out of the gaps, then
   `replaced_in_place` makes an "only in A" and an "only in B" at the same place, of lengths within
   REPLACED_LENGTHS of each other, one "both" difference (`replaced`, high severity).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from videos.engine.model import MIN_SPAN_SECONDS, Difference, MatchedSpan, Stretch
from videos.engine.passes.base import PassState
from videos.engine.passes.screen import screen
from videos.engine.passes.sync import MIN_LAG, measure_span
from videos.engine.passes.unrelated import (
    SHORTEST_GAP,
    SMOOTH_SECONDS,
    along_spans,
    fine_offset,
    flag_runs,
    grown,
    smoothed,
    switch_point,
)
from videos.engine.signals import MomentCosts, PairSignals

# Costs are in units of what two unrelated moments of the two videos typically cost (median 1)
# (videos.engine.passes.unrelated).
# A move: a stretch of at least MIN_MOVE_SECONDS whose moments cost at most MOVE_COST on average
# (over each second) at one offset, and a margin under what the same stretch typically costs
# against the rest of the place searched (a repeated still or silence matches everything).
MOVE_COST = 0.45
MOVE_MARGIN = 0.3
# A steady shot under speech costs little against any moment of itself (its picture barely changes,
# and speech has pauses): found there at a small fraction of that, it is the same moment all the same.
MOVE_RATIO = 4.0
MIN_MOVE_SECONDS = 1.5
# A stretch found within this of where it was is not a move (an alignment's own slack).
MIN_MOVE_DISTANCE = 1.0
# The search compares every moment of an uncovered stretch of A with every moment of one of B,
# a picture sample apart: pairs of stretches whose lengths multiply to more than this (seconds²;
# 300 s × 300 s) are not searched.
SEARCH_BUDGET = 90_000.0
# Of two swapped stretches, the one the alignment kept as a span is reported as moved too when it
# is no longer than this many times the other: a scene moved past one under twice its length (6 s
# past 11 s) is still one move, as an editor tells it.
SWAP_LENGTHS = 1.5
# An "only in A" and an "only in B" at the same place are one replaced stretch when their lengths
# differ by at most this share of the longer.
REPLACED_LENGTHS = 0.2
_TOUCHING = 0.5  # seconds: a move and a span this close on both videos are neighbours
# A span beside a move has its offset fitted again within REFIT_REACH (a picture sample and a
# half), and takes it when it moves by REFIT_CHANGE or more (a sound frame and a half).
REFIT_REACH = 0.16
REFIT_CHANGE = 0.03
_SAME_PLACE = 0.05


# --- 2. moves -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FoundMoves:
    """What `find_moves` found: the spans (the alignment's, with stretches found in their place
    added and edges grown next to a move), the parts of them no screening has looked at yet, and
    the "moved" findings."""

    spans: list[MatchedSpan]
    unscreened: list[MatchedSpan]
    moves: list[Difference]


def find_moves(signals: PairSignals, spans: list[MatchedSpan]) -> FoundMoves:
    """Stretches of A that no span covers found at an uncovered place of B. One found on the same
    side of every span on both videos did not move (with `offset` alignment, the part of a trimmed
    programme the one offset does not reach): it is a span of its own. The others are moves, with
    the spans that are the other half of a swap; the spans beside a move grow into what is left of
    its place where they still match (the alignment put their edge where the moved footage was)."""
    nothing = FoundMoves(spans, [], [])
    if not spans:
        return nothing
    a, b = signals.a, signals.b
    gaps_a, gaps_b = _uncovered(spans, a.duration, b.duration)
    if not gaps_a or not gaps_b:
        return nothing
    costs = signals.costs
    placed = list(spans)
    unscreened: list[MatchedSpan] = []
    moves: list[tuple[float, float, float]] = []  # a_start, a_end, offset
    while True:
        best: tuple[float, float, float] | None = None
        for gap_a in gaps_a:
            for gap_b in gaps_b:
                found = _best_match(costs, gap_a, gap_b, _offsets_near(placed, gap_a))
                if found is not None and (best is None or found[1] - found[0] > best[1] - best[0]):
                    best = found
        if best is None:
            break
        start, end, offset = best
        if _in_order(placed, start, end, offset):
            span = _placed(costs, placed, start, end, offset)
            unscreened.append(span)
            placed = sorted([*placed, span], key=lambda span: span.a_start)
        else:
            moves.append(best)
        gaps_a = _without(gaps_a, start, end)
        gaps_b = _without(gaps_b, start + offset, end + offset)
    if moves:
        refitted = [_fitted_beside(costs, span, moves) for span in placed]
        # Screened again at their own offsets.
        unscreened += [new for new, old in zip(refitted, placed, strict=True) if new is not old]
        placed = refitted
        # The programmes' two ends take part as spans of no length, at offset 0 and end to end:
        # the footage before the first span may be each video's opening, in its place. They stand
        # next to a hole whatever was found: the alignment carries its first and last spans to the
        # videos' ends on no evidence, over what a move took away there.
        ends = (MatchedSpan(0.0, 0.0, 0.0, 0.0), MatchedSpan(a.duration, a.duration, b.duration, b.duration))
        holes = [(0.0, 0.0), *((start, end) for start, end, _ in moves), (a.duration, a.duration)]
        with_ends, added = grown(costs, [ends[0], *placed, ends[1]], holes)
        placed = [span for number, span in enumerate(with_ends) if _kept(span, number, len(with_ends))]
        # What they grew by is screened like them (every stretch a span covers is), however short.
        unscreened += [span for span in added if span.a_end - span.a_start >= SHORTEST_GAP]
        # The spans' edges moved: a move's edge held at one of them follows it.
        moves = [_edged_again(costs, placed, move) for move in moves]
    moved = [_moved(start, end, start + offset, end + offset) for start, end, offset in sorted(moves)]
    partners = _swap_partners(placed, moved)
    return FoundMoves(placed, unscreened, sorted([*moved, *partners], key=lambda move: move.a_start or 0.0))


def _fitted_beside(costs: MomentCosts, span: MatchedSpan, moves: list[tuple[float, float, float]]) -> MatchedSpan:
    """A span beside a move (on A) with its offset fitted again over its own stretch, within
    REFIT_REACH: the alignment's windows there saw the moved footage as well, and gave the span an
    offset a few hundredths of a second off (36 ms on a 2 s opening before a stretch moved away),
    its sound then heard as changed. A speed change or a sound out of step has its own fit."""
    beside = any(
        abs(span.a_end - start) <= _TOUCHING or abs(span.a_start - end) <= _TOUCHING for start, end, _ in moves
    )
    if not beside or abs(span.rate - 1.0) > 1e-6 or span.sound_lag or span.sound_drift:
        return span
    offset = fine_offset(costs, span.a_start, span.a_end, span.offset, reach=REFIT_REACH)
    if abs(offset - span.offset) < REFIT_CHANGE:
        return span
    return MatchedSpan(span.a_start, span.a_end, span.a_start + offset, span.a_end + offset)


def _kept(span: MatchedSpan, number: int, count: int) -> bool:
    """Whether a span after growing is kept: MIN_SPAN_SECONDS long, or, the programmes' opening or
    ending in place, long enough to be a gap judging would report (SHORTEST_GAP) if left out."""
    least = SHORTEST_GAP if number in (0, count - 1) else MIN_SPAN_SECONDS
    return span.a_end - span.a_start >= least


def _edged_again(
    costs: MomentCosts, spans: list[MatchedSpan], move: tuple[float, float, float]
) -> tuple[float, float, float]:
    """A move's edges found again among the spans as they are now (`_move_edge`), reaching as far
    as the stretches no span covers around it now reach: the spans either side of its place may
    have grown or given way since it was found."""
    start, end, offset = move
    duration_a, duration_b = costs.a.duration, costs.b.duration
    gap_a = _around(_uncovered(spans, duration_a, duration_b, least=0.0)[0], start, end)
    gap_b = _around(_uncovered(spans, duration_a, duration_b, least=0.0)[1], start + offset, end + offset)
    if gap_a is None or gap_b is None:
        return move
    reach_before = start - max(gap_a[0], gap_b[0] - offset) + 0.5
    reach_after = min(gap_a[1], gap_b[1] - offset) - end + 0.5
    new_start = _move_edge(costs, start, offset, entering=True, limits=gap_a, gap_b=gap_b, reach=reach_before)
    new_end = _move_edge(costs, end, offset, entering=False, limits=gap_a, gap_b=gap_b, reach=reach_after)
    return (new_start, new_end, offset) if new_end - new_start >= MIN_MOVE_SECONDS else move


def _around(gaps: list[tuple[float, float]], start: float, end: float) -> tuple[float, float] | None:
    """The gap holding the middle of start–end."""
    middle = (start + end) / 2
    return next(((low, high) for low, high in gaps if low - 1e-6 <= middle <= high + 1e-6), None)


def _in_order(spans: list[MatchedSpan], start: float, end: float, offset: float) -> bool:
    """Whether A's start–end, shown at `offset` on B, lies on the same side of every span on both
    videos: a move puts a stretch elsewhere relative to the footage around it."""
    middle_a = (start + end) / 2
    middle_b = middle_a + offset
    return all(
        (middle_a < (span.a_start + span.a_end) / 2) == (middle_b < (span.b_start + span.b_end) / 2) for span in spans
    )


def _placed(costs: MomentCosts, spans: list[MatchedSpan], start: float, end: float, offset: float) -> MatchedSpan:
    """A span for a stretch found in its place, its sound measured as the alignment's spans are
    (videos.engine.passes.sync: the offset found on picture and sound together sits between the two
    when the sound is out of step). Too short to measure, it takes the nearest span's constant
    lag: a soundtrack is late as a whole."""
    span = MatchedSpan(start, end, start + offset, end + offset)
    sync = measure_span(costs, span) if costs.with_sound else None
    if sync is None:
        nearest = min(spans, key=lambda other: max(other.a_start - end, start - other.a_end))
        return dataclasses.replace(span, sound_lag=nearest.sound_lag) if nearest.sound_drift == 0.0 else span
    if abs(sync.lag) < MIN_LAG and sync.drift == 0.0:
        return span
    return MatchedSpan(start, end, span.b_start + sync.correction, span.b_end + sync.correction, sync.lag, sync.drift)


def moved_candidates(signals: PairSignals, spans: list[MatchedSpan], moves: list[Difference]) -> list[Stretch]:
    """Screening's candidates along the moves no span covers, at the offset each went to: what
    changed in a stretch besides its place is measured there like any change."""
    along = []
    for move in moves:
        assert move.a_start is not None and move.a_end is not None and move.b_start is not None
        assert move.b_end is not None
        if not any(span.a_start - 1e-6 <= move.a_start and move.a_end <= span.a_end + 1e-6 for span in spans):
            along.append(MatchedSpan(move.a_start, move.a_end, move.b_start, move.b_end))
    return screen(signals, along) if along else []


def _moved(a_start: float, a_end: float, b_start: float, b_end: float) -> Difference:
    # A scene out of order is a delivery an editor sends back: high.
    return Difference("moved", a_start, a_end, b_start, b_end, None, None, "high")


def _uncovered(
    spans: list[MatchedSpan], duration_a: float, duration_b: float, *, least: float = MIN_MOVE_SECONDS
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The stretches of A and of B that no span covers, `least` or longer."""
    gaps_a, gaps_b = [], []
    previous_a = previous_b = 0.0
    for span in [*spans, MatchedSpan(duration_a, duration_a, duration_b, duration_b)]:
        if span.a_start - previous_a >= max(least, 1e-6):
            gaps_a.append((previous_a, span.a_start))
        if span.b_start - previous_b >= max(least, 1e-6):
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
        low = smoothed(values, width) <= MOVE_COST
        for first, last in flag_runs(low):
            if last - first + 1 < needed or (best is not None and last - first <= best[1] - best[0]):
                continue
            usual = float(np.mean(typical[(first_row + np.arange(first, last + 1)) // _ROW_EVERY]))
            if not _stands_out(float(np.mean(values[first : last + 1])), usual):
                continue
            best = (first_row + first, first_row + last, diagonal)
    if best is None:
        return None
    first, last, diagonal = best
    offset = float(times_b[0] - times_a[0]) + diagonal * step
    offset = fine_offset(costs, float(times_a[first]), float(times_a[last]), offset)
    start = _move_edge(costs, float(times_a[first] - step / 2), offset, entering=True, limits=(a0, a1), gap_b=gap_b)
    end = _move_edge(costs, float(times_a[last] + step / 2), offset, entering=False, limits=(a0, a1), gap_b=gap_b)
    if end - start < MIN_MOVE_SECONDS:
        return None
    return start, end, offset


def _stands_out(cost: float, usual: float) -> bool:
    """Whether a stretch matching at `cost` is told apart from what it `usual`ly costs against the
    place searched: by MOVE_MARGIN, or by half that when it matches MOVE_RATIO times as well."""
    margin = usual - cost
    return margin >= MOVE_MARGIN or (margin >= MOVE_MARGIN / 2 and usual >= MOVE_RATIO * cost)


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


def _move_edge(
    costs: MomentCosts,
    near: float,
    offset: float,
    *,
    entering: bool,
    limits: tuple[float, float],
    gap_b: tuple[float, float],
    reach: float = 0.5,
) -> float:
    """Where, within `reach` of `near` on A (inside both uncovered stretches), the moved stretch
    starts (`entering`) or ends, at the sound's rate: inside it the moments cost little at
    `offset`, outside it as much as unrelated ones."""
    low = max(limits[0], gap_b[0] - offset, near - reach)
    high = min(limits[1], gap_b[1] - offset, near + reach)
    times = np.arange(low, high, 1.0 / costs.a.audio_rate)
    if len(times) < 2:
        return min(max(near, low), high)
    return switch_point(times, costs.moment(times, times + offset), related_first=not entering)


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
            if high - low >= SHORTEST_GAP:
                kept.append(
                    dataclasses.replace(gap, a_start=low, a_end=high)
                    if on_a
                    else dataclasses.replace(gap, b_start=low, b_end=high)
                )
    return kept


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


@dataclass(frozen=True)
class Moves:
    """Moves and swaps (see `find_moves`). What they add to the spans is screened like them, and a
    moved stretch where it went, for what changed on the way (a re-grade)."""

    name: str = "moves"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        found = find_moves(signals, state.spans)
        screened = state.candidates + (screen(signals, found.unscreened) if found.unscreened else [])
        # Spans beside a move may have given way to it: candidates stay along what is left of them.
        candidates = [piece for stretch in screened for piece in along_spans(stretch, found.spans)]
        candidates += moved_candidates(signals, found.spans, found.moves)
        return dataclasses.replace(
            state, spans=found.spans, candidates=candidates, findings=state.findings + found.moves
        )
