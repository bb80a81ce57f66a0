"""A comparison's change list with what every reader of it needs: the two videos, their timecode
rates and start frames, and the events as rows (the page, the API and the files read this)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from videos.compare.timecode import TimecodeRate, video_rate, video_start_frame
from videos.conform.changes import ChangeList, change_list
from videos.conform.rows import EventRow, event_rows
from videos.models import Comparison, Video
from videos.review_comments import ExportedComment


@dataclass(frozen=True)
class ChangeSheet:
    comparison: Comparison
    changes: ChangeList
    rows: list[EventRow]
    rate_v1: TimecodeRate
    rate_v2: TimecodeRate
    # Each video's first frame as a timecode frame number (its file's timecode, else one hour).
    start_v1: int
    start_v2: int

    @property
    def video_v1(self) -> Video:
        return self.comparison.video_a

    @property
    def video_v2(self) -> Video:
        return self.comparison.video_b

    @property
    def start_timecode_v1(self) -> str:
        return self.rate_v1.timecode(self.start_v1)

    @property
    def start_timecode_v2(self) -> str:
        return self.rate_v2.timecode(self.start_v2)


def event_comments(sheet: ChangeSheet, comments: list[ExportedComment]) -> dict[int, list[ExportedComment]]:
    """Per event number, the comment threads made on its stretch: a comment on v2 (side "b") whose
    time falls in the event's v2 range, one on v1 in its v1 range (a removal's comments are on v1).
    Comments are made as every comparison comment is, at a time on one side: there is one way to
    comment, and an event shows those made where it is. Replies follow their thread."""
    attached: dict[int, list[ExportedComment]] = {}
    by_thread: dict[int, int] = {}
    for comment in comments:
        if comment.parent_id is not None:
            if comment.parent_id in by_thread:
                attached[by_thread[comment.parent_id]].append(comment)
            continue
        for row in sheet.rows:
            event = row.event
            if comment.side == "b":
                inside = event.v2_start <= Fraction(comment.start) < event.v2_end
            elif comment.side == "a" and event.v1_start is not None and event.v1_end is not None:
                inside = event.v1_start <= Fraction(comment.start) < event.v1_end
            else:
                inside = False
            if inside:
                attached.setdefault(row.number, []).append(comment)
                by_thread[comment.id] = row.number
                break
    return attached


def change_sheet(comparison: Comparison) -> ChangeSheet:
    """The comparison's change list (raises ChangeListUnavailable when it keeps no result)."""
    changes = change_list(comparison)
    rate_v1, rate_v2 = video_rate(comparison.video_a), video_rate(comparison.video_b)
    start_v1, start_v2 = video_start_frame(comparison.video_a), video_start_frame(comparison.video_b)
    rows = event_rows(changes, rate_v1=rate_v1, rate_v2=rate_v2, start_v1=start_v1, start_v2=start_v2)
    return ChangeSheet(comparison, changes, rows, rate_v1, rate_v2, start_v1, start_v2)
