"""The cheapest way from one offset to another by cuts: between two stretches matched at offsets
o1 and o2 (B time − A time), the run of constant offsets, joined by removals (A has time B has
not) and insertions (B has time A has not), that matches A to B best. A tightened cut (dozens of
small removals a few seconds apart) is such a run, and so is one removal; a speed change is not:
there B's frames advance through A's at a steady rate ≠ 1, which no few cuts follow.

It is an alignment with gaps (Gotoh's, banded): on A's sound frames (a fiftieth of a second; the
picture's samples where there is no sound), each of A's moments is either matched to B at one of
the offsets between o1 and o2 (and a little beyond), or left out (a removal: B's time stands while
A's goes on); B's time may also go on while A's stands (an insertion). A matched moment costs what
the picture and sound cost there (videos.engine.signals.MomentCosts, in units of two unrelated
moments), a moment left out GAP_COST, and each cut CUT_COST on top, so that a few cuts that match
beat one that does not, and a speed change is not cut into a staircase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from videos.engine.signals import MomentCosts

# What a moment of either video left unmatched costs (a typical unrelated pair costs 1).
GAP_COST = 0.35
# What a cut costs besides its unmatched moments: two frames removed from a steady shot (which
# match nearly as well in place) are not worth one.
CUT_COST = 1.5
# Offsets tried this far past the two ends' (a cut may overshoot and come back: a removal and an
# insertion), and stretches no longer than MOST_SECONDS (a longer one is not one edit's neighbourhood).
_REACH_SECONDS = 0.3
MOST_SECONDS = 120.0
_OUTSIDE_COST = 2.0
# The shortest cut reported (two frames at up to 30 frames a second; videos.engine.result).
LEAST_CUT_SECONDS = 0.06
_MATCH, _REMOVED, _INSERTED = 0, 1, 2
# A cut is confirmed on this much of A either side of it (or its pieces' lengths, if shorter),
# into a piece at least _LEAST_PIECE_SECONDS long (two picture samples).
_SIDE_SECONDS = 1.0
_LEAST_PIECE_SECONDS = 0.2
# The picture prefers one offset to another when it costs less there by more than this (in
# units of two unrelated moments) and this share of its cost: a re-encode's noise is below it.
_PICTURE_SLACK = 0.005
_PICTURE_SHARE = 0.2
# The sound may cost this much more at a piece's own offset before it says the cut is not there,
# and must cost at most this share of the other offset's to confirm a cut alone.
_SOUND_SLACK = 0.05
_SOUND_SHARE = 0.5
# A piece whose picture costs more than this at the offset before it (half what two unrelated
# moments cost) matches nothing there: a cut not confirmed into it does not join it to that offset.
PICTURE_MATCHED = 0.5
# A piece of a path matches where its picture costs at most this (in step 0.01–0.05; a slow shot
# at a wrong offset, or a swapped stretch of the same scene, 0.4 and more).
PIECE_MATCHED = 0.25
_PIECE_SHARE = 0.5


@dataclass(frozen=True)
class CutPath:
    """A's [start, end] as pieces at constant offsets ((a_start, a_end, offset), in order, each
    starting where A's time left out before it ends), and what the path costs (`total`, over
    `count` of A's moments `step` apart from the start, each matched or left out)."""

    pieces: list[tuple[float, float, float]]
    total: float
    count: int
    step: float
    # The mean cost of the moments matched (how well the pieces match where they do).
    matched_cost: float = 0.0

    def times(self, start: float) -> np.ndarray:
        """The moments of A the path was found on, from its `start`."""
        moments: np.ndarray = start + (np.arange(self.count) + 0.5) * self.step
        return moments

    @property
    def cuts(self) -> int:
        return max(0, len(self.pieces) - 1)


