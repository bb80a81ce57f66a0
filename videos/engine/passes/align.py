"""Alignment to a fraction of a second, on the fingerprints (videos.embeddings.fingerprint), as
six passes (`alignment_passes`) that hand their work on in `PassState.sketch`:

1. Coarse (`CoarseAlignment`): the fingerprints pooled into 2 s clips, aligned as before (`offset`,
   or `cuts`, the banded dynamic programme): which stretch of B faces which stretch of A, to a
   clip or so.
2. Local offsets (`LocalOffsets`): every WINDOW_SECONDS of A, the offset (B time − A time) whose
   picture and sound match best, searched at the picture rate within SEARCH_SECONDS of the coarse
   lag. Windows that cannot tell (a still picture and silence; a stretch that matches nothing)
   abstain. Only some windows are searched over every candidate (probes, and more where the offset
   changes); the others confirm their neighbours' offset on a few candidates (videos.engine.windows).
3. Offsets (`Offsets`): runs of windows that agree on the offset, each run's offset refined over
   the whole run to a fiftieth of a second (the sound's rate; the picture's between samples).
   Windows whose offsets drift along a line, or a stretch between two offsets where the windows
   could not agree, may be B playing faster or slower (videos.engine.passes.speed): a sloped line,
   its rate refined over the whole of it like an offset.
4. Edges (`Edges`): between two runs with offsets d1 < d2, B has d2 − d1 seconds that A has not
   ("only in B"); with d1 > d2, A has them. Where exactly is the switch point that makes the
   cheapest path: the picture's samples say it to a tenth of a second, and the sound to a
   fiftieth. The speed changes are put in place among the spans (videos.engine.speed_spans).
5. Whole-programme speed (`WholeProgrammeSpeed`): one speed change from start to end, where it
   matches better than the spans.
6. Sound in step (`SoundInStep`): B's sound measured against its own picture; when it is out of
   step, steps 2 to 5 again with B's sound moved back into step.

Pure numpy over two Fingerprints; `Alignment` names the mode as in videos.engine.clip_grid.alignment.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import numba
import numpy as np

from videos.embeddings.fingerprint import LUMA_GRID
from videos.engine.clip_grid.alignment import best_lag
from videos.engine.clip_grid.cuts import cuts_pairs
from videos.engine.clip_grid.distances import ClipSeries
from videos.engine.cut_path import LEAST_CUT_SECONDS, MOST_SECONDS, confirmed_cuts, cut_path
from videos.engine.model import MIN_SPAN_SECONDS, Alignment, Line, MatchedSpan, Vote, monotone
from videos.engine.passes.base import AlignmentSketch, Pass, PassState
from videos.engine.passes.speed import cuts_explain, refined_line, sloped_runs
from videos.engine.passes.sync import lagged_signals, synced
from videos.engine.signals import MomentCosts, PairSignals, VideoSignals
from videos.engine.speed_spans import speed_sections, speed_tidied, whole_programme_speed, with_speed_changes
from videos.engine.windows import SEARCH_SECONDS, VOTE_MARGIN, WINDOW_SECONDS, group_windows, window_offsets

CLIP_SECONDS = 2.0
_FINE_STEP = 0.02


def pooled_clips(signals: VideoSignals, *, clip_seconds: float) -> ClipSeries:
    """The fingerprint as 2 s clips for the coarse alignment: per clip, the mean layout, mean
    colour and the layout's movement (its spread), and the sound's mean and spread per band."""
    per_clip = max(1, round(clip_seconds * signals.visual_rate))
    count = max(1, math.ceil(len(signals.visual) / per_clip))
    cells = LUMA_GRID * LUMA_GRID
    visual = np.empty((count, signals.visual.shape[1] + cells), np.float32)
    # Past the end, the picture holds its last sample.
    _pool_picture(signals.visual, signals.layout, per_clip, visual)
    audio = None
    if signals.sound is not None:
        per_audio = max(1, round(clip_seconds * signals.audio_rate))
        audio = np.empty((count, 2 * signals.sound.shape[1]), np.float32)
        # Past the end of the sound: silence.
        _pool_sound(signals.sound, per_audio, audio)
    starts = np.arange(count) * clip_seconds
    ends = np.minimum(starts + clip_seconds, max(signals.duration, clip_seconds * count))
    return ClipSeries(starts=starts, ends=ends, visual=visual, audio=audio)


# Compiled (numba), one clip at a time: NumPy's reductions over a clip's rows read the sound's 16
# bands with a stride and made a temporary per step (45 ms a 3-hour video; 5 ms compiled).


@numba.njit(cache=True, nogil=True)
def _pool_picture(visual: np.ndarray, layout: np.ndarray, per_clip: int, pooled: np.ndarray) -> None:
    """pooled[c] = [2·mean layout, 2·mean colour, layout's standard deviation] over clip c's rows."""
    rows, features = visual.shape
    cells = layout.shape[1]
    mean = np.empty(features)
    for clip in range(len(pooled)):
        mean[:] = 0.0
        for step in range(per_clip):
            row = min(clip * per_clip + step, rows - 1)
            for cell in range(cells):
                mean[cell] += layout[row, cell]
            for feature in range(cells, features):
                mean[feature] += visual[row, feature]
        mean /= per_clip
        for feature in range(features):
            pooled[clip, feature] = 2.0 * mean[feature]
        for cell in range(cells):
            spread = 0.0
            for step in range(per_clip):
                row = min(clip * per_clip + step, rows - 1)
                difference = layout[row, cell] - mean[cell]
                spread += difference * difference
            pooled[clip, features + cell] = math.sqrt(spread / per_clip)


@numba.njit(cache=True, nogil=True)
def _pool_sound(sound: np.ndarray, per_clip: int, pooled: np.ndarray) -> None:
    """pooled[c] = [mean, standard deviation] per band of clip c's frames in twentieths of a dB
    (frames past the end are silence, 0)."""
    frames, bands = sound.shape
    mean, spread = np.empty(bands), np.empty(bands)
    for clip in range(len(pooled)):
        first, last = clip * per_clip, min(frames, (clip + 1) * per_clip)
        mean[:] = 0.0
        for frame in range(first, last):
            for band in range(bands):
                mean[band] += sound[frame, band]
        mean /= per_clip
        spread[:] = mean * mean * (per_clip - max(0, last - first))
        for frame in range(first, last):
            for band in range(bands):
                difference = sound[frame, band] - mean[band]
                spread[band] += difference * difference
        for band in range(bands):
            pooled[clip, band] = mean[band] / 20.0
            pooled[clip, bands + band] = math.sqrt(spread[band] / per_clip) / 20.0


def _centred(first: ClipSeries, second: ClipSeries) -> tuple[ClipSeries, ClipSeries]:
    """Both series less their common mean, so that cosine distances see what differs between
    moments rather than what every moment shares."""

    def centre(part_a: np.ndarray | None, part_b: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        if part_a is None or part_b is None:
            return None, None
        mean = np.concatenate([part_a, part_b]).mean(axis=0)
        return part_a - mean, part_b - mean

    visual_a, visual_b = centre(first.visual, second.visual)
    audio_a, audio_b = centre(first.audio, second.audio)
    assert visual_a is not None and visual_b is not None
    return (
        ClipSeries(first.starts, first.ends, visual_a, audio_a),
        ClipSeries(second.starts, second.ends, visual_b, audio_b),
    )


# --- the alignment -------------------------------------------------------------------------------


def alignment_passes(mode: Alignment) -> list[Pass]:
    """The alignment's passes in order (see the module docstring); `none` matches the two from
    their starts."""
    if mode == "none":
        return [FromTheStarts()]
    return [
        CoarseAlignment(mode),
        LocalOffsets(),
        Offsets(mode),
        Edges(mode),
        WholeProgrammeSpeed(mode),
        SoundInStep(mode),
    ]


def refined_spans(signals: PairSignals, mode: Alignment) -> list[MatchedSpan]:
    """The matched spans of A and B, in order along both: the alignment's passes alone, untimed."""
    state = PassState()
    for step in alignment_passes(mode):
        state = step.run(signals, state)
    return state.spans


@dataclass(frozen=True)
class FromTheStarts:
    """`none`: A and B matched second for second from their starts, as far as the shorter goes."""

    name: str = "alignment"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        end = min(signals.a.duration, signals.b.duration)
        matched = bool(len(signals.a.visual) and len(signals.b.visual)) and end > 0
        return dataclasses.replace(state, spans=[MatchedSpan(0.0, end, 0.0, end)] if matched else [])


@dataclass(frozen=True)
class CoarseAlignment:
    """Step 1: both videos as 2 s clips, aligned by `mode` (the banded dynamic programme for `cuts`)."""

    mode: Alignment
    name: str = "coarse alignment"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        if not len(signals.a.visual) or not len(signals.b.visual):
            return dataclasses.replace(state, spans=[], sketch=None)
        pooled_a, pooled_b = _pooled(signals.a), _pooled(signals.b)
        return dataclasses.replace(state, sketch=AlignmentSketch(coarse_lags(pooled_a, pooled_b, self.mode)))


@dataclass(frozen=True)
class LocalOffsets:
    """Step 2: each window's offset around the coarse lags (videos.engine.windows)."""

    name: str = "local offsets"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        if state.sketch is None:
            return state
        votes = window_offsets(signals.costs, state.sketch.coarse, signals.a.duration, clip_seconds=CLIP_SECONDS)
        return dataclasses.replace(state, sketch=dataclasses.replace(state.sketch, votes=votes))


@dataclass(frozen=True)
class Offsets:
    """Step 3: the windows' votes as runs at one offset, each refined over its whole run, and
    sloped lines where B plays at another speed (videos.engine.passes.speed), each refined too."""

    mode: Alignment
    name: str = "offsets and speed lines"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        if state.sketch is None:
            return state
        costs, sketch, duration_a = signals.costs, state.sketch, signals.a.duration
        lines: list[Line] = []
        if self.mode == "offset":
            voted = [offset for _, _, offset in sketch.votes]
            lags = sketch.coarse[1]
            offset = float(np.median(voted)) if voted else float(np.median(lags) if len(lags) else 0.0)
            groups = [(0.0, duration_a, offset)]
        else:
            lines, constant_votes = sloped_runs(sketch.votes)
            groups = group_windows(constant_votes)
            if not groups and not lines:
                lag = float(np.median(sketch.coarse[1])) if len(sketch.coarse[1]) else 0.0
                groups = [(0.0, duration_a, lag)]
        groups = [(start, end, _fine_offset(costs, start, end, offset)) for start, end, offset in groups]
        if self.mode != "offset":
            # A run of votes on a sloped line may be a staircase of small removals or insertions
            # (a tightened cut): a speed change only where cuts do not explain it as well.
            lines = [refined_line(costs, line) for line in lines]
            lines = [line for line in lines if not cuts_explain(costs, line, *_end_offsets(line))]
            lines += speed_sections(costs, groups, lines)
        return dataclasses.replace(state, sketch=dataclasses.replace(sketch, groups=groups, lines=lines))


@dataclass(frozen=True)
class Edges:
    """Step 4: the spans, each edge between two runs put where switching costs least, with the
    speed changes put in place among them (videos.engine.speed_spans). On the `offset` alignment
    (one offset asked for), no span is searched for cuts."""

    mode: Alignment = "cuts"
    name: str = "edges"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        if state.sketch is None:
            return state
        costs, groups, lines = signals.costs, state.sketch.groups, state.sketch.lines
        duration_a, duration_b = signals.a.duration, signals.b.duration
        votes, cuts = state.sketch.votes, self.mode != "offset"
        spans = _spans_from_groups(costs, groups, duration_a, duration_b, votes, lines, cuts=cuts) if groups else []
        spans = with_speed_changes(spans, lines, duration_a, duration_b)
        if lines:
            spans = speed_tidied(costs, spans, duration_a, duration_b)
        return dataclasses.replace(state, spans=spans)


@dataclass(frozen=True)
class WholeProgrammeSpeed:
    """Step 5: one speed change from start to end in place of the spans, where it matches better
    (a whole programme played a little or far faster: videos.engine.speed_spans)."""

    mode: Alignment
    name: str = "whole-programme speed"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        if state.sketch is None or self.mode == "offset":
            return state
        spans = whole_programme_speed(signals.costs, state.spans, signals.a.duration, signals.b.duration)
        return dataclasses.replace(state, spans=spans)


@dataclass(frozen=True)
class SoundInStep:
    """Step 6: B's sound measured against its own picture (videos.engine.passes.sync). Out of step,
    it pulled the joint alignment towards itself: steps 2 to 5 run again with B's sound moved
    back into step, and the spans are measured again against B's real sound."""

    mode: Alignment
    name: str = "sound in step"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        if state.sketch is None:
            return state
        spans = synced(signals.costs, state.spans)
        if any(span.sound_lag or span.sound_drift for span in spans):
            in_step = PairSignals(
                signals.fingerprint_a, signals.fingerprint_b, signals.a, lagged_signals(signals.b, spans)
            )
            again = dataclasses.replace(state, sketch=AlignmentSketch(state.sketch.coarse))
            for step in (LocalOffsets(), Offsets(self.mode), Edges(self.mode), WholeProgrammeSpeed(self.mode)):
                again = step.run(in_step, again)
            spans = synced(signals.costs, again.spans)
        return dataclasses.replace(state, spans=spans, sketch=None)


def _pooled(signals: VideoSignals) -> ClipSeries:
    return pooled_clips(signals, clip_seconds=CLIP_SECONDS)


def coarse_lags(pooled_a: ClipSeries, pooled_b: ClipSeries, mode: Alignment) -> tuple[np.ndarray, np.ndarray]:
    """(A clip start times, B − A lag in seconds) of every matched coarse pair."""
    series_a, series_b = _centred(pooled_a, pooled_b)
    if mode == "offset":
        lag = best_lag(series_a, series_b, metric="cosine")
        first = np.arange(max(0, -lag), min(len(series_a), len(series_b) - lag))
        return first * CLIP_SECONDS, np.full(len(first), lag * CLIP_SECONDS)
    a_indexes, b_indexes = cuts_pairs(series_a, series_b, metric="cosine")
    matched = (a_indexes >= 0) & (b_indexes >= 0)
    first, second = a_indexes[matched], b_indexes[matched]
    return first * CLIP_SECONDS, (second - first) * CLIP_SECONDS


def _end_offsets(line: Line) -> tuple[float, float]:
    """B time − A time where the line starts and where it ends."""
    return line.b_start - line.a_start, line.b_end - line.a_end


def _fine_offset(costs: MomentCosts, start: float, end: float, offset: float) -> float:
    """The offset over A's [start, end] to a fiftieth of a second (sound) or between picture
    samples (parabola through the best three), searched within a picture sample of `offset`."""
    span = max(end - start, 0.1)
    count = int(min(2000, max(20, span * costs.a.visual_rate)))
    times_a = np.linspace(start, start + span, count, endpoint=False)
    step = _FINE_STEP
    candidates = offset + np.arange(-0.16, 0.16 + step / 2, step)
    times_b = times_a[None, :] + candidates[:, None]
    valid = (times_b >= 0) & (times_b <= costs.b.duration)
    # Picture (between its samples) and sound together: either alone can be blind (a still
    # picture; a constant tone).
    moment = _interpolated_visual(costs, times_a, times_b)
    if costs.with_sound:
        moment = (moment + costs.sound_only(np.broadcast_to(times_a, times_b.shape), times_b)) / 2.0
    mean_cost = np.where(valid, moment, 0).sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
    mean_cost = np.where(valid.mean(axis=1) >= 0.5, mean_cost, np.inf)
    best = int(np.argmin(mean_cost))
    if 0 < best < len(candidates) - 1 and np.isfinite(mean_cost[best - 1 : best + 2]).all():
        left, middle, right = mean_cost[best - 1 : best + 2]
        curvature = left - 2 * middle + right
        if curvature > 1e-9:
            return float(candidates[best] + step * 0.5 * (left - right) / curvature)
    return float(candidates[best])


def _interpolated_visual(costs: MomentCosts, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
    """Picture cost against B's layout interpolated between its samples (for offsets between them)."""
    return costs.visual_between(times_a, times_b)


def _spans_from_groups(
    costs: MomentCosts,
    groups: list[tuple[float, float, float]],
    duration_a: float,
    duration_b: float,
    votes: list[Vote] = [],  # noqa: B006  # read only
    lines: list[Line] = [],  # noqa: B006  # read only
    *,
    cuts: bool = True,
) -> list[MatchedSpan]:
    """Spans from consecutive offset groups: each edge between two groups put where switching
    from one offset to the other costs least, or, where several cuts between them match better
    than one (a tightened cut: small removals closer together than the windows can tell apart),
    at each of those cuts (videos.engine.cut_path)."""
    # The A time at which each group starts and ends (edges placed between groups), and the
    # groups of the cuts found between two of them.
    pieces = [groups[0]]
    starts = [max(0.0, -groups[0][2])]
    ends: list[float] = []
    for (_, end_1, _), group_2 in itertools.pairwise(groups):
        start_2, _, offset_2 = group_2
        # The offset the last piece ends at: its group's, or where the last search ended.
        offset_1 = pieces[-1][2]
        low = max(starts[-1], end_1 - WINDOW_SECONDS - SEARCH_SECONDS)
        high = min(duration_a, start_2 + WINDOW_SECONDS + SEARCH_SECONDS)
        # Cuts are looked for from the first group's last window to the second's first (each
        # window matched mostly at its group's offset, and the cuts lie between them), at
        # whatever offset they reach there (a group's offset is its windows' median: where they
        # straddle cuts, it may be none of theirs). Only the pieces that start before the second
        # group's middle are kept: the next search starts from the last of them.
        near_low = max(starts[-1], end_1 - WINDOW_SECONDS)
        near_high = min(duration_a, start_2 + WINDOW_SECONDS)
        middle = max((start_2 + group_2[1]) / 2, near_low)
        voted = _voted(votes, near_low, near_high, (offset_1, offset_2))
        path = None
        if near_high > near_low and not _near_speed(lines, end_1, start_2):
            path = cut_path(costs, near_low, near_high, offset_1, towards=(offset_2, *voted))
        kept = [piece for piece in confirmed_cuts(costs, path.pieces) if piece[0] < middle] if path is not None else []
        # The second group goes on at the offset the search ended at only where that matches
        # it about as well as its own: one that did not find the way there (an insertion longer
        # than the stretch after it, which one edge places) has a single edge instead.
        if (
            kept
            and (len(kept) >= 3 or abs(kept[-1][2] - offset_2) > _SAME_END)
            and _goes_on(costs, start_2, middle, kept[-1][2], offset_2)
        ):
            path_pieces = kept
            leading = path_pieces[0]
            if leading[2] != offset_1:  # B's time goes on first (an insertion where the search starts)
                ends.append(leading[0])
                starts.append(leading[0])
                pieces.append(leading)
            for (_, first_end, _), (second_start, second_end, offset) in itertools.pairwise(path_pieces):
                ends.append(first_end)
                starts.append(second_start)
                pieces.append((second_start, second_end, offset))
            # The second group goes on at the offset the search ended at (its own, to the sample).
            ending = pieces[-1][2]
            pieces[-1] = (pieces[-1][0], group_2[1], offset_2 if abs(ending - offset_2) <= _SAME_END else ending)
            continue
        if offset_2 > offset_1:  # B has more between them: the switch is a point on A
            switch = _switch_point(costs, low, high, offset_1, offset_2, on_a=True)
            ends.append(switch)
            starts.append(switch)
        else:  # A has more: the switch is a point on B
            switch_b = _switch_point(costs, low + offset_1, high + offset_2, offset_1, offset_2, on_a=False)
            ends.append(switch_b - offset_1)
            starts.append(switch_b - offset_2)
        pieces.append(group_2)
    last_offset = groups[-1][2]
    ends.append(min(duration_a, duration_b - last_offset))
    spans = []
    for number, ((_, _, offset), start, end) in enumerate(zip(pieces, starts, ends, strict=True)):
        start, end = max(0.0, start), min(duration_a, end)
        start = max(start, -offset)
        end = min(end, duration_b - offset)
        if end - start >= MIN_SPAN_SECONDS:
            span = MatchedSpan(start, end, start + offset, end + offset)
            if not cuts or _near_speed(lines, start, end):
                spans.append(span)
                continue
            # The first and last spans run on to where A starts and ends: a cut near either end,
            # before the first window or after the last, leaves both videos starting (or ending)
            # together there.
            first, last = number == 0, number == len(pieces) - 1
            ends_together = (*([0.0] if first else []), *([duration_b - duration_a] if last else []))
            towards = ends_together + _voted(votes, start, end, (offset,))
            spans.extend(_with_small_cuts(costs, span, start, end, first=first, last=last, towards=towards))
    return monotone(spans)


def _near_speed(lines: list[Line], start: float, end: float) -> bool:
    """Whether a speed line or section runs within a window of A's [start, end]: B's time there
    slides steadily against A's, which a path by cuts would follow as a staircase of small cuts
    (the line puts the speed in place among the spans, videos.engine.speed_spans)."""
    return any(line.a_start - WINDOW_SECONDS < end and line.a_end + WINDOW_SECONDS > start for line in lines)


def _with_small_cuts(
    costs: MomentCosts,
    span: MatchedSpan,
    start: float,
    end: float,
    *,
    first: bool,
    last: bool,
    towards: tuple[float, ...] = (),
) -> list[MatchedSpan]:
    """The span, over A's [start, end], cut where the cheapest path by cuts along it leaves its
    offset (videos.engine.cut_path): removals and insertions of a few frames, closer than the
    windows' offsets (a tenth of a second) or a group of them (SAME_OFFSET) tell apart. It starts
    and ends at its offset where it meets its neighbours; the `first` span runs back to A's start
    and the `last` on to A's end, at any offset (a cut near either end, before the first window or
    after the last, that leaves both videos starting or ending together). Spans longer than the
    path searches (MOST_SECONDS) are left whole."""
    start = 0.0 if first else start
    end = costs.a.duration if last else end
    near = [offset for offset in towards if abs(offset - span.offset) <= _TOWARDS_SECONDS]
    path = None
    if end - start <= MOST_SECONDS:
        ending = None if last else span.offset
        path = cut_path(costs, start, end, span.offset, ending, towards=tuple(near), free_start=first)
    if path is None:
        return [span]
    pieces = list(confirmed_cuts(costs, path.pieces))
    # A's moments the path leaves out before its first piece, or after its last, are a start or
    # an end that matches poorly (a conversion's first frames), not a cut: what one video has
    # before the other starts, or after it ends, follows from the first and last pieces' offsets,
    # as the first and last spans' did before the search by cuts. A piece within a slip of the
    # span's offset is at that offset (measured over the whole group, finer than the path's grid).
    pieces = [
        (start, end, span.offset if abs(offset - span.offset) < LEAST_CUT_SECONDS else offset)
        for start, end, offset in pieces
    ]
    if all(offset == span.offset for _, _, offset in pieces):
        # No cut: the path only went round stretches that match nothing at the span's offset (a
        # replaced stretch, a swap), which the span keeps for passes.unrelated to cut out whole.
        return [span]
    if first:
        pieces[0] = (0.0, *pieces[0][1:])
    if last:
        pieces[-1] = (pieces[-1][0], costs.a.duration, pieces[-1][2])
    spans = []
    for piece_start, piece_end, offset in pieces:
        # Inside both videos (where B has no such time, the path left A's moments out anyway).
        piece_start, piece_end = max(piece_start, -offset), min(piece_end, costs.b.duration - offset)
        if piece_end > piece_start:
            spans.append(MatchedSpan(piece_start, piece_end, piece_start + offset, piece_end + offset))
    return spans


# A search by cuts that ends this close to the next group's offset ends at it.
_SAME_END = 0.03
# An offset the search ended at matches the next group about as well as the group's own when it
# costs at most this much more there (windows vote by the same margin).
_GOES_ON_MARGIN = VOTE_MARGIN


def _goes_on(costs: MomentCosts, start: float, end: float, ending: float, offset: float) -> bool:
    """Whether A's [start, end] (a group's first half) matches at `ending` about as well as at
    the group's `offset`, `ending` within _TOWARDS_SECONDS of it (further, the search met a move
    or a long insertion, which one edge places)."""
    if abs(ending - offset) <= _SAME_END or end <= start:
        return True
    if abs(ending - offset) > _TOWARDS_SECONDS:
        return False
    times = np.arange(start, end, 1.0 / costs.a.visual_rate)
    offsets = np.array([ending, offset])
    times_b = times[None, :] + offsets[:, None]
    inside = (times_b >= 0) & (times_b <= costs.b.duration)
    cost = np.where(inside, costs.moment(np.broadcast_to(times, times_b.shape), times_b), 2.0).mean(axis=1)
    return bool(cost[0] <= cost[1] + _GOES_ON_MARGIN)


# Offsets looked for this far from a span's (a cut near an end, or one a lone window saw).
_TOWARDS_SECONDS = 2.0


def _voted(votes: list[Vote], start: float, end: float, around: tuple[float, ...]) -> tuple[float, ...]:
    """The offsets windows overlapping A's [start, end] voted for, within _TOWARDS_SECONDS of
    `around` (a group's offset is its windows' median: one that straddles two cuts, or a lone
    window between two groups, may be the only one to see an offset there)."""
    low, high = min(around) - _TOWARDS_SECONDS, max(around) + _TOWARDS_SECONDS
    return tuple(
        sorted(
            {
                offset
                for vote_start, vote_end, offset in votes
                if vote_end > start and vote_start < end and low <= offset <= high
            }
        )
    )


def _switch_point(costs: MomentCosts, low: float, high: float, first: float, second: float, *, on_a: bool) -> float:
    """Where, between `low` and `high` on A (or on B when not `on_a`), matching with offset `first`
    before and `second` after costs least: the picture at its rate, then the sound around it."""

    def best_switch(times: np.ndarray, moment_first: np.ndarray, moment_second: np.ndarray) -> float:
        # cost(p) = Σ_{t < p} first + Σ_{t ≥ p} second, for every p at once.
        before = np.concatenate([[0.0], np.cumsum(moment_first)])
        after = np.concatenate([np.cumsum(moment_second[::-1])[::-1], [0.0]])
        total = before + after
        index = int(np.argmin(total))
        if index == 0:
            return float(times[0])
        if index == len(times):
            return float(times[-1])
        return float((times[index - 1] + times[index]) / 2)

    def moments(times: np.ndarray, offset: float, sound: bool) -> np.ndarray:
        if on_a:
            times_a, times_b = times, times + offset
        else:
            times_a, times_b = times - offset, times
        cost = costs.moment(times_a, times_b)
        outside = (times_a < 0) | (times_a > costs.a.duration) | (times_b < 0) | (times_b > costs.b.duration)
        return np.where(outside, 2.0, cost)

    if high <= low:
        return low
    times = np.arange(low, high, 1.0 / costs.a.visual_rate)
    if len(times) < 2:
        return low
    switch = best_switch(times, moments(times, first, False), moments(times, second, False))
    if costs.with_sound:
        fine = np.arange(max(low, switch - 0.3), min(high, switch + 0.3), 1.0 / costs.a.audio_rate)
        if len(fine) >= 2:
            switch = best_switch(fine, moments(fine, first, True), moments(fine, second, True))
    return switch
