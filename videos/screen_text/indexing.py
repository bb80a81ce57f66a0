"""On-screen lines made searchable: the lines shown together (a slide, a title with its lower third)
are one window of kind `shown`, embedded and stored beside the transcript's windows.

Three rules shape the windows, so that a search finds a slide as a student remembers it:
- lines on screen at the same time are one window (a slide's title and its bullets, however they
  appear one after another);
- a line that stays while what is around it changes (a logo, a course title, a speaker's name over
  several slides) is a window of its own, once, instead of a part of every slide's window (where it
  would also chain every slide into one);
- the same text read again after a gap with nothing else shown in it (the reader lost it for a few
  frames) is the same line; shown again after something else, it is a new window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from videos.chunks import replace_chunks
from videos.models import TEXT_EMBEDDING_DIM, ScreenTextLine, TranscriptChunk, Video
from videos.screen_text.lines import LINE_SEPARATOR, shown_line_of
from videos.screen_text.tracking import ShownLine
from videos.text_embedding.model import embed_texts
from videos.text_search.words import plain_words
from videos.window_sentences import embed_window_sentences, shown_window_sentences


@dataclass(frozen=True)
class ShownWindow:
    start: float
    end: float
    text: str


def merged_repeats(lines: Sequence[ShownLine]) -> list[ShownLine]:
    """The lines, in time order, with a line read again after a gap in which no other text appeared
    joined to its first reading (one line from its first start to its last end)."""
    ordered = sorted(lines, key=lambda line: (line.start, line.end))
    merged: list[ShownLine] = []
    for line in ordered:
        key = plain_words(line.text)
        if not key:
            continue
        earlier = next((i for i in range(len(merged) - 1, -1, -1) if plain_words(merged[i].text) == key), None)
        if earlier is not None:
            kept = merged[earlier]
            # Something else started while this text was away (or right as it came back): a new showing.
            others_between = any(
                plain_words(other.text) != key and kept.end <= other.start <= line.start for other in ordered
            )
            if line.start <= kept.end or not others_between:
                merged[earlier] = replace(kept, end=max(kept.end, line.end))
                continue
        merged.append(line)
    return sorted(merged, key=lambda line: (line.start, line.end))


def standing_lines(lines: Sequence[ShownLine]) -> set[int]:
    """Indexes of the lines that stay on screen while what is shown beside them changes: two other
    lines each share time with it but not with each other (one is gone before the other comes)."""
    standing: set[int] = set()
    for index, line in enumerate(lines):
        beside = [other for other_index, other in enumerate(lines) if other_index != index and _overlap(line, other)]
        if beside and min(other.end for other in beside) <= max(other.start for other in beside):
            standing.add(index)
    return standing


def _overlap(one: ShownLine, other: ShownLine) -> bool:
    return one.start < other.end and other.start < one.end


def shown_windows(lines: Sequence[ShownLine]) -> list[ShownWindow]:
    """The windows of `lines` (see the module doc), in time order; each window's lines read top to
    bottom, left to right."""
    merged = merged_repeats(lines)
    standing = standing_lines(merged)
    groups: list[list[ShownLine]] = [[merged[index]] for index in sorted(standing)]
    together: list[list[ShownLine]] = []
    for index, line in enumerate(merged):
        if index in standing:
            continue
        if together and line.start < max(other.end for other in together[-1]):
            together[-1].append(line)
        else:
            together.append([line])
    groups += together
    windows = [
        ShownWindow(
            start=min(line.start for line in group),
            end=max(line.end for line in group),
            text=LINE_SEPARATOR.join(line.text for line in sorted(group, key=lambda line: (line.box[1], line.box[0]))),
        )
        for group in groups
    ]
    return sorted(windows, key=lambda window: (window.start, window.end))


def index_shown_lines(video: Video) -> None:
    """The video's on-screen lines as `shown` windows, replacing those it had, with the lines each
    window quotes (embedded now rather than at every question)."""
    lines = [shown_line_of(row) for row in ScreenTextLine.objects.filter(video=video).order_by("start", "index")]
    windows = shown_windows(lines)
    vectors = embed_texts([window.text for window in windows]) if windows else np.empty((0, TEXT_EMBEDDING_DIM))
    sentences = shown_window_sentences(windows, lines)
    replace_chunks(
        video,
        TranscriptChunk.Kind.SHOWN,
        windows,
        vectors,
        sentences=sentences,
        sentence_vectors=embed_window_sentences(sentences),
    )