def cut_path(
    costs: MomentCosts,
    start: float,
    end: float,
    first: float,
    last: float | None = None,
    *,
    towards: tuple[float, ...] = (),
    free_start: bool = False,
) -> CutPath | None:
    """The cheapest path by cuts over A's [start, end] from offset `first` to offset `last` (see
    the module docstring), or, with `last` None, to any offset (and with `free_start`, from any
    offset too); through offsets within
    _REACH_SECONDS of these and of `towards` (what windows there voted for; where both videos
    start, or end, together). None where the stretch is empty or too long to search."""
    step = 1.0 / costs.a.audio_rate if costs.with_sound else 1.0 / (2 * costs.a.visual_rate)
    count = int((end - start) / step)
    if count < 2 or end - start > MOST_SECONDS:
        return None
    reached = (first, *towards) if last is None else (first, last, *towards)
    low, high = min(reached) - _REACH_SECONDS, max(reached) + _REACH_SECONDS
    # Offsets on a grid through `first`: the path starts on it exactly.
    below, above = int(np.ceil((first - low) / step)), int(np.ceil((high - first) / step))
    offsets = first + step * np.arange(-below, above + 1)
    start_index = -1 if free_start else below
    last_index = -1 if last is None else int(np.argmin(np.abs(offsets - last)))
    times = start + (np.arange(count) + 0.5) * step
    match = moment_costs(costs, times, offsets)
    moves = np.zeros((count + 1, len(offsets), 3), np.int8)
    total, end_index, end_state = _cheapest(match, start_index, last_index, GAP_COST, CUT_COST, moves)
    if not np.isfinite(total):
        return None
    matched = _walked_back(moves, count, end_index, end_state)
    pieces: list[tuple[float, float, float]] = []
    for index, offset_index in enumerate(matched.tolist()):
        if offset_index < 0:
            continue
        offset = float(offsets[offset_index])
        moment_start = start + index * step
        if pieces and pieces[-1][2] == offset and abs(pieces[-1][1] - moment_start) < step / 2:
            pieces[-1] = (pieces[-1][0], moment_start + step, offset)
        else:
            pieces.append((moment_start, moment_start + step, offset))
    if not pieces:
        return None
    pieces = _without_slips(pieces)
    # The ends are the callers' own offsets where given (the grid's are within half a step of
    # them), and the stretch's own ends where matched there (the moments are whole steps).
    if matched[0] >= 0:
        pieces[0] = (start, pieces[0][1], first if matched[0] == start_index else pieces[0][2])
    if matched[-1] >= 0:
        pieces[-1] = (pieces[-1][0], end, last if last is not None and matched[-1] == last_index else pieces[-1][2])
    taken = np.flatnonzero(matched >= 0)
    matched_cost = float(match[taken, matched[taken]].mean()) if len(taken) else np.inf
    return CutPath(pieces, float(total), count, step, matched_cost)


