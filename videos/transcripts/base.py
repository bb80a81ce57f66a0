"""What every transcript source returns: its lines of timed text (`videos.timed_text.TimedLine`,
the one type for a transcript line) in a `TranscriptResult`, cleaned by `clean_segments` (pure
library code: no models, no DB)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from videos.timed_text.lines import TimedLine, Word

ProgressCallback = Callable[[float], None]

# Two identical consecutive captions this close together are one caption shown twice (rolling
# captions repeat a line as the next one scrolls in); further apart, the words were said twice.
_DUPLICATE_GAP_SECONDS = 1.0
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class TranscriptResult:
    """A transcript from one `source` ("sidecar", "stream", "youtube", "gemini", "whisper").

    `segments` are sorted by start, with non-empty texts and end >= start (see `clean_segments`).
    `low_confidence` marks a transcript that is uncertain as a whole (most of its speech is in
    low-confidence segments); each segment says so for itself too. `other_language`: someone
    speaks, in a language the speech model does not know; `segments` is then empty, since every
    word the model would have written is invented."""

    source: str
    segments: list[TimedLine]
    language: str = ""
    low_confidence: bool = False
    other_language: bool = False

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


class TranscriptError(Exception):
    """A transcript cannot be had. `message` is for the person who owns the video; `code` is a
    short machine code (e.g. "bad_subtitles", "youtube_unreachable")."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines included) turned into one space, and trimmed."""
    return _WHITESPACE.sub(" ", text).strip()


def clean_segments(segments: Iterable[TimedLine], *, duration: float | None = None) -> list[TimedLine]:
    """Segments as every source must return them: text on one line, empty ones and ones with
    non-finite times dropped, times clamped to [0, duration] (a segment starting after the end is
    dropped), end >= start, sorted by start, and identical consecutive texts that follow on within
    a second merged into one segment (rolling captions). Words are clamped like their segment."""
    kept: list[TimedLine] = []
    for segment in segments:
        text = one_line(segment.text)
        if not text or not (math.isfinite(segment.start) and math.isfinite(segment.end)):
            continue
        start = max(0.0, segment.start)
        end = max(start, segment.end)
        if duration is not None:
            if start > duration:
                continue
            end = min(end, duration)
        kept.append(
            TimedLine(
                start=start,
                end=end,
                text=text,
                words=_clamped_words(segment.words, start, end),
                low_confidence=segment.low_confidence,
            )
        )
    kept.sort(key=lambda segment: (segment.start, segment.end))

    merged: list[TimedLine] = []
    for segment in kept:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.text == segment.text
            and segment.start <= previous.end + _DUPLICATE_GAP_SECONDS
        ):
            merged[-1] = replace(previous, end=max(previous.end, segment.end))
        else:
            merged.append(segment)
    return merged


def _clamped_words(words: tuple[Word, ...], start: float, end: float) -> tuple[Word, ...]:
    """Words inside [start, end] (a word's times are clamped to its segment's), non-finite ones dropped."""
    return tuple(
        Word(
            start=min(max(word.start, start), end),
            end=min(max(word.end, start), end),
            text=word.text,
            probability=word.probability,
        )
        for word in words
        if math.isfinite(word.start) and math.isfinite(word.end) and word.text.strip()
    )
