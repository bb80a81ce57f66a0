"""What changed in the words of two transcripts, diffed once and looked up per segment.

A comparison diffs the two transcripts' words once, when it is built (`transcript_word_diff`), and
keeps the words each side has that the other does not, grouped by the transcript line they were
said in (with its times). A segment's word changes are then a lookup by time (`word_changes`):
judging at another threshold reads no transcript and diffs nothing again.

Pure functions over plain data (no models, no database); the stored shape is JSON:
`{"removed": [[start, end, [word, …]], …], "added": […]}` — removed: words only A says, added:
words only B says; lines in order of their start.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Sequence
from typing import Any, TypeAlias

# Words shown per side of a changed segment: enough to read the change, bounded for the page.
WORDS_SHOWN = 40

TimedLine: TypeAlias = tuple[float, float, str]  # a transcript line: start, end (seconds), text
ChangedLine: TypeAlias = list[Any]  # [start, end, [word, …]]: the changed words of one line
WordDiff: TypeAlias = dict[str, list[ChangedLine]]  # {"removed": […], "added": […]}
WordChanges: TypeAlias = dict[str, dict[str, list[str]]]  # per segment index: {"removed", "added"}


def no_word_diff() -> WordDiff:
    return {"removed": [], "added": []}


def transcript_word_diff(lines_a: Sequence[TimedLine], lines_b: Sequence[TimedLine]) -> WordDiff:
    """The words only A says and the words only B says, from one aligned diff of the two
    transcripts' words (case-insensitive). Nothing when either video has no transcript: a missing
    transcript is not a change of words."""
    if not lines_a or not lines_b:
        return no_word_diff()
    words_a, line_of_a = _words(lines_a)
    words_b, line_of_b = _words(lines_b)
    only_in_a: list[int] = []
    only_in_b: list[int] = []
    # difflib's autojunk stays on: words as common as "the" do not seed matches (they still join
    # the matches around them), which keeps a diff of two 3-hour transcripts under a second.
    matcher = difflib.SequenceMatcher(a=[word.lower() for word in words_a], b=[word.lower() for word in words_b])
    for tag, a_from, a_to, b_from, b_to in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            only_in_a.extend(range(a_from, a_to))
        if tag in ("insert", "replace"):
            only_in_b.extend(range(b_from, b_to))
    return {
        "removed": _by_line(lines_a, words_a, line_of_a, only_in_a),
        "added": _by_line(lines_b, words_b, line_of_b, only_in_b),
    }


def _words(lines: Sequence[TimedLine]) -> tuple[list[str], list[int]]:
    words: list[str] = []
    line_of_word: list[int] = []
    for number, (_, _, text) in enumerate(lines):
        split = text.split()
        words.extend(split)
        line_of_word.extend([number] * len(split))
    return words, line_of_word


def _by_line(
    lines: Sequence[TimedLine], words: list[str], line_of_word: list[int], picked: list[int]
) -> list[ChangedLine]:
    grouped: dict[int, list[str]] = {}
    for index in picked:  # in word order, so each line's words keep theirs
        grouped.setdefault(line_of_word[index], []).append(words[index])
    changed = [[lines[number][0], lines[number][1], line_words] for number, line_words in grouped.items()]
    # Sorted by start for the lookup (stable: lines starting together keep the transcript's order).
    return sorted(changed, key=lambda line: line[0])


def word_changes(diff: WordDiff, segments: Sequence[dict[str, Any]]) -> WordChanges:
    """Per segment (by its index, as a string for JSON), the changed words said during its span on
    A (`removed`) and on B (`added`): those of the lines that overlap the span (a point span — the
    place where the other video's extra stretch sits — takes the line around it)."""
    removed_lookup, added_lookup = _LineLookup(diff["removed"]), _LineLookup(diff["added"])
    changes: WordChanges = {}
    for number, segment in enumerate(segments):
        removed = removed_lookup.words_between(segment["a_start"], segment["a_end"])
        added = added_lookup.words_between(segment["b_start"], segment["b_end"])
        if removed or added:
            changes[str(number)] = {"removed": removed[:WORDS_SHOWN], "added": added[:WORDS_SHOWN]}
    return changes


class _LineLookup:
    """Lines (sorted by start) that overlap a time span, found by bisection rather than a scan:
    a low threshold can make hundreds of segments over a long transcript."""

    def __init__(self, lines: list[ChangedLine]) -> None:
        self.lines = lines
        self.starts = [float(line[0]) for line in lines]
        # The latest end so far: never decreasing, so the first line that can reach a span's start
        # is found by bisection even when a long line overlaps later ones.
        self.reach: list[float] = []
        latest = float("-inf")
        for line in lines:
            latest = max(latest, float(line[1]))
            self.reach.append(latest)

    def words_between(self, start: float | None, end: float | None) -> list[str]:
        if start is None or end is None:
            return []
        first = bisect.bisect_left(self.reach, start)
        last = bisect.bisect_right(self.starts, end)
        return [
            word
            for line_start, line_end, line_words in self.lines[first:last]
            if line_start <= end and line_end >= start and (line_end > start or start == end)
            for word in line_words
        ]