def confirmed_cuts(costs: MomentCosts, pieces: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """The pieces with each cut the picture does not confirm taken out (the piece after it joined
    to the one before, at its offset). A cut is a removal or an insertion of picture and sound
    together: B's frames before it match A's at the offset before, and those after it at the
    offset after, at least as well as at the other one, and on each side the picture or the
    sound matches better at its own offset than at the other. Where the picture after it still matches
    best at the offset before, only the sound changed (a new soundtrack, a muted stretch: the
    path followed whatever offset its changed sound matched least badly), and that is a sound
    difference, not cuts. Where the picture cannot tell the two offsets apart (a still shot), the
    sound must match far better at a side's own offset than at the other."""
    pieces = _matched_pieces(costs, pieces)
    if len(pieces) < 2:
        return pieces
    if pieces[0][1] - pieces[0][0] < _LEAST_PIECE_SECONDS:  # no cut out of a piece too short to be seen
        pieces = [(pieces[0][0], pieces[1][1], pieces[1][2]), *pieces[2:]]
    kept: list[tuple[float, float, float]] = []
    current = pieces[0]
    for following in pieces[1:]:
        # A piece too short to be seen (a picture sample or two) confirms no cut into it: the
        # path wavered there.
        shown = following[1] - following[0] >= _LEAST_PIECE_SECONDS
        slip = abs(following[2] - current[2]) < LEAST_CUT_SECONDS
        if slip:
            # Back at the same offset: one piece, unless the picture between them matches nothing
            # there (a replaced stretch the path went round: both stand, with nothing between).
            between = following[0] - current[1] >= LEAST_CUT_SECONDS
            if between and picture_cost(costs, current[1], following[0], current[2]) > PICTURE_MATCHED:
                kept.append(current)
                current = following
            else:
                current = (current[0], following[1], current[2])
        elif shown and _confirmed(costs, current, following):
            kept.append(current)
            current = following
        elif picture_cost(costs, current[1], following[1], current[2]) <= PICTURE_MATCHED:
            # The picture goes on at the offset before (only the sound changed): one piece.
            current = (current[0], following[1], current[2])
        # Else the picture matches at neither offset there (a replaced stretch the path wavered
        # through): the piece is left out, matched to nothing.
    kept.append(current)
    return kept


def _matched_pieces(costs: MomentCosts, pieces: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """The pieces without those the path wavered through: a piece whose picture matches poorly at
    its own offset and hardly better than at the offset of the piece kept before it matches
    nothing (a swapped or replaced stretch of a slow shot), and confirms no cut. A piece of fast
    motion at its right offset costs as much, but far less than anywhere else."""
    kept = [pieces[0]]
    for start, end, offset in pieces[1:]:
        own = picture_cost(costs, start, end, offset)
        if own <= PIECE_MATCHED or own <= _PIECE_SHARE * picture_cost(costs, start, end, kept[-1][2]):
            kept.append((start, end, offset))
    return kept


def picture_cost(costs: MomentCosts, start: float, end: float, offset: float) -> float:
    """The mean picture cost of A's [start, end] against B at `offset`."""
    picture, _ = _side_costs(costs, start, end, offset, offset)
    return float(picture[0])


def _side_costs(
    costs: MomentCosts, start: float, end: float, own: float, other: float
) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean picture and sound cost of A's [start, end] against B at offsets `own` and `other`."""
    step = 1.0 / costs.a.audio_rate if costs.with_sound else 1.0 / (2 * costs.a.visual_rate)
    times = np.arange(start + step / 2, end, step)
    if not len(times):
        times = np.array([(start + end) / 2])
    offsets = np.array([own, other])
    times_b = times[None, :] + offsets[:, None]
    times_a = np.broadcast_to(times[None, :], times_b.shape)
    inside = (times_b >= 0) & (times_b <= costs.b.duration)
    picture = np.where(inside, costs.visual_between(times_a, times_b), _OUTSIDE_COST).mean(axis=1)
    sound = None
    if costs.with_sound:
        sound = np.where(inside, costs.sound_only(times_a, times_b), _OUTSIDE_COST).mean(axis=1)
    return picture, sound


def _confirmed(costs: MomentCosts, before: tuple[float, float, float], after: tuple[float, float, float]) -> bool:
    """Whether the cut from piece `before` to piece `after` is confirmed (see confirmed_cuts)."""
    old, new = before[2], after[2]
    for start, end, own, other in (
        (max(before[0], before[1] - _SIDE_SECONDS), before[1], old, new),
        (after[0], min(after[1], after[0] + _SIDE_SECONDS), new, old),
    ):
        picture, sound = _side_costs(costs, start, end, own, other)
        tolerance = _PICTURE_SLACK + _PICTURE_SHARE * picture[0]
        if picture[0] > picture[1] + tolerance:  # the picture here matches best at the other offset
            return False
        side_for = picture[1] - picture[0] > tolerance
        if sound is not None:
            if sound[0] > sound[1] + _SOUND_SLACK:
                return False
            side_for = side_for or sound[0] <= _SOUND_SHARE * sound[1]
        # Each side says so: a still shot slightly moved on one side (a stretch played backwards,
        # its sound unrelated at both offsets) is no cut.
        if not side_for:
            return False
    return True


def _without_slips(pieces: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """The pieces with each cut shorter than LEAST_CUT_SECONDS (on A and on B) taken out, the two
    pieces joined at the longer one's offset: a slip of a sound frame or two is the measure's
    noise (a frame-rate conversion's drift, a steady shot), not an edit."""
    joined = [pieces[0]]
    for start, end, offset in pieces[1:]:
        previous_start, previous_end, previous_offset = joined[-1]
        if abs(offset - previous_offset) < LEAST_CUT_SECONDS and start - previous_end < LEAST_CUT_SECONDS:
            longer = offset if end - start > previous_end - previous_start else previous_offset
            joined[-1] = (previous_start, end, longer)
        else:
            joined.append((start, end, offset))
    return joined


def moment_costs(costs: MomentCosts, times: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(times × offsets): A at each of `times` against B that much later, the picture (A's own
    samples, B between its samples) and the sound (frame for frame) together; _OUTSIDE_COST where
    B has no such moment."""
    # The picture at A's samples (10 a second), each moment taking its nearest sample's cost with
    # B moved by as much: A's picture does not change between its samples.
    sample_times = costs.a.visual_index(times) / costs.a.visual_rate
    unique_times, which = np.unique(sample_times, return_inverse=True)
    times_b = unique_times[:, None] + offsets[None, :]
    picture = costs.visual_between(np.broadcast_to(unique_times[:, None], times_b.shape), times_b)[which]
    cost = picture
    if costs.with_sound:
        moments_b = times[:, None] + offsets[None, :]
        sound = costs.sound_only(np.broadcast_to(times[:, None], moments_b.shape), moments_b)
        cost = (picture + sound) / 2.0
    outside = (times[:, None] + offsets[None, :] < 0) | (times[:, None] + offsets[None, :] > costs.b.duration)
    result: np.ndarray = np.where(outside, _OUTSIDE_COST, cost).astype(np.float32)
    return result


@numba.njit(cache=True, nogil=True)
def _cheapest(
    match: np.ndarray, first: int, last: int, gap: float, cut: float, moves: np.ndarray
) -> tuple[float, int, int]:
    """Gotoh's three states over A's moments × offsets: matched at an offset (`_MATCH`), A's moment
    left out (`_REMOVED`: the offset falls by a step, B's time stands), B's moment left out
    (`_INSERTED`: the offset rises by a step at the same moment of A). moves[i, k, state] is the
    state before (i moments of A done, at offset k). From offset `first` (negative: any) to offset
    `last` (negative: any); returns the total and the offset and state it ends at."""
    count, width = match.shape
    inf = np.inf
    matched = np.full(width, inf)
    removed = np.full(width, inf)
    inserted = np.full(width, inf)
    if first < 0:  # from any offset
        matched[:] = 0.0
    else:
        matched[first] = 0.0

    def insertions(row: int) -> None:
        for k in range(1, width):
            options = (matched[k - 1] + cut + gap, removed[k - 1] + cut + gap, inserted[k - 1] + gap)
            best = 0
            for option in range(1, 3):
                if options[option] < options[best]:
                    best = option
            inserted[k] = options[best]
            moves[row, k, _INSERTED] = best

    insertions(0)
    next_matched = np.empty(width)
    next_removed = np.empty(width)
    for i in range(count):
        for k in range(width):
            best = 0
            value = matched[k]
            if removed[k] < value:
                best, value = 1, removed[k]
            if inserted[k] < value:
                best, value = 2, inserted[k]
            next_matched[k] = value + match[i, k]
            moves[i + 1, k, _MATCH] = best
            if k + 1 < width:
                options = (matched[k + 1] + cut + gap, removed[k + 1] + gap, inserted[k + 1] + cut + gap)
                best = 0
                for option in range(1, 3):
                    if options[option] < options[best]:
                        best = option
                next_removed[k] = options[best]
                moves[i + 1, k, _REMOVED] = best
            else:
                next_removed[k] = inf
        matched[:] = next_matched
        removed[:] = next_removed
        inserted[:] = inf
        insertions(i + 1)
    cheapest, end_index, end_state = inf, 0, 0
    for k in range(width):
        if last >= 0 and k != last:  # to `last` only, or (last < 0) to any offset
            continue
        ends = (matched[k], removed[k], inserted[k])
        for state in range(3):
            if ends[state] < cheapest:
                cheapest, end_index, end_state = ends[state], k, state
    return cheapest, end_index, end_state


@numba.njit(cache=True, nogil=True)
def _walked_back(moves: np.ndarray, count: int, last: int, state: int) -> np.ndarray:
    """Per moment of A, the offset index it is matched at (−1: left out), from the moves."""
    matched = np.full(count, -1, np.int64)
    i, k = count, last
    while i > 0 or state == _INSERTED:
        before = moves[i, k, state]
        if state == _MATCH:
            matched[i - 1] = k
            i -= 1
        elif state == _REMOVED:
            i -= 1
            k += 1
        else:
            if k == 0:
                break
            k -= 1
        state = before
    return matched
