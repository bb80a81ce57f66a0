"""Sentences of a transcript, each with the time its first word starts and its last word ends.

Sentences are found in the lines' joined text (captions cut them anywhere) and take their times from
the stream (word times where the recogniser gave them). Captions without punctuation make one
endless "sentence": one longer than `max_seconds` and LONG_SENTENCE_WORDS words is cut between
words, at the likeliest pauses, into pieces of at most `piece_seconds`, so a citation or a note never
has to quote a monologue (a short sentence said slowly, or timed loosely by its caption, stays whole).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from videos.timed_text.lines import TimedLine, TimedStream

# What a sentence may last before it is cut at words (for citations and notes; windows, which only
# group sentences, keep longer ones whole), and the pieces it is then cut into.
MAX_SENTENCE_SECONDS = 20.0
PIECE_SECONDS = 10.0
LONG_SENTENCE_WORDS = 30
# Pauses this close to the likeliest are as likely: of those, the cut nearest a stretch's middle.
PAUSE_TOLERANCE_SECONDS = 0.05

# Terminal punctuation (with closing quotes or brackets) followed by space. CJK full stops need no space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+|[。！？]+[\"'”’)\]]*\s*")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Sentence:
    """A sentence (or a piece of an overlong one): `text` said from `start` to `end` seconds.
    `low_confidence`: part of it comes from a line the recogniser was unsure of."""

    start: float
    end: float
    text: str
    low_confidence: bool = False


def split_sentences(text: str, *, line_starts: Collection[int] = ()) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences in `text`, without surrounding spaces. A full
    stop followed by a lower-case letter ("e.g. this") does not end a sentence, unless a new line
    starts there (`line_starts`, character positions): the recogniser starts a line where it heard a
    pause, and often leaves a long line unpunctuated and uncapitalised ("…running lava." then
    "explosive eruptions throw ash…"), which would otherwise be glued to the sentence before."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        following = text[match.end() : match.end() + 1]
        if following.islower() and match.end() not in line_starts:
            continue
        spans.append((begin, match.end()))
        begin = match.end()
    spans.append((begin, len(text)))
    trimmed = []
    for start, end in spans:
        piece = text[start:end]
        stripped_start = start + len(piece) - len(piece.lstrip())
        stripped_end = end - (len(piece) - len(piece.rstrip()))
        if stripped_end > stripped_start:
            trimmed.append((stripped_start, stripped_end))
    return trimmed


def sentences_of(
    lines: Sequence[TimedLine], *, max_seconds: float = MAX_SENTENCE_SECONDS, piece_seconds: float = PIECE_SECONDS
) -> list[Sentence]:
    """The sentences said in `lines`, in order (see the module doc). No text, no sentences."""
    stream = TimedStream(lines)
    if not stream.text:
        return []
    sentences: list[Sentence] = []
    for first, last in split_sentences(stream.text, line_starts=stream.line_starts):
        start, end = stream.time_at(first), stream.time_at(last)
        if end - start <= max_seconds or len(_WORD.findall(stream.text, first, last)) <= LONG_SENTENCE_WORDS:
            sentences.append(Sentence(start, end, stream.text[first:last], stream.low_confidence(first, last)))
        else:
            sentences.extend(_word_pieces(stream, first, last, piece_seconds=piece_seconds))
    return sentences


@dataclass(frozen=True)
class _SaidWord:
    first: int  # character positions in the stream's text
    last: int
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def _word_pieces(stream: TimedStream, first: int, last: int, *, piece_seconds: float) -> list[Sentence]:
    """An overlong sentence cut between words into pieces lasting at most `piece_seconds` (a piece
    is at least one word), each cut where a pause was most likely heard (`_pause_between`), so a
    piece tends to start where the speaker started a thought, not at whichever word the clock
    reached (a citation would then start up to a piece early)."""
    words = [
        _SaidWord(match.start(), match.end(), stream.time_at(match.start()), stream.time_at(match.end()))
        for match in _WORD.finditer(stream.text, first, last)
    ]
    # Seconds a character takes, as this stretch is said: the typical word's pace.
    pace = statistics.median(word.seconds / len(stream.text[word.first : word.last]) for word in words)
    pieces: list[Sentence] = []
    for low, high in _cut_at_pauses(words, 0, len(words), pace=pace, piece_seconds=piece_seconds):
        piece_first, piece_last = words[low].first, words[high - 1].last
        pieces.append(
            Sentence(
                words[low].start,
                words[high - 1].end,
                " ".join(stream.text[word.first : word.last] for word in words[low:high]),
                stream.low_confidence(piece_first, piece_last),
            )
        )
    return pieces


def _cut_at_pauses(
    words: Sequence[_SaidWord], low: int, high: int, *, pace: float, piece_seconds: float
) -> list[tuple[int, int]]:
    """words[low:high] as (low, high) pieces of at most `piece_seconds`, in order: a stretch too
    long is cut where the likeliest pause is that leaves at least a quarter of a piece on each side
    (anywhere, when none does; the one nearest the middle, of pauses as likely), then each side
    likewise (a stack, not recursion: an hour without a full stop may be cut a thousand times)."""
    pieces: list[tuple[int, int]] = []
    stretches = [(low, high)]
    while stretches:
        low, high = stretches.pop()
        if high - low <= 1 or words[high - 1].end - words[low].start <= piece_seconds:
            pieces.append((low, high))
            continue
        shortest = piece_seconds / 4
        cuts = range(low + 1, high)
        roomy = [
            cut
            for cut in cuts
            if words[cut].start - words[low].start >= shortest and words[high - 1].end - words[cut].start >= shortest
        ]
        pauses = {cut: _pause_between(words[cut - 1], words[cut], pace=pace) for cut in roomy or cuts}
        likeliest = max(pauses.values())
        middle = (words[low].start + words[high - 1].end) / 2
        cut = min(
            (cut for cut, pause in pauses.items() if pause >= likeliest - PAUSE_TOLERANCE_SECONDS),
            key=lambda cut: abs(words[cut].start - middle),
        )
        stretches += [(cut, high), (low, cut)]  # the earlier side on top: taken first
    return pieces


def _pause_between(before: _SaidWord, after: _SaidWord, *, pace: float) -> float:
    """Seconds of silence likely heard between two words: the gap between their times, and what
    either word lasts beyond what its letters need at the stretch's pace. A recogniser's word times
    often have no gaps: a pause is given to the word before it or the word after it."""
    return (
        max(0.0, after.start - before.end)
        + max(0.0, before.seconds - pace * (before.last - before.first))
        + max(0.0, after.seconds - pace * (after.last - after.first))
    )
