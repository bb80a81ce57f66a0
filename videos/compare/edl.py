"""Markers as the CMX 3600 EDL DaVinci Resolve writes and reads for timeline markers (Timelines >
Export / Import > Timeline Markers to / from EDL).

Each marker is a one-frame event at its timecode followed by one line, `<note> |C:ResolveColor<colour>
|M:<name> |D:<frames>`: Resolve takes the text before the first `|` as the marker's note (a `* `
comment line would land in the note asterisk and all), `|M:` as its name and `|D:` as its length.
Written here, not by OpenTimelineIO's CMX 3600 adapter: that writes one clip with Avid's `* LOC:`
lines, no `FCM:` line and no drop-frame timecode, which Resolve does not read as markers.

The file is ASCII (CMX 3600 is) and its lines stay under 200 characters: a name of at most `NAME_LIMIT`
characters, a note of at most `NOTE_LIMIT` (cut at a word, ending "..."); CSV and FCPXML carry the
whole note."""

from __future__ import annotations

import opentimelineio as otio

from sage.export_text import ascii_text, shortened
from videos.compare.timecode import TimecodeRate

NAME_LIMIT = 40
NOTE_LIMIT = 120
TITLE_LIMIT = 70
# CMX 3600 numbers events with three digits.
MAX_EVENTS = 999
# OTIO's marker colours as Resolve names its own (Resolve has no orange, magenta, white or black).
RESOLVE_COLOURS = {
    "BLUE": "Blue",
    "CYAN": "Cyan",
    "GREEN": "Green",
    "YELLOW": "Yellow",
    "RED": "Red",
    "PINK": "Pink",
    "PURPLE": "Purple",
    "MAGENTA": "Fuchsia",
    "ORANGE": "Sand",
    "WHITE": "Cream",
    "BLACK": "Cocoa",
}


def _field(text: str, limit: int) -> str:
    # `|` separates Resolve's fields: a person's `|` would start a field of its own.
    return shortened(" ".join(ascii_text(text).replace("|", "/").split()), limit)


def marker_edl(timeline: otio.schema.Timeline, *, rate: TimecodeRate, start_frame: int) -> str:
    """The markers of `timeline`'s one clip (frames at `rate`) as a marker EDL whose first frame is
    timecode `start_frame`. Resolve holds one marker a frame: a marker on a frame an earlier one
    took moves to the next free frame (1/fps later), so none is lost."""
    [clip] = timeline.find_clips()
    lines = [
        f"TITLE: {_field(timeline.name, TITLE_LIMIT)}",
        f"FCM: {'DROP FRAME' if rate.drop_frame else 'NON-DROP FRAME'}",
        "",
    ]
    taken: set[int] = set()
    for number, marker in enumerate(list(clip.markers)[:MAX_EVENTS], start=1):
        frame = start_frame + round(marker.marked_range.start_time.value)
        while frame in taken:
            frame += 1
        taken.add(frame)
        record_in, record_out = rate.timecode(frame), rate.timecode(frame + 1)
        # Event, reel, channel, transition, source in/out, record in/out: CMX 3600's columns, as
        # Resolve writes them (source = record: the markers sit on the timeline's own time).
        lines.append(f"{number:03d}  {'001':8} {'V':5} C        {record_in} {record_out} {record_in} {record_out}")
        note = _field(marker.metadata["sage"]["note"], NOTE_LIMIT)
        colour = RESOLVE_COLOURS.get(marker.color, "Blue")
        duration = max(round(marker.marked_range.duration.value), 1)
        lines.append(f"{note} |C:ResolveColor{colour} |M:{_field(marker.name, NAME_LIMIT)} |D:{duration}")
        lines.append("")
    return "\n".join(lines)
