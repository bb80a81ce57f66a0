"""Where the text on screen differs between aligned moments: "text" findings (A 'NEWS 24' → B 'NEWS 42').

Pure: it takes the matched spans and both videos' on-screen lines (videos.screen_text), and nothing
else. Along every span, each moment of A is set against the same moment of B (through the span's
offset and rate), and the lines shown there are paired by their place on the picture (their boxes):

- a line of A whose place on B shows other words is a change (text_a → text_b);
- a line of A with nothing at its place on B disappeared (text_b ""), a line of B with nothing at
  its place on A appeared (text_a ""), unless the same words are shown elsewhere on the other
  picture then (a line moved, or a sign the camera follows: the picture's difference, not the text's).

Two readings are the same words when they differ by no more OCR noise than a long line carries
(one letter in NOISE_CHARACTERS, letters the reader confuses counted as equal), and carry the same
numbers: "NEWS 24" → "NEWS 42" is a change however short. A line's times are known to about half a
second (bench/screen_text.py), so the same words shown within TIMING_SLACK of the same moment are not
a change. Lines shown only in an only_a / only_b gap are outside every span: not text changes.
A finding holds at any threshold: a title whose picture barely changed is still reported.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from videos.engine.model import Difference, MatchedSpan
from videos.engine.passes.base import PassState
from videos.engine.signals import PairSignals

# Moments compared along the spans, this far apart (the lines' times are stored to a tenth).
SAMPLE_SECONDS = 0.1
# Seconds either side of a moment where the same words on the other video still count as shown
# then: the reader times a line to within half a second.
TIMING_SLACK = 0.5
# A change seen for less than this (on A) is the two readings' timing, not an edit.
MIN_CHANGE_SECONDS = 0.3
# Runs of one change apart by no more than this are one change (a reading missed for a moment).
JOIN_GAP_SECONDS = 0.5
# The reader may get one letter wrong in this many without the line having changed.
NOISE_CHARACTERS = 12
# Two boxes are at the same place when their rows overlap by at least this share of the lower box's
# height and their columns overlap at all (a longer or shorter line in the same slot still is).
SAME_ROW_OVERLAP = 0.5
# A line with nothing at its place on the other video is a finding only with at least this many
# letters or digits (see `_worth_a_finding_alone`).
MIN_LONE_CHARACTERS = 3

# Letters the reader takes for one another: compared as one (not in numbers, see `_numbers`).
_CONFUSABLE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "8": "b"})
_AS_DIGITS = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})
_NUMBER = re.compile(r"\d[\d.,:]*\d|(?<![^\W\d_])\d(?![^\W\d_])")


class ScreenLine(Protocol):
    """A line of on-screen text as the reader gives it (videos.screen_text.tracking.ShownLine):
    timed text (as videos.chunks.TimedText, spelt here: the engine reads no module that stores)
    with its place on the picture."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...
    @property
    def box(self) -> Sequence[float]: ...  # left, top, width, height as fractions of the frame


def text_changes(
    spans: Sequence[MatchedSpan], lines_a: Sequence[ScreenLine], lines_b: Sequence[ScreenLine]
) -> list[Difference]:
    """One "text" finding per line whose words differ between aligned moments, in order on A."""
    found: list[Difference] = []
    placed_a, placed_b = [_Placed.of(line) for line in lines_a], [_Placed.of(line) for line in lines_b]
    for span in spans:
        if span.a_end - span.a_start < SAMPLE_SECONDS or span.b_end <= span.b_start:
            continue
        found.extend(_span_changes(span, placed_a, placed_b))
    return sorted(found, key=lambda finding: (finding.a_start or 0.0, finding.b_start or 0.0))


@functools.lru_cache(maxsize=4096)
def same_words(text_a: str, text_b: str) -> bool:
    """Whether two readings say the same thing, OCR noise aside (see the module's docstring).
    Cached: the same two lines are set side by side at every moment they share."""
    key_a, key_b = _letters(text_a), _letters(text_b)
    if _numbers(text_a) != _numbers(text_b):
        return False
    if key_a == key_b:
        return True
    allowed = max(len(key_a), len(key_b)) // NOISE_CHARACTERS
    return _edit_distance(key_a, key_b, allowed) <= allowed


# --- along one span ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    """A line with its box as four floats (a stored row's may be a shorter list: unknown, 0)."""

    start: float
    end: float
    text: str
    box: tuple[float, float, float, float]

    @staticmethod
    def of(line: ScreenLine) -> _Placed:
        left, top, width, height = ([float(value) for value in line.box] + [0.0] * 4)[:4]
        return _Placed(line.start, line.end, line.text, (left, top, width, height))


@dataclass
class _Run:
    """Moments of one (A line, B line) pair that differ: A times of the first and last moment."""

    a_line: int | None
    b_line: int | None
    first: float
    last: float


