"""On-screen lines as search and chat read them back: the reader's `ShownLine` made from a stored
row, and the lines shown in given stretches of given videos (one query for all)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import or_

from django.db.models import Q

from videos.models import ScreenTextLine
from videos.screen_text.tracking import ShownLine

# How a `shown` window's lines are joined into its text: a separator no sentence splitter cuts at,
# that reads as "next line" to a person and to the embedding model.
LINE_SEPARATOR = " · "


def shown_line_of(row: ScreenTextLine) -> ShownLine:
    """The stored line as the reader gave it (a row without a box is placed at the top left)."""
    box = [float(value) for value in (row.box or [])][:4]
    left, top, width, height = box + [0.0] * (4 - len(box))
    return ShownLine(
        start=row.start, end=row.end, text=row.text, box=(left, top, width, height), confidence=row.confidence
    )


def shown_lines_around(spans: Sequence[tuple[int, float, float]]) -> list[list[ShownLine]]:
    """For each (video id, low, high), the lines of that video on screen at some time between `low`
    and `high` seconds, in the order they appear: one query for all."""
    if not spans:
        return []
    stretch = reduce(or_, (Q(video_id=video_id, end__gt=low, start__lt=high) for video_id, low, high in spans))
    rows = list(ScreenTextLine.objects.filter(stretch).order_by("video_id", "start", "index"))
    return [
        [shown_line_of(row) for row in rows if row.video_id == video_id and row.end > low and row.start < high]
        for video_id, low, high in spans
    ]
