"""Speed changes in the alignment (videos.engine.passes.align): the sloped lines that videos.engine.passes.speed
finds put in place among the constant-offset spans, then made whole.
"""

from __future__ import annotations

import itertools

import numpy as np

from videos.engine.model import MIN_SPAN_SECONDS, Line, MatchedSpan, monotone
from videos.engine.passes.speed import (
    CUTS_MATCH,
    FASTEST_RATE,
    GAP_COST,
    REPORTED_CHANGE,
    SECTION_CEILING,
    SLOWEST_RATE,
    cuts_join,
    explains,
    floor_cost,
    matches,
    mean_cost,
    refined_line,
    section_between,
)
from videos.engine.signals import MomentCosts
from videos.engine.windows import SAME_OFFSET, WINDOW_SECONDS

# Sections between two constant offsets are looked for across at most this many groups in between
# (windows inside a fast section may agree on passing offsets), each shorter than _PASSING_SECONDS.
_PASSING_GROUPS = 2
_PASSING_SECONDS = 3 * WINDOW_SECONDS


def speed_sections(costs: MomentCosts, groups: list[tuple[float, float, float]], lines: list[Line]) -> list[Line]:
    """Fast speed sections (videos.engine.passes.speed.section_between) between constant-offset groups,
    away from the slow ones already found."""
    sections: list[Line] = []
    first = 0
    while first < len(groups) - 1:
        found = None
        # Where cuts join a group to the next (a tightened cut), B plays nothing fast from the
        # first's end: no section starts there, across passing groups or not.
        if cuts_join(costs, groups[first], groups[first + 1]):
            first += 1
            continue
        # The widest first: a section found across passing groups is one section, not several.
        for last in range(min(len(groups) - 1, first + 1 + _PASSING_GROUPS), first, -1):
            passing = groups[first + 1 : last]
            if any(end - start > _PASSING_SECONDS for start, end, _ in passing):
                continue
            if any(line.a_start < groups[last][0] and line.a_end > groups[first][1] for line in lines):
                continue
            found = section_between(costs, groups[first], groups[last], cuts_checked=last == first + 1)
            if found is not None:
                sections.append(found)
                first = last
                break
        if found is None:
            first += 1
    return sections


def with_speed_changes(
    spans: list[MatchedSpan], lines: list[Line], duration_a: float, duration_b: float
) -> list[MatchedSpan]:
    """The constant-offset spans with each speed change's line put in their place: the spans it
    covers on A are cut back to it, and its ends meet its neighbours where the two lines cross (or
    the videos' ends, when it has none)."""
    if not lines:
        return spans
    speed_spans: list[MatchedSpan] = []
    for line in sorted(lines, key=lambda item: item.a_start):
        kept: list[MatchedSpan] = []
        for span in spans:
            if span.a_end <= line.a_start or span.a_start >= line.a_end:
                kept.append(span)
                continue
            if line.a_start - span.a_start >= MIN_SPAN_SECONDS:
                kept.append(_part(span, span.a_start, line.a_start))
            if span.a_end - line.a_end >= MIN_SPAN_SECONDS:
                kept.append(_part(span, line.a_end, span.a_end))
        speed = MatchedSpan(line.a_start, line.a_end, line.b_start, line.b_end)
        speed_spans.append(speed)
        spans = _absorbed(sorted([*kept, speed], key=lambda span: span.a_start), speed, speed_spans)
    joined = list(spans)
    for number, span in enumerate(spans):
        if not any(span is speed for speed in speed_spans):
            continue
        start, end = span.a_start, span.a_end
        if number > 0:
            previous = joined[number - 1]
            crossing = _crossing(previous, span)
            if crossing is not None and previous.a_start + MIN_SPAN_SECONDS < crossing < end - MIN_SPAN_SECONDS:
                start = crossing
                joined[number - 1] = _part(previous, previous.a_start, crossing)
        if number < len(spans) - 1:
            following = spans[number + 1]
            crossing = _crossing(span, following)
            if crossing is not None and start + MIN_SPAN_SECONDS < crossing < following.a_end - MIN_SPAN_SECONDS:
                end = crossing
                joined[number + 1] = _part(following, crossing, following.a_end)
        joined[number] = _part(span, start, end)
    return monotone(joined)


