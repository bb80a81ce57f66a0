"""Speed changes: B plays a stretch of A faster or slower (a 25/24 PAL speed-up, a 1.5× section).

Along such a stretch B's time is a line in A's, B = b_start + (A − a_start)·rate, rate ≠ 1 (B
seconds per A second), and an alignment by constant offsets sees the offset drift: differences
everywhere. Two ways it shows in the local offsets (videos.engine.windows):

- a slow change (a few percent) still lets the windows vote, and their offsets lie on a sloped
  line (`sloped_runs`); the line is then refined over the whole stretch (`refined_line`);
- a fast one (1.5×) leaves the windows inside it unable to agree: a hole in the votes between two
  constant offsets o1 and o2. A section from s to e on A that joins both lines, B = s + o1 +
  (A − s)·rate with rate = (e + o2 − s − o1) / (e − s), is searched for (`section_between`), and
  kept when it matches clearly better than a cut or an insertion between the two would.

A sped-up sound is higher pitched unless it was corrected: where a rate is known, B's sound is
compared both as it is and moved down in pitch by the rate (videos.engine.pitch), and the closer
one counts. `speed_findings` turns the spans that run at another speed into "speed" findings.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from videos.engine.cut_path import CutPath, cut_path, moment_costs
from videos.engine.model import Difference, Line, MatchedSpan, Severity, Vote, finding_over
from videos.engine.passes.base import PassState
from videos.engine.pitch import pitch_matched
from videos.engine.signals import MomentCosts, PairSignals
from videos.engine.windows import WINDOW_SECONDS

# A span whose speed differs from A's by this much or more (|ratio − 1|) is reported: a 0.5 %
# change measured a little short still is; a frame-rate conversion (30000/1001 against 30: 0.1 %) is not.
REPORTED_CHANGE = 0.004
# Rates (B seconds per A second) looked for: outside them a stretch is something else.
SLOWEST_RATE, FASTEST_RATE = 0.4, 2.5
# Sloped runs of window votes: a vote joins a run within _LINE_TOLERANCE s of its line; a run is
# a speed change when it has _MIN_RUN_VOTES votes, its offset moves by _MIN_RUN_DRIFT s or more
# along it (less is a constant offset's noise) and the votes sit on the line (_MAX_RESIDUAL, rms).
_LINE_TOLERANCE = 0.15
_FIRST_TOLERANCE = 0.35  # the second vote of a run, before any slope is known
_MIN_RUN_VOTES = 5
_MIN_RUN_DRIFT = 0.3
_MAX_RESIDUAL = 0.07
_MIN_SLOPE = 0.002
# A section between two constant offsets: its picture must match at least this well on average
# (costs in units of two unrelated moments), and better than a cut or an insertion would, whose
# unmatched time costs GAP_COST a sample.
SECTION_CEILING = 0.5
# Its sound too, where there is one: at this cost on average it is another sound (as unrelated
# footage's is, videos.engine.passes.unrelated); a real section's costs under 0.2 (1.2× to 2.5×).
SECTION_SOUND_CEILING = 0.5
GAP_COST = 0.8
_MIN_SECTION_SECONDS = 2.0
_MAX_SECTION_SECONDS = 600.0
_COARSE_STEP = 0.2
_FINE_STEP = 0.04
_FINE_REACH = 0.4  # a section's ends are refined this far either side of the coarse search's
_OUTSIDE_COST = 2.0
# A section is weighed against cuts over its stretch and this much of each neighbour's.
_CUTS_REACH = 1.0
# Cuts whose matched moments cost this much or less on average explain the stretch between two
# offsets (in step, picture and sound cost 0.02–0.15; a stretch played 1.2× or faster, 0.4 and more).
CUTS_MATCH = 0.2
_LEAST_MEAN_PIECE = 1.0


# --- slow changes: votes on a sloped line ------------------------------------------------------


def sloped_runs(votes: Sequence[Vote]) -> tuple[list[Line], list[Vote]]:
    """The runs of consecutive votes whose offsets lie on one sloped line (as rough lines), and
    the votes left for grouping by constant offset (a stray vote inside a run is dropped)."""
    lines: list[Line] = []
    rest: list[Vote] = []
    first = 0
    while first < len(votes):
        members = [first]
        fit = _RunningFit()
        fit.add(_centre(votes[first]), votes[first][2])
        misses = 0
        for number in range(first + 1, len(votes)):
            time, offset = _centre(votes[number]), votes[number][2]
            tolerance = _FIRST_TOLERANCE if len(members) == 1 else _LINE_TOLERANCE
            if abs(offset - fit.expected(time)) <= tolerance:
                members.append(number)
                fit.add(time, offset)
                misses = 0
            else:
                misses += 1
                if misses > 1:  # one stray vote is skipped; two in a row end the run
                    break
        line = _run_line(votes, members)
        if line is None:
            rest.extend(votes[first : members[-1] + 1])
        else:
            lines.append(line)
        first = members[-1] + 1
    return lines, rest


def _centre(vote: Vote) -> float:
    return (vote[0] + vote[1]) / 2


class _RunningFit:
    """The least-squares line through the points added so far, in constant time per point (a
    3-hour video's votes are thousands long): one point gives its own offset, no slope."""

    def __init__(self) -> None:
        self.count = 0
        self.origin = 0.0  # times are taken from the first point's, for precision
        self.sum_t = self.sum_y = self.sum_tt = self.sum_ty = 0.0

    def add(self, time: float, offset: float) -> None:
        if not self.count:
            self.origin = time
        time -= self.origin
        self.count += 1
        self.sum_t += time
        self.sum_y += offset
        self.sum_tt += time * time
        self.sum_ty += time * offset

    def expected(self, time: float) -> float:
        mean_t, mean_y = self.sum_t / self.count, self.sum_y / self.count
        spread = self.sum_tt - self.count * mean_t * mean_t
        if self.count < 2 or spread <= 1e-12:
            return mean_y
        slope = (self.sum_ty - self.count * mean_t * mean_y) / spread
        return mean_y + slope * (time - self.origin - mean_t)


def _run_line(votes: Sequence[Vote], members: list[int]) -> Line | None:
    """The run's line when it is a speed change (see the constants), else None."""
    if len(members) < _MIN_RUN_VOTES:
        return None
    times = np.array([_centre(votes[number]) for number in members])
    offsets = np.array([votes[number][2] for number in members])
    slope, intercept = np.polyfit(times, offsets, 1)
    residual = float(np.sqrt(np.mean((offsets - (slope * times + intercept)) ** 2)))
    rate = 1.0 + float(slope)
    if (
        abs(slope) < _MIN_SLOPE
        or abs(slope) * (times[-1] - times[0]) < _MIN_RUN_DRIFT
        or residual > _MAX_RESIDUAL
        or not SLOWEST_RATE <= rate <= FASTEST_RATE
    ):
        return None
    start, end = votes[members[0]][0], votes[members[-1]][1]
    return Line(start, end, start + float(slope * start + intercept), rate)


def refined_line(costs: MomentCosts, line: Line) -> Line:
    """The line's offset (at its middle) and rate refined over its whole stretch: the offset to a
    fiftieth of a second, the rate to a few hundredths of a percent."""
    middle = (line.a_start + line.a_end) / 2
    length = max(line.a_end - line.a_start, 0.1)
    count = int(min(3000, max(40, length * costs.a.visual_rate * 2)))
    times_a = np.linspace(line.a_start, line.a_end, count, endpoint=False)
    offset = float(line.b_at(middle)) - middle
    rate = line.rate
    # Coarse to fine: each round searches around the last best, with steps a fifth as large.
    offset_step, rate_step = 0.04, max(0.002, 0.4 / length)
    for _ in range(3):
        offsets = offset + offset_step * np.arange(-4, 5)
        rates = rate + rate_step * np.arange(-4, 5)
        # A short line's first steps are wide (0.4 s over a second of A): B cannot play backwards.
        rates = rates[rates > 0]
        grid_offsets, grid_rates = np.meshgrid(offsets, rates, indexing="ij")
        times_b = (middle + grid_offsets.ravel())[:, None] + (times_a[None, :] - middle) * grid_rates.ravel()[:, None]
        line_costs = mean_cost(costs, times_a, times_b, 1.0 / grid_rates.ravel())
        best = int(np.argmin(line_costs))
        offset, rate = float(grid_offsets.ravel()[best]), float(grid_rates.ravel()[best])
        offset_step, rate_step = offset_step / 4, rate_step / 4
    return Line(line.a_start, line.a_end, middle + offset + (line.a_start - middle) * rate, rate)


# --- fast changes: a section between two constant offsets --------------------------------------


def _joinable(before: tuple[float, float, float], after: tuple[float, float, float]) -> bool:
    """Whether a speed section may join the two groups: offsets far enough apart, close enough on A."""
    (_, end_1, offset_1), (start_2, _, offset_2) = before, after
    return abs(offset_1 - offset_2) >= 0.25 and 0 < start_2 - end_1 + 2 * WINDOW_SECONDS <= _MAX_SECTION_SECONDS


def cuts_join(costs: MomentCosts, before: tuple[float, float, float], after: tuple[float, float, float]) -> bool:
    """Whether cuts that match where they do as well as a stretch in step join group `before` to
    group `after` (a section may join them otherwise): no speed is needed to explain it there."""
    if not _joinable(before, after):
        return False
    (_, end_1, offset_1), (start_2, _, offset_2) = before, after
    path = cut_path(
        costs, max(0.0, end_1 - WINDOW_SECONDS), min(costs.a.duration, start_2 + WINDOW_SECONDS), offset_1, offset_2
    )
    return path is not None and path.matched_cost <= CUTS_MATCH and _few_cuts(path)


def section_between(
    costs: MomentCosts,
    before: tuple[float, float, float],
    after: tuple[float, float, float],
    *,
    cuts_checked: bool = False,
) -> Line | None:
    """The speed section joining the offset of group `before` (start, end, offset on A) to the
    offset of group `after`, when one explains the stretch between them (module docstring);
    `cuts_checked` when the caller found that cuts do not join them (`cuts_join`)."""
    (_, end_1, offset_1), (start_2, _, offset_2) = before, after
    if not _joinable(before, after):
        return None
    # Cuts that match where they do as well as a stretch in step needs no speed to explain it
    # (a tightened cut: a search for a section between every two of its offsets was most of its time).
    if not cuts_checked and cuts_join(costs, before, after):
        return None
    # Where the section could start and end: about where the votes stop and start again.
    reach = WINDOW_SECONDS
    low, high = max(0.0, end_1 - reach - 1.0), min(costs.a.duration, start_2 + reach + 1.0)
    times = np.arange(low, high, _COARSE_STEP)
    if len(times) < 4:
        return None
    cost_1 = _visual(costs, times, times + offset_1)
    cost_2 = _visual(costs, times, times + offset_2)
    before_sums = np.concatenate([[0.0], np.cumsum(cost_1)])  # before_sums[k]: samples 0..k−1 at offset 1
    after_sums = np.concatenate([np.cumsum(cost_2[::-1])[::-1], [0.0]])  # after_sums[k]: samples k.. at offset 2
    starts = np.flatnonzero(np.abs(times - end_1) <= reach)
    ends = np.flatnonzero(np.abs(times - start_2) <= reach)
    best: tuple[float, int, int] | None = None
    for first in starts.tolist():
        lasts = ends[times[ends] - times[first] >= _MIN_SECTION_SECONDS]
        if not len(lasts):
            continue
        section_a = times[lasts] - times[first]
        rates = (section_a + offset_2 - offset_1) / section_a
        lasts = lasts[(rates >= SLOWEST_RATE) & (rates <= FASTEST_RATE)]
        rates = rates[(rates >= SLOWEST_RATE) & (rates <= FASTEST_RATE)]
        if not len(lasts):
            continue
        inside = times[first : int(lasts.max())]
        times_b = times[first] + offset_1 + (inside[None, :] - times[first]) * rates[:, None]
        moment = _visual(costs, np.broadcast_to(inside, times_b.shape), times_b)
        counted = np.arange(len(inside))[None, :] < (lasts - first)[:, None]
        linear = np.where(counted, moment, 0.0).sum(axis=1)
        totals = before_sums[first] + linear + after_sums[lasts]
        pick = int(np.argmin(totals))
        if best is None or totals[pick] < best[0]:
            best = (float(totals[pick]), first, int(lasts[pick]))
    if best is None:
        return None
    total, first, last = best
    linear_mean = (total - before_sums[first] - after_sums[last]) / max(last - first, 1)
    if linear_mean > SECTION_CEILING or total >= _cut_cost(cost_1, cost_2, offset_1, offset_2):
        return None
    section = _fine_section(costs, float(times[first]), float(times[last]), offset_1, offset_2)
    # Refined down to under _MIN_SECTION_SECONDS, it is a cut or an insertion the picture alone
    # could not tell from a speed change (a 0.8 s insertion came out as a 1 s section at 0.56×).
    if section.a_end - section.a_start < _MIN_SECTION_SECONDS:
        return None
    if not SLOWEST_RATE <= section.rate <= FASTEST_RATE or not _sounds_alike(costs, section):
        return None
    if cuts_explain(costs, section, offset_1, offset_2):
        return None
    return section


def _few_cuts(path: CutPath) -> bool:
    """Whether the path's pieces are on average a second or more long: a staircase of short ones
    follows a speed change (its frames advance steadily through A's), which cuts do not."""
    length = sum(end - start for start, end, _ in path.pieces)
    return length / len(path.pieces) >= _LEAST_MEAN_PIECE


def cuts_explain(costs: MomentCosts, line: Line, before: float, after: float) -> bool:
    """Whether cuts explain the stretch of `line` (offset `before` up to it, `after` from its end)
    at least as well as the speed change does (videos.engine.cut_path): B plays at another rate only
    where its frames advance through A's at a steady rate ≠ 1, which some removals close together
    (a tightened cut) do not; dropped chunks are not a speed."""
    reach = _CUTS_REACH
    start, end = max(0.0, line.a_start - reach), min(costs.a.duration, line.a_end + reach)
    path = cut_path(costs, start, end, before, after)
    if path is None:
        return False
    times = path.times(start)
    inside = (times >= line.a_start) & (times < line.a_end)
    line_total = 0.0
    for side, offset in ((times < line.a_start, before), (times >= line.a_end, after)):
        if side.any():
            line_total += float(moment_costs(costs, times[side], np.array([offset])).sum())
    if inside.any():
        along = np.asarray(line.b_at(times[inside]))[None, :]
        line_total += float(mean_cost(costs, times[inside], along, np.array([1.0 / line.rate]))[0]) * int(inside.sum())
    return path.total <= line_total


def _sounds_alike(costs: MomentCosts, section: Line) -> bool:
    """Whether B's sound along the section (as it is, or moved in pitch by its speed, whichever is
    closer) is A's sound: a steady shot's picture matches itself at any speed, so over a moved or
    cut stretch of one (a coffee cup on a table) the picture alone finds a "section" joining two
    unrelated offsets, whose sound is then another sound."""
    if not costs.with_sound or costs.a.sound is None or costs.b.sound is None:
        return True
    times = np.arange(section.a_start, section.a_end, 1.0 / costs.a.audio_rate)
    times_b = np.asarray(section.b_at(times))
    inside = (times_b >= 0) & (times_b <= costs.b.duration)
    if inside.sum() < 2:
        return True
    levels_a = costs.a.sound[costs.a.sound_index(times[inside])].astype(np.float32)
    levels_b = costs.b.sound[costs.b.sound_index(times_b[inside])].astype(np.float32)
    plain = float(np.abs(levels_a - levels_b).mean()) / costs.sound_unit
    shifted = float(np.abs(levels_a - pitch_matched(levels_b, 1.0 / section.rate)).mean()) / costs.sound_unit
    return min(plain, shifted) < SECTION_SOUND_CEILING


def _cut_cost(cost_1: np.ndarray, cost_2: np.ndarray, offset_1: float, offset_2: float) -> float:
    """The cheapest cut (A has more) or insertion (B has more) between the two offsets, on the
    same samples: offset 1 before a point, offset 2 after it, the unmatched time at GAP_COST."""
    unmatched = round(abs(offset_1 - offset_2) / _COARSE_STEP)
    before = np.concatenate([[0.0], np.cumsum(cost_1)])
    after = np.concatenate([np.cumsum(cost_2[::-1])[::-1], [0.0]])
    skip = unmatched if offset_1 > offset_2 else 0  # A's removed samples are not matched at all
    points = np.arange(len(before) - skip)
    return float((before[points] + after[points + skip]).min() + unmatched * GAP_COST)


def _fine_section(costs: MomentCosts, start: float, end: float, offset_1: float, offset_2: float) -> Line:
    """The section's start and end refined to _FINE_STEP, within _FINE_REACH of the coarse ones,
    on the picture between its samples and the sound (inside the section, moved in pitch by its
    speed where that matches better): each end in turn, twice (they hardly depend on each other)."""
    reach = round(_FINE_REACH / _FINE_STEP)
    times = np.arange(
        max(0.0, start - _FINE_REACH - _COARSE_STEP),
        min(costs.a.duration, end + _FINE_REACH + _COARSE_STEP),
        1.0 / (2 * costs.a.visual_rate),
    )
    best_start, best_end = start, end
    for _ in range(2):
        starts = best_start + _FINE_STEP * np.arange(-reach, reach + 1)
        best_start = min(starts.tolist(), key=lambda at: _section_cost(costs, times, at, best_end, offset_1, offset_2))
        ends = best_end + _FINE_STEP * np.arange(-reach, reach + 1)
        best_end = min(ends.tolist(), key=lambda at: _section_cost(costs, times, best_start, at, offset_1, offset_2))
    rate = (best_end + offset_2 - best_start - offset_1) / (best_end - best_start)
    return Line(best_start, best_end, best_start + offset_1, rate)


def _section_cost(
    costs: MomentCosts, times: np.ndarray, start: float, end: float, offset_1: float, offset_2: float
) -> float:
    """The mean cost over `times` on A of offset 1 before `start`, the section's line to `end`, and
    offset 2 after it."""
    if end - start < _MIN_SECTION_SECONDS / 2:
        return math.inf
    rate = (end + offset_2 - start - offset_1) / (end - start)
    if not SLOWEST_RATE <= rate <= FASTEST_RATE:
        # B standing still or running backwards (a trim's offsets over too short a stretch of A),
        # or faster or slower than any speed change looked for: not a section.
        return math.inf
    inside = (times >= start) & (times < end)
    times_b = np.where(
        times < start, times + offset_1, np.where(inside, start + offset_1 + (times - start) * rate, times + offset_2)
    )
    outside_b = (times_b < 0) | (times_b > costs.b.duration)
    visual = np.where(outside_b, _OUTSIDE_COST, costs.visual_between(times, times_b))
    if not costs.with_sound or costs.a.sound is None or costs.b.sound is None:
        return float(visual.mean())
    levels_a = costs.a.sound[costs.a.sound_index(times)].astype(np.float32)
    levels_b = costs.b.sound[costs.b.sound_index(times_b)].astype(np.float32)
    plain = np.abs(levels_a - levels_b).mean(axis=1) / costs.sound_unit
    if inside.any():
        shifted = np.abs(levels_a[inside] - pitch_matched(levels_b[inside], 1.0 / rate)).mean(axis=1) / costs.sound_unit
        if shifted.mean() < plain[inside].mean():
            plain[inside] = shifted
    sound = np.where(outside_b, _OUTSIDE_COST, plain)
    return float((visual.mean() + sound.mean()) / 2.0)


def explains(costs: MomentCosts, line: Line, start: float, end: float, offset: float) -> bool:
    """Whether the speed change's `line`, carried on over A's [start, end], matches there at least
    about as well as the constant `offset` found there does (the windows next to a speed change
    can agree on an offset for a few seconds: the line holds there too)."""
    times = np.arange(start, end, 1.0 / (2 * costs.a.visual_rate))
    if len(times) < 2:
        return True
    along_line = mean_cost(costs, times, np.asarray(line.b_at(times))[None, :], np.array([1.0 / line.rate]))[0]
    at_offset = mean_cost(costs, times, (times + offset)[None, :], np.array([1.0]))[0]
    return bool(along_line <= at_offset + _EXPLAINS_MARGIN)


_EXPLAINS_MARGIN = 0.02


def matches(costs: MomentCosts, line: Line, start: float, end: float) -> bool:
    """Whether the speed change's `line`, carried on over A's [start, end], matches there at all
    (as well as a section must: what only one video has, a lead-in, does not)."""
    times = np.arange(start, end, 1.0 / (2 * costs.a.visual_rate))
    if len(times) < 2:
        return True
    along_line = mean_cost(costs, times, np.asarray(line.b_at(times))[None, :], np.array([1.0 / line.rate]))[0]
    return bool(along_line <= SECTION_CEILING)


# --- costs -------------------------------------------------------------------------------------


def _visual(costs: MomentCosts, times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
    """The picture's cost (B between its samples), _OUTSIDE_COST where B has no such time."""
    cost = costs.visual_between(times_a, times_b)
    outside = (times_b < 0) | (times_b > costs.b.duration)
    return np.where(outside, _OUTSIDE_COST, cost)


def mean_cost(costs: MomentCosts, times_a: np.ndarray, times_b: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """Per row of `times_b` (B times for `times_a`): the mean cost of the picture between its
    samples and of the sound, B's sound taken as it is or moved down in pitch by the row's ratio
    (B speed / A speed), whichever matches better."""
    visual = costs.visual_between(np.broadcast_to(times_a, times_b.shape), times_b)
    outside = (times_b < 0) | (times_b > costs.b.duration)
    visual_mean = np.where(outside, _OUTSIDE_COST, visual).mean(axis=1)
    if not costs.with_sound or costs.a.sound is None or costs.b.sound is None:
        result: np.ndarray = visual_mean
        return result
    levels_a = costs.a.sound[costs.a.sound_index(times_a)].astype(np.float32)
    levels_b = costs.b.sound[costs.b.sound_index(times_b)].astype(np.float32)
    plain = np.abs(levels_a[None] - levels_b).mean(axis=(1, 2)) / costs.sound_unit
    shifted = np.array(
        [
            np.abs(levels_a - pitch_matched(levels_b[row], float(ratio))).mean() / costs.sound_unit
            for row, ratio in enumerate(ratios.tolist())
        ]
    )
    sound_mean = np.minimum(plain, shifted)
    combined: np.ndarray = (visual_mean + sound_mean) / 2.0
    return combined


def floor_cost(costs: MomentCosts, times_a: np.ndarray, times_b: np.ndarray, reach: float) -> float:
    """A floor under `mean_cost` of every row whose B times stay within `reach` seconds of
    `times_b`: the picture's floor there (the sound costs at least nothing, and counts half)."""
    visual = costs.visual_floor_near(times_a, times_b, reach)
    # Where the reach runs off B, a row may pay the outside cost there instead.
    off_b = (times_b - reach < 0) | (times_b + reach > costs.b.duration)
    visual = np.where(off_b, np.minimum(visual, _OUTSIDE_COST), visual)
    floor = float(visual.mean()) if len(visual) else 0.0
    return floor / 2.0 if costs.with_sound and costs.a.sound is not None and costs.b.sound is not None else floor


# --- findings ----------------------------------------------------------------------------------


def speed_findings(spans: Sequence[MatchedSpan]) -> list[Difference]:
    """One "speed" finding per span that B plays at another speed: `ratio` = B's speed over A's
    (A's length over B's: 1.042, B runs 4.2 % fast; 0.96, B runs 4 % slow)."""
    findings: list[Difference] = []
    for span in spans:
        b_length = span.b_end - span.b_start
        if b_length <= 0:
            continue
        ratio = (span.a_end - span.a_start) / b_length
        if abs(ratio - 1.0) < REPORTED_CHANGE:
            continue
        findings.append(finding_over(span, span, "speed", speed_severity(ratio), ratio=round(ratio, 4)))
    return findings


def speed_severity(ratio: float) -> Severity:
    """Under 2 % faster or slower is medium (a PAL-to-film conversion is 4 %: high)."""
    return "medium" if abs(ratio - 1.0) < 0.02 else "high"


@dataclass(frozen=True)
class Speed:
    """The "speed" findings of the spans B plays at another speed."""

    name: str = "speed"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        return dataclasses.replace(state, findings=state.findings + speed_findings(state.spans))
