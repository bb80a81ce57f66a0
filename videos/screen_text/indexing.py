"""On-screen lines made searchable: the lines shown together (a slide, a title with its lower third)
are one window of kind `shown`, embedded and stored beside the transcript's windows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from videos.chunks import replace_chunks
from videos.models import TEXT_EMBEDDING_DIM, ScreenTextLine, TranscriptChunk, Video
from videos.text_embedding.model import embed_texts


@dataclass(frozen=True)
class ShownWindow:
    start: float
    end: float
    text: str


def shown_windows(lines: Sequence[ScreenTextLine]) -> list[ShownWindow]:
    """Lines whose times overlap, as one window each, read top to bottom."""
    groups: list[list[ScreenTextLine]] = []
    for line in sorted(lines, key=lambda line: (line.start, line.end)):
        if groups and line.start < max(other.end for other in groups[-1]):
            groups[-1].append(line)
        else:
            groups.append([line])
    return [
        ShownWindow(
            start=min(line.start for line in group),
            end=max(line.end for line in group),
            text=" · ".join(line.text for line in sorted(group, key=lambda line: (line.box or [0, 0])[1])),
        )
        for group in groups
    ]


def index_shown_lines(video: Video) -> None:
    """The video's on-screen lines as `shown` windows, replacing those it had."""
    windows = shown_windows(list(ScreenTextLine.objects.filter(video=video)))
    vectors = embed_texts([window.text for window in windows]) if windows else np.empty((0, TEXT_EMBEDDING_DIM))
    replace_chunks(video, TranscriptChunk.Kind.SHOWN, windows, vectors)