def speed_tidied(
    costs: MomentCosts, spans: list[MatchedSpan], duration_a: float, duration_b: float
) -> list[MatchedSpan]:
    """Speed changes made whole: two next to each other at one speed (within what is reported as
    the same, `_joined`) are one, fitted again; a short constant-offset span beside one that its
    line explains as well is taken into it (a long one too when it ends the alignment and the line
    meets both videos' ends there); one that then starts or ends the alignment reaches the videos'
    ends."""
    tidied = _joined(costs, spans)
    changed = True
    while changed:
        changed = False
        for number, span in enumerate(tidied):
            if not _is_speed(span):
                continue
            line = Line(span.a_start, span.a_end, span.b_start, span.rate)
            for other in (number - 1, number + 1):
                if not 0 <= other < len(tidied) or _is_speed(tidied[other]):
                    continue
                neighbour = tidied[other]
                long = neighbour.a_end - neighbour.a_start > _ABSORBED_SECONDS
                if long and not _to_both_ends(line, other, len(tidied), duration_a, duration_b):
                    continue
                if explains(costs, line, neighbour.a_start, neighbour.a_end, neighbour.offset):
                    start, end = min(span.a_start, neighbour.a_start), max(span.a_end, neighbour.a_end)
                    tidied[number] = _part(span, start, end)
                    del tidied[other]
                    changed = True
                    break
            if changed:
                break
    # Absorbing a short span between two speed changes puts them side by side.
    tidied = _joined(costs, tidied)
    # Back to where either video starts and on to where either ends, where the line matches there.
    if tidied and _is_speed(tidied[0]):
        span = tidied[0]
        start = max(0.0, span.a_start - span.b_start / span.rate)
        if start < span.a_start and matches(
            costs, Line(span.a_start, span.a_end, span.b_start, span.rate), start, span.a_start
        ):
            tidied[0] = _part(span, start, span.a_end)
    if tidied and _is_speed(tidied[-1]):
        span = tidied[-1]
        end = min(duration_a, span.a_start + (duration_b - span.b_start) / span.rate)
        if end > span.a_end and matches(
            costs, Line(span.a_start, span.a_end, span.b_start, span.rate), span.a_end, end
        ):
            tidied[-1] = _part(span, span.a_start, end)
    return monotone([_fitted_again(costs, span, spans) for span in tidied])


def _fitted_again(costs: MomentCosts, span: MatchedSpan, before: list[MatchedSpan]) -> MatchedSpan:
    """A speed change that took in a neighbour or reached a video's end, its line fitted again
    over all it covers now: a fast section's rate comes from the two offsets it joins and its ends
    (each a picture sample or so off), and carried over a whole 15 s programme played 1.5× fast
    it said 1.4948."""
    if not _is_speed(span) or any(span == other for other in before):
        return span
    fitted = refined_line(costs, Line(span.a_start, span.a_end, span.b_start, span.rate))
    return MatchedSpan(fitted.a_start, fitted.a_end, fitted.b_start, fitted.b_end)


