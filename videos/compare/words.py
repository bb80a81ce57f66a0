"""What changed in the words of two transcripts, diffed once and looked up per segment.

A comparison diffs the two transcripts' words once, when it is built (`transcript_word_diff`), and
keeps the words each side has that the other does not, as runs of contiguous words, each with the
times of the transcript line it was said in. A segment's word changes are then a lookup by time
(`word_changes`): judging at another threshold reads no transcript and diffs nothing again.

The page shows a segment's changes as quotes ("A says …"), so they are the words as said: runs of
changed words only a word or two apart are one run with those words in it (a word both happen to
say inside a replaced sentence is not a reason to cut the quote), and where words are left out
between two runs, or after the last one shown, the list has an ELLIPSIS in their place.

Pure functions over plain data (no models, no database); the stored shape is JSON:
`{"removed": [[start, end, [word, …], first], …], "added": […]}` — removed: words only A says,
added: words only B says; `first`: where the run's first word is in its transcript's words (rows
made before it was kept have none); runs in order of their line's start.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Sequence
from typing import Any, TypeAlias

from videos.text_search.words import plain_words

# Words shown per side of a changed segment: enough to read the change, bounded for the page.
WORDS_SHOWN = 40
# Unchanged words between two changed runs that are quoted with them rather than left out.
BRIDGED_WORDS = 2
# Stands for words left out of a quote, as an item of the word list.
ELLIPSIS = "…"
# Findings that say B's sound is A's, only heard at another time (late, at another speed, or in
# another place): whatever the two transcripts' words differ by there is the speech recogniser
# hearing the same speech a little shifted ("wager" / "water"), not a change to quote.
SAME_SOUND_KINDS = frozenset({"av_sync", "speed", "moved"})

TimedLine: TypeAlias = tuple[float, float, str]  # a transcript line: start, end (seconds), text
ChangedLine: TypeAlias = list[Any]  # [start, end, [word, …], first]: a run of changed words in one line
WordDiff: TypeAlias = dict[str, list[ChangedLine]]  # {"removed": […], "added": […]}
WordChanges: TypeAlias = dict[str, dict[str, list[str]]]  # per segment index: {"removed", "added"}


def no_word_diff() -> WordDiff:
    return {"removed": [], "added": []}


def transcript_word_diff(lines_a: Sequence[TimedLine], lines_b: Sequence[TimedLine]) -> WordDiff:
    """The words only A says and the words only B says, from one aligned diff of the two
    transcripts' words, case and punctuation aside (the recogniser puts a comma after "sunrise" in
    one and not the other when the speech is heard 0.15 s apart). Nothing when either video has no
    transcript: a missing transcript is not a change of words."""
    if not lines_a or not lines_b:
        return no_word_diff()
    words_a, line_of_a = _words(lines_a)
    words_b, line_of_b = _words(lines_b)
    only_in_a: list[int] = []
    only_in_b: list[int] = []
    # difflib's autojunk stays on: words as common as "the" do not seed matches (they still join
    # the matches around them), which keeps a diff of two 3-hour transcripts under a second.
    matcher = difflib.SequenceMatcher(
        a=[plain_words(word) for word in words_a], b=[plain_words(word) for word in words_b]
    )
    for tag, a_from, a_to, b_from, b_to in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            only_in_a.extend(range(a_from, a_to))
        if tag in ("insert", "replace"):
            only_in_b.extend(range(b_from, b_to))
    return {
        "removed": _changed_runs(lines_a, words_a, line_of_a, only_in_a),
        "added": _changed_runs(lines_b, words_b, line_of_b, only_in_b),
    }


def _words(lines: Sequence[TimedLine]) -> tuple[list[str], list[int]]:
    words: list[str] = []
    line_of_word: list[int] = []
    for number, (_, _, text) in enumerate(lines):
        split = text.split()
        words.extend(split)
        line_of_word.extend([number] * len(split))
    return words, line_of_word


def _changed_runs(
    lines: Sequence[TimedLine], words: list[str], line_of_word: list[int], picked: list[int]
) -> list[ChangedLine]:
    """The picked words (in word order) as runs of contiguous words, each within one line, with
    gaps of up to BRIDGED_WORDS unchanged words filled in."""
    runs: list[list[int]] = []  # [first, last] word indexes
    for index in picked:
        if runs and index - runs[-1][1] - 1 <= BRIDGED_WORDS:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    changed: list[ChangedLine] = []
    for first, last in runs:
        run_first = first
        for index in range(first, last + 1):
            if index == last or line_of_word[index + 1] != line_of_word[index]:
                start, end, _ = lines[line_of_word[index]]
                changed.append([start, end, words[run_first : index + 1], run_first])
                run_first = index + 1
    # Sorted by start for the lookup (stable: lines starting together keep the transcript's order).
    return sorted(changed, key=lambda line: line[0])


def quoted(words: Sequence[str], limit: int) -> list[str]:
    """At most `limit` of `words` (a quote's words, ELLIPSIS included), with an ELLIPSIS for the
    words that are left out after them."""
    if len(words) <= limit:
        return list(words)
    kept = list(words[:limit])
    while kept and kept[-1] == ELLIPSIS:
        kept.pop()
    return [*kept, ELLIPSIS]


def word_changes(diff: WordDiff, segments: Sequence[dict[str, Any]]) -> WordChanges:
    """Per segment (by its index, as a string for JSON), the changed words said during its span on
    A (`removed`) and on B (`added`): those of the lines that overlap the span (a point span — the
    place where the other video's extra stretch sits — takes the line around it). Findings of
    SAME_SOUND_KINDS quote nothing."""
    removed_lookup, added_lookup = _LineLookup(diff["removed"]), _LineLookup(diff["added"])
    changes: WordChanges = {}
    for number, segment in enumerate(segments):
        if segment.get("kind") in SAME_SOUND_KINDS:
            continue
        removed = removed_lookup.words_between(segment["a_start"], segment["a_end"])
        added = added_lookup.words_between(segment["b_start"], segment["b_end"])
        if removed or added:
            changes[str(number)] = {"removed": quoted(removed, WORDS_SHOWN), "added": quoted(added, WORDS_SHOWN)}
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
        """The changed words said in lines that overlap start..end, an ELLIPSIS between two runs
        that are not next to each other in the transcript."""
        if start is None or end is None:
            return []
        first = bisect.bisect_left(self.reach, start)
        last = bisect.bisect_right(self.starts, end)
        words: list[str] = []
        follows: int | None = None  # the index of the word after the last run taken
        for line_start, line_end, line_words, *rest in self.lines[first:last]:
            if not (line_start <= end and line_end >= start and (line_end > start or start == end)):
                continue
            run_first = rest[0] if rest else None
            if words and (run_first is None or run_first != follows):
                words.append(ELLIPSIS)
            words += line_words
            follows = None if run_first is None else run_first + len(line_words)
        return words
