"""The change list as people and files read it: each event's timecodes on v1 and v2 (each video's own
rate and start timecode, drop-frame at 29.97 and 59.94), its length in frames and the running offset."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from videos.compare.timecode import TimecodeRate
from videos.conform.changes import ChangeList
from videos.conform.events import ChangeEvent, EventKind

KIND_LABELS: dict[EventKind, str] = {
    "kept": "Kept",
    "removed": "Removed",
    "inserted": "Inserted",
    "moved": "Moved",
    "replaced": "Replaced",
    "trimmed_head": "Trimmed at head",
    "trimmed_tail": "Trimmed at tail",
    "speed": "Speed changed",
}


@dataclass(frozen=True)
class EventRow:
    """One event as the page, the API and the files show it. Frames count from each video's first
    frame (0); timecodes add the video's start timecode. v1's side is "" / None for an insertion,
    v2's in and out are one point for a removal. `frames`: the event's length, on v2 (on v1 for
    what v2 no longer has)."""

    event: ChangeEvent
    label: str
    v1_in: str
    v1_out: str
    v2_in: str
    v2_out: str
    v1_frame_in: int | None
    v1_frame_out: int | None
    v2_frame_in: int
    v2_frame_out: int
    frames: int
    offset: int

    @property
    def number(self) -> int:
        return self.event.number

    @property
    def kind(self) -> EventKind:
        return self.event.kind


def _frame(seconds: Fraction, rate: Fraction) -> int:
    # Event edges are frame edges (frame / rate): the product is whole.
    return round(seconds * rate)


def event_rows(
    changes: ChangeList, *, rate_v1: TimecodeRate, rate_v2: TimecodeRate, start_v1: int, start_v2: int
) -> list[EventRow]:
    """Each event with its timecodes: `start_v1`/`start_v2` are each video's first frame as a
    timecode frame number (videos.compare.timecode.video_start_frame)."""
    rows = []
    for event, offset in zip(changes.events, changes.offsets, strict=True):
        v2_in, v2_out = _frame(event.v2_start, changes.rate_v2), _frame(event.v2_end, changes.rate_v2)
        v1_in = v1_out = None
        if event.v1_start is not None and event.v1_end is not None:
            v1_in, v1_out = _frame(event.v1_start, changes.rate_v1), _frame(event.v1_end, changes.rate_v1)
        gone = event.kind in ("removed", "trimmed_head", "trimmed_tail")
        rows.append(
            EventRow(
                event=event,
                label=KIND_LABELS[event.kind],
                v1_in="" if v1_in is None else rate_v1.timecode(start_v1 + v1_in),
                v1_out="" if v1_out is None else rate_v1.timecode(start_v1 + v1_out),
                v2_in=rate_v2.timecode(start_v2 + v2_in),
                v2_out=rate_v2.timecode(start_v2 + v2_out),
                v1_frame_in=v1_in,
                v1_frame_out=v1_out,
                v2_frame_in=v2_in,
                v2_frame_out=v2_out,
                frames=(v1_out or 0) - (v1_in or 0) if gone else v2_out - v2_in,
                offset=offset,
            )
        )
    return rows