def whole_programme_speed(
    costs: MomentCosts, spans: list[MatchedSpan], duration_a: float, duration_b: float
) -> list[MatchedSpan]:
    """One speed change from start to end in place of `spans` when the two videos' lengths differ
    by a reported speed and the line joining their starts and their ends, refined, matches better
    than the spans do. A whole programme a little fast (0.5 %, 1 %) drifts too slowly over a short
    programme for the windows' votes to show a slope: they see one offset, or a few, and the
    picture then differs at the ends; far faster (40 %, 50 %) they may agree on nothing at all."""
    if duration_a <= 0 or duration_b <= 0 or abs(duration_a / duration_b - 1.0) < _WHOLE_LEAST:
        return spans
    if len(spans) == 1 and _is_speed(spans[0]) and spans[0].a_end - spans[0].a_start >= duration_a - _ENDS_TOGETHER:
        return spans
    if not SLOWEST_RATE <= duration_b / duration_a <= FASTEST_RATE:
        return spans
    guess = Line(0.0, duration_a, 0.0, duration_b / duration_a)
    times = np.linspace(0.0, duration_a, _WHOLE_SAMPLES, endpoint=False)
    if _cut_not_sped(costs, spans, times):
        return spans
    spans_cost = _spans_cost(costs, spans, times)
    # A line kept to both ends stays within _ENDS_TOGETHER of the guess all along. When even the
    # floor of their costs there loses to the spans, searching them cannot change the answer: a
    # long programme whose lengths differ by its edits is spared the search (0.3 s over 3 hours).
    floor = floor_cost(costs, times, np.asarray(guess.b_at(times)), _ENDS_TOGETHER)
    if floor > SECTION_CEILING or floor + _WHOLE_MARGIN >= spans_cost:
        return spans
    line = refined_line(costs, guess)
    if abs(float(line.b_at(0.0))) > _ENDS_TOGETHER or abs(float(line.b_at(duration_a)) - duration_b) > _ENDS_TOGETHER:
        return spans
    along_line = float(mean_cost(costs, times, np.asarray(line.b_at(times))[None, :], np.array([1.0 / line.rate]))[0])
    if along_line > SECTION_CEILING or along_line + _WHOLE_MARGIN >= spans_cost:
        return spans
    start, end = (
        max(0.0, -line.b_start / line.rate),
        min(duration_a, line.a_start + (duration_b - line.b_start) / line.rate),
    )
    return [_part(MatchedSpan(line.a_start, line.a_end, line.b_start, line.b_end), start, end)]


_WHOLE_SAMPLES = 2000
# Lengths are whole frames: a 0.5 % change on 30 s of 30 fps may measure 0.46 %.
_WHOLE_LEAST = 0.003
_WHOLE_MARGIN = 0.02


def _cut_not_sped(costs: MomentCosts, spans: list[MatchedSpan], times: np.ndarray) -> bool:
    """Whether the spans are a programme cut, not played at another speed: three or more spans at
    B's own rate, a second or more long on average, each a quarter of a second or more from the
    next's offset, matching in step where they run (a tightened cut). A whole programme played a
    little fast drifts in steps of a few frames, and far faster matches no second at one offset;
    the search for a line through such spans was most of a tightened cut's time."""
    if len(spans) < 3 or any(abs(span.rate - 1.0) > 1e-6 for span in spans):
        return False
    if sum(span.a_end - span.a_start for span in spans) / len(spans) < _CUT_LEAST_MEAN_SPAN:
        return False
    if any(abs(second.offset - first.offset) < _CUT_LEAST_JUMP for first, second in itertools.pairwise(spans)):
        return False
    covered = np.zeros(len(times), bool)
    for span in spans:
        covered |= (times >= span.a_start) & (times < span.a_end)
    return bool(covered.any()) and _spans_cost(costs, spans, times[covered]) <= CUTS_MATCH


_CUT_LEAST_MEAN_SPAN = 1.0
_CUT_LEAST_JUMP = 0.25


def _spans_cost(costs: MomentCosts, spans: list[MatchedSpan], times: np.ndarray) -> float:
    """The mean cost over A's `times` of matching them as `spans` do (each along its own line,
    its sound moved in pitch where faster), GAP_COST where no span covers a time."""
    total = np.full(len(times), GAP_COST)
    for span in spans:
        inside = (times >= span.a_start) & (times < span.a_end)
        if inside.sum() < 2:
            continue
        times_b = span.b_start + (times[inside] - span.a_start) * span.rate
        total[inside] = mean_cost(costs, times[inside], times_b[None, :], np.array([1.0 / span.rate]))[0]
    return float(total.mean())


