"""Caption cues of a transcript: short enough to read while the words are said.

Broadcast captions show at most two lines of about 42 characters for a few seconds. Where the
recogniser gave word times, the words are regrouped into such cues: a cue ends at a sentence end,
at a pause between words, or before a word that would not fit (then, when it can, after the last
comma in the cue's second half), and starts when its first word starts and ends when its last word
ends. A line without word times (subtitles, captions) keeps its own times and becomes one cue, its
text wrapped onto at most two lines.

Pure library code (no models, no DB).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from videos.timed_text.lines import TimedLine, TimedStream

MAX_LINE_CHARACTERS = 42
MAX_LINES = 2
MAX_CUE_SECONDS = 7.0
# A silence this long between two words ends the cue: the text should not stay up over it.
PAUSE_SECONDS = 0.8
# A sentence end ends the cue once it has been up this long; a shorter one ("Yes.") takes the next
# words with it when they fit, rather than flashing by.
MIN_SENTENCE_CUE_SECONDS = 1.0
# Characters a cue's longer line may gain so that its two lines break after a comma or full stop.
PUNCTUATION_SLACK = 8

_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:–—][\"'”’)\]]*$")
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class Cue:
    """A caption: `lines` (one or two) shown from `start` to `end` seconds."""

    start: float
    end: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Token:
    text: str
    start: float
    end: float


def cues_of(lines: Sequence[TimedLine]) -> list[Cue]:
    """The transcript's cues in time order (see the module doc). Lines with no text are left out,
    and so are lines without word times that have no duration (a player never shows them)."""
    ordered = sorted((line for line in lines if line.text.strip()), key=lambda line: (line.start, line.end))
    cues: list[Cue] = []
    timed_run: list[TimedLine] = []
    for line in ordered:
        if line.words:
            timed_run.append(line)
            continue
        cues += _word_cues(timed_run)
        timed_run = []
        if line.end > line.start:
            cues.append(Cue(line.start, line.end, _given_lines(line.text)))
    return cues + _word_cues(timed_run)


def _word_cues(lines: Sequence[TimedLine]) -> list[Cue]:
    if not lines:
        return []
    stream = TimedStream(lines)
    tokens = [
        _Token(match.group(), stream.time_at(match.start()), stream.time_at(match.end()))
        for match in _TOKEN.finditer(stream.text)
    ]
    return [Cue(cue[0].start, cue[-1].end, _wrapped([token.text for token in cue])) for cue in _grouped(tokens)]


def _grouped(tokens: Sequence[_Token]) -> Iterator[list[_Token]]:
    cue: list[_Token] = []
    for token in tokens:
        if cue and (
            token.start - cue[-1].end >= PAUSE_SECONDS
            or (_SENTENCE_END.search(cue[-1].text) and cue[-1].end - cue[0].start >= MIN_SENTENCE_CUE_SECONDS)
        ):
            yield cue
            cue = []
        while cue and not _fits([*cue, token]):
            kept = _clause_break(cue)
            yield cue[:kept]
            cue = cue[kept:]
        cue.append(token)
    if cue:
        yield cue


def _fits(cue: Sequence[_Token]) -> bool:
    if cue[-1].end - cue[0].start > MAX_CUE_SECONDS:
        return False
    wrapped = _wrapped([token.text for token in cue])
    return len(wrapped) <= MAX_LINES and all(len(line) <= MAX_LINE_CHARACTERS for line in wrapped)


def _clause_break(cue: Sequence[_Token]) -> int:
    """How many of the cue's tokens to show before the rest moves on: up to its last clause end
    (a comma, a semicolon…) in the second half of its text, else all of them."""
    total = len(" ".join(token.text for token in cue))
    characters = 0
    best = len(cue)
    for index, token in enumerate(cue[:-1], start=1):
        characters += len(token.text) + (1 if index > 1 else 0)
        if characters * 2 >= total and _CLAUSE_END.search(token.text):
            best = index
    return best


def _wrapped(words: Sequence[str]) -> tuple[str, ...]:
    """`words` on one line when they fit, else on two: both within MAX_LINE_CHARACTERS when they can
    be, as even as they can be, though a break after punctuation may leave up to PUNCTUATION_SLACK
    characters more on one line. A single word is one line however long it is."""
    text = " ".join(words)
    if len(text) <= MAX_LINE_CHARACTERS or len(words) < 2:
        return (text,)
    best: tuple[tuple[bool, int], int] | None = None
    for split in range(1, len(words)):
        longer = max(len(" ".join(words[:split])), len(" ".join(words[split:])))
        after_punctuation = bool(_SENTENCE_END.search(words[split - 1]) or _CLAUSE_END.search(words[split - 1]))
        score = (longer > MAX_LINE_CHARACTERS, longer - (PUNCTUATION_SLACK if after_punctuation else 0))
        if best is None or score < best[0]:
            best = (score, split)
    assert best is not None
    split = best[1]
    return (" ".join(words[:split]), " ".join(words[split:]))


def _given_lines(text: str) -> tuple[str, ...]:
    """A caption's own lines when there are at most two of a readable length (its author broke
    them there, e.g. one per speaker), else its words on two lines."""
    given = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(given) <= MAX_LINES and all(len(line) <= MAX_LINE_CHARACTERS for line in given):
        return given
    return _wrapped(text.split())
