"""Sentences of a transcript, each with the time its first word starts and its last word ends.

Sentences are found in the lines' joined text (captions cut them anywhere) and take their times from
the stream (word times where the recogniser gave them). Captions without punctuation make one
endless "sentence": one longer than `max_seconds` and LONG_SENTENCE_WORDS words is cut between
words into pieces of about `piece_seconds`, so a citation or a note never has to quote a monologue
(a short sentence said slowly, or timed loosely by its caption, stays whole).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from videos.timed_text.lines import TimedLine, TimedStream

# What a sentence may last before it is cut at words (for citations and notes; windows, which only
# group sentences, keep longer ones whole), and the pieces it is then cut into.
MAX_SENTENCE_SECONDS = 20.0
PIECE_SECONDS = 10.0
LONG_SENTENCE_WORDS = 30

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


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences in `text`, without surrounding spaces. A full
    stop followed by a lower-case letter ("e.g. this") does not end a sentence."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        following = text[match.end() : match.end() + 1]
        if following.islower():
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
    for first, last in split_sentences(stream.text):
        start, end = stream.time_at(first), stream.time_at(last)
        if end - start <= max_seconds or len(_WORD.findall(stream.text, first, last)) <= LONG_SENTENCE_WORDS:
            sentences.append(Sentence(start, end, stream.text[first:last], stream.low_confidence(first, last)))
        else:
            sentences.extend(_word_pieces(stream, first, last, piece_seconds=piece_seconds))
    return sentences


def _word_pieces(stream: TimedStream, first: int, last: int, *, piece_seconds: float) -> list[Sentence]:
    """An overlong sentence cut between words into pieces lasting at most `piece_seconds` (a piece
    is at least one word)."""
    pieces: list[Sentence] = []
    words: list[str] = []
    piece_first = piece_last = first
    piece_start = piece_end = 0.0
    for match in _WORD.finditer(stream.text, first, last):
        start, end = stream.time_at(match.start()), stream.time_at(match.end())
        if words and end - piece_start > piece_seconds:
            pieces.append(
                Sentence(piece_start, piece_end, " ".join(words), stream.low_confidence(piece_first, piece_last))
            )
            words = []
        if not words:
            piece_start, piece_first = start, match.start()
        words.append(match.group())
        piece_end, piece_last = end, match.end()
    if words:
        pieces.append(Sentence(piece_start, piece_end, " ".join(words), stream.low_confidence(piece_first, piece_last)))
    return pieces