def _span_changes(span: MatchedSpan, lines_a: Sequence[_Placed], lines_b: Sequence[_Placed]) -> list[Difference]:
    sweep_a = _Sweep(lines_a, span.a_start - TIMING_SLACK, span.a_end + TIMING_SLACK)
    sweep_b = _Sweep(lines_b, span.b_start - TIMING_SLACK, span.b_end + TIMING_SLACK)
    if not sweep_a.order and not sweep_b.order:
        return []
    runs: list[_Run] = []
    open_runs: dict[tuple[int | None, int | None], _Run] = {}
    # What differs changes only where a line comes or goes (or comes within TIMING_SLACK): between
    # two such times, the moments all differ alike, and are worked out once.
    for first, last in _steady_stretches(span, sweep_a, sweep_b):
        time_a = first
        time_b = _on_b(span, time_a)
        near_a, near_b = sweep_a.near(time_a), sweep_b.near(time_b)
        if not near_a and not near_b:
            continue
        shown_a = [index for index in near_a if _shown(lines_a[index], time_a)]
        shown_b = [index for index in near_b if _shown(lines_b[index], time_b)]
        for key in _differing_pairs(lines_a, lines_b, near_a, near_b, shown_a, shown_b):
            run = open_runs.get(key)
            if run is not None and first - run.last <= JOIN_GAP_SECONDS + 1e-9:
                run.last = last
                continue
            run = _Run(key[0], key[1], first, last)
            open_runs[key] = run
            runs.append(run)
    return [finding for run in runs if (finding := _finding(run, span, lines_a, lines_b)) is not None]


def _steady_stretches(span: MatchedSpan, sweep_a: _Sweep, sweep_b: _Sweep) -> Iterator[tuple[float, float]]:
    """The first and last moment (every SAMPLE_SECONDS along the span, on A) of each stretch in
    which no line of either video comes or goes, nor comes within TIMING_SLACK."""
    edges = {span.a_start, span.a_end}
    for sweep, on_a in ((sweep_a, lambda time: time), (sweep_b, lambda time: _on_a(span, time))):
        for index in sweep.order:
            line = sweep.lines[index]
            for time in (line.start - TIMING_SLACK, line.start, line.end, line.end + TIMING_SLACK):
                edge = on_a(time)
                if span.a_start < edge < span.a_end:
                    edges.add(edge)
    count = int((span.a_end - span.a_start) / SAMPLE_SECONDS + 1e-9)
    ordered = sorted(edges)
    for low, high in itertools.pairwise(ordered):
        # Moments k with low <= a_start + (k + ½)·step < high.
        first = max(0, math.ceil((low - span.a_start) / SAMPLE_SECONDS - 0.5 - 1e-9))
        last = min(count - 1, math.ceil((high - span.a_start) / SAMPLE_SECONDS - 0.5 - 1e-9) - 1)
        if first <= last:
            yield span.a_start + (first + 0.5) * SAMPLE_SECONDS, span.a_start + (last + 0.5) * SAMPLE_SECONDS


class _Sweep:
    """The lines shown within TIMING_SLACK of a time that only moves forward (one pass per span)."""

    def __init__(self, lines: Sequence[_Placed], low: float, high: float) -> None:
        self.lines = lines
        self.order = sorted(
            (index for index, line in enumerate(lines) if line.end > low and line.start < high),
            key=lambda index: lines[index].start,
        )
        self.next = 0
        self.active: list[int] = []

    def near(self, time: float) -> list[int]:
        while self.next < len(self.order) and self.lines[self.order[self.next]].start - TIMING_SLACK <= time:
            self.active.append(self.order[self.next])
            self.next += 1
        self.active = [index for index in self.active if self.lines[index].end + TIMING_SLACK > time]
        return self.active


def _differing_pairs(
    lines_a: Sequence[_Placed],
    lines_b: Sequence[_Placed],
    near_a: Sequence[int],
    near_b: Sequence[int],
    shown_a: Sequence[int],
    shown_b: Sequence[int],
) -> Iterator[tuple[int | None, int | None]]:
    """(A line, B line) for each place where the words differ at a moment, None for no line:
    `shown_a`/`shown_b` the lines shown then on each video, `near_a`/`near_b` those shown within
    TIMING_SLACK of it."""
    paired_b: set[int] = set()
    for index_a in shown_a:
        line_a = lines_a[index_a]
        there = [index_b for index_b in shown_b if _same_place(line_a, lines_b[index_b])]
        paired_b.update(there)
        if any(
            _same_place(line_a, lines_b[index_b]) and same_words(line_a.text, lines_b[index_b].text)
            for index_b in near_b
        ):
            continue
        if not there:
            if _worth_a_finding_alone(line_a.text) and not any(
                same_words(line_a.text, lines_b[index_b].text) for index_b in near_b
            ):
                yield index_a, None
            continue
        yield index_a, max(there, key=lambda index_b: _overlap(line_a.box, lines_b[index_b].box))
    for index_b in shown_b:
        line_b = lines_b[index_b]
        if index_b in paired_b or not _worth_a_finding_alone(line_b.text):
            continue
        if any(same_words(lines_a[index_a].text, line_b.text) for index_a in near_a):
            continue  # the same words at the same place, or moved elsewhere on the picture: not a text change
        yield None, index_b