def _joined(costs: MomentCosts, spans: list[MatchedSpan]) -> list[MatchedSpan]:
    """Consecutive speed changes at one speed (within REPORTED_CHANGE) that are one line, apart by
    at most _JOINED_GAP on A where that line matches too, as one change fitted again: a whole
    programme played fast is one change, however often the windows lost the line for a moment."""
    joined: list[MatchedSpan] = []
    for span in spans:
        previous = joined[-1] if joined else None
        if previous is not None and _is_speed(previous) and _is_speed(span):
            line = Line(previous.a_start, previous.a_end, previous.b_start, previous.rate)
            gap = span.a_start - previous.a_end
            on_line = abs(span.b_start - float(line.b_at(span.a_start))) < _ON_LINE
            if (
                abs(span.rate / previous.rate - 1.0) < REPORTED_CHANGE
                and -_ON_LINE < gap <= _JOINED_GAP
                and on_line
                and (gap < _ON_LINE or matches(costs, line, previous.a_end, span.a_start))
            ):
                whole = Line(
                    previous.a_start,
                    span.a_end,
                    previous.b_start,
                    (span.b_end - previous.b_start) / (span.a_end - previous.a_start),
                )
                fitted = refined_line(costs, whole)
                joined[-1] = MatchedSpan(fitted.a_start, fitted.a_end, fitted.b_start, fitted.b_end)
                continue
        joined.append(span)
    return joined


_ON_LINE = 0.1  # seconds on B: a span this close to another's line carries it on
_JOINED_GAP = WINDOW_SECONDS


def _to_both_ends(line: Line, number: int, count: int, duration_a: float, duration_b: float) -> bool:
    """Whether span `number` of `count` starts or ends the alignment and `line`, carried on to that
    end, meets both videos' starts (or ends) together: a whole programme at one speed, whose last
    stretch the windows matched at a passing offset however long it is."""
    if number == 0:
        return abs(float(line.b_at(0.0))) <= _ENDS_TOGETHER
    if number == count - 1:
        return abs(float(line.b_at(duration_a)) - duration_b) <= _ENDS_TOGETHER
    return False


_ENDS_TOGETHER = 0.5  # seconds on B


def _is_speed(span: MatchedSpan) -> bool:
    return abs(span.rate - 1.0) > 1e-6


def _absorbed(spans: list[MatchedSpan], speed: MatchedSpan, speed_spans: list[MatchedSpan]) -> list[MatchedSpan]:
    """`spans` with a short constant-offset span next to the `speed` one taken into it when its
    offset lies on the speed's line all along (windows at a speed change's end can agree on an
    offset for a moment: the line holds there too)."""
    number = next(index for index, span in enumerate(spans) if span is speed)
    start, end = speed.a_start, speed.a_end
    kept = []
    for index, span in enumerate(spans):
        beside = abs(index - number) == 1 and not any(span is other for other in speed_spans)
        if beside and span.a_end - span.a_start <= _ABSORBED_SECONDS:
            line_offsets = [speed.b_start + (t - speed.a_start) * speed.rate - t for t in (span.a_start, span.a_end)]
            if all(abs(span.offset - offset) <= SAME_OFFSET for offset in line_offsets):
                start, end = min(start, span.a_start), max(end, span.a_end)
                continue
        kept.append(span)
    if (start, end) == (speed.a_start, speed.a_end):
        return spans
    widened = _part(speed, start, end)
    speed_spans[speed_spans.index(speed)] = widened
    return [widened if span is speed else span for span in kept]


_ABSORBED_SECONDS = 2 * WINDOW_SECONDS


def _part(span: MatchedSpan, a_start: float, a_end: float) -> MatchedSpan:
    """`span` from a_start to a_end on A (either may lie past its ends: along its line)."""
    rate = span.rate
    return MatchedSpan(
        a_start, a_end, span.b_start + (a_start - span.a_start) * rate, span.b_start + (a_end - span.a_start) * rate
    )


def _crossing(first: MatchedSpan, second: MatchedSpan) -> float | None:
    """The A time at which the two spans' lines meet (None: parallel)."""
    rate_1, rate_2 = first.rate, second.rate
    if abs(rate_1 - rate_2) < 1e-6:
        return None
    # first.b_start + (t − first.a_start)·rate_1 = second.b_start + (t − second.a_start)·rate_2
    return (second.b_start - second.a_start * rate_2 - first.b_start + first.a_start * rate_1) / (rate_1 - rate_2)
