"""Recognised words as a transcript line stores them (`TranscriptSegment.words`): a compact JSON
list, `[[start, end, "word", probability], ...]`, seconds and probability rounded to 0.01. About a
quarter of the size of a list of objects, for some ten thousand words an hour."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from videos.timed_text import Word


def pack_words(words: Iterable[Word]) -> list[list[Any]] | None:
    """The stored form of `words`; None when there are none (subtitles and captions have no words)."""
    packed = [[round(word.start, 2), round(word.end, 2), word.text, round(word.probability, 2)] for word in words]
    return packed or None


def unpack_words(stored: Any) -> tuple[Word, ...]:
    """`TranscriptSegment.words` read back; () for a line without words (or a malformed value)."""
    if not isinstance(stored, list):
        return ()
    words = []
    for item in stored:
        if isinstance(item, list) and len(item) == 4:
            start, end, text, probability = item
            words.append(Word(start=float(start), end=float(end), text=str(text), probability=float(probability)))
    return tuple(words)