def _worth_a_finding_alone(text: str) -> bool:
    """Whether a line that appears or disappears says enough to report: a reading of one or two
    characters comes and goes with the reader's mood on textured footage (letter blocks read "AM"
    in some frames of a re-encode and not in the original's)."""
    return sum(character.isalnum() for character in text) >= MIN_LONE_CHARACTERS


def _finding(run: _Run, span: MatchedSpan, lines_a: Sequence[_Placed], lines_b: Sequence[_Placed]) -> Difference | None:
    """The run as a finding. Where the words were the same within TIMING_SLACK the moments were not
    counted as changed: the ends reach back out to the lines' own times, up to that far."""
    if run.last - run.first + SAMPLE_SECONDS < MIN_CHANGE_SECONDS - 1e-9:
        return None
    line_a = lines_a[run.a_line] if run.a_line is not None else None
    line_b = lines_b[run.b_line] if run.b_line is not None else None
    low, high = span.a_start, span.a_end
    if line_a is not None:
        low, high = max(low, line_a.start), min(high, line_a.end)
    if line_b is not None:
        low, high = max(low, _on_a(span, line_b.start)), min(high, _on_a(span, line_b.end))
    reach = SAMPLE_SECONDS / 2 + TIMING_SLACK
    a_start = max(low, run.first - reach)
    a_end = min(high, run.last + reach)
    b_start, b_end = _on_b(span, a_start), _on_b(span, a_end)
    return Difference(
        kind="text",
        a_start=a_start,
        a_end=a_end,
        b_start=b_start,
        b_end=b_end,
        peak=None,
        mean=None,
        severity=None,
        text_a=line_a.text if line_a is not None else "",
        text_b=line_b.text if line_b is not None else "",
    )


def _on_b(span: MatchedSpan, time_a: float) -> float:
    return span.b_start + (time_a - span.a_start) * span.rate


def _on_a(span: MatchedSpan, time_b: float) -> float:
    rate = span.rate or 1.0
    return span.a_start + (time_b - span.b_start) / rate


def _shown(line: _Placed, time: float) -> bool:
    return line.start <= time < line.end


# --- places and words ------------------------------------------------------------------------


def _same_place(line_a: _Placed, line_b: _Placed) -> bool:
    """On the same row of the picture, their columns overlapping. A line stored without a box (its
    size 0) is at no known place: it matches any."""
    left_a, top_a, width_a, height_a = line_a.box
    left_b, top_b, width_b, height_b = line_b.box
    if width_a <= 0 or height_a <= 0 or width_b <= 0 or height_b <= 0:
        return True
    rows = min(top_a + height_a, top_b + height_b) - max(top_a, top_b)
    columns = min(left_a + width_a, left_b + width_b) - max(left_a, left_b)
    return columns > 0 and rows >= SAME_ROW_OVERLAP * min(height_a, height_b)


def _overlap(box_a: tuple[float, float, float, float], box_b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two boxes (0 when either is unknown)."""
    left_a, top_a, width_a, height_a = box_a
    left_b, top_b, width_b, height_b = box_b
    width = max(0.0, min(left_a + width_a, left_b + width_b) - max(left_a, left_b))
    height = max(0.0, min(top_a + height_a, top_b + height_b) - max(top_a, top_b))
    union = width_a * height_a + width_b * height_b - width * height
    return width * height / union if union > 0 else 0.0


def _letters(text: str) -> str:
    """The letters and digits of a reading, in one case, confusable ones folded together."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(character for character in folded if character.isalnum()).translate(_CONFUSABLE)


def _numbers(text: str) -> list[str]:
    """The numbers a reading shows (digits standing as a number, not one digit inside a word, which
    is more often a misread letter: "1ight"). In a word mostly of digits, the letters the reader
    takes for digits are read as those digits ("1O" is 10)."""
    words = []
    for word in unicodedata.normalize("NFKC", text).split():
        characters = [character for character in word if character.isalnum()]
        if characters and 2 * sum(character.isdigit() for character in characters) >= len(characters):
            word = word.translate(_AS_DIGITS)
        words.append(word)
    return [re.sub(r"[.,:]", "", number) for number in _NUMBER.findall(" ".join(words))]


def _edit_distance(first: str, second: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 as soon as it must exceed `limit` (lines are short)."""
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    previous = list(range(len(second) + 1))
    for row, left in enumerate(first, start=1):
        current = [row]
        for column, right in enumerate(second, start=1):
            current.append(min(previous[column] + 1, current[column - 1] + 1, previous[column - 1] + (left != right)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class Text:
    """The "text" findings from the two videos' lines of on-screen text (any earlier ones replaced)."""

    lines_a: Sequence[ScreenLine]
    lines_b: Sequence[ScreenLine]
    name: str = "on-screen text"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        findings = [finding for finding in state.findings if finding.kind != "text"]
        return dataclasses.replace(state, findings=findings + text_changes(state.spans, self.lines_a, self.lines_b))
