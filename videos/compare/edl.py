"""Markers as a CMX 3600 EDL that DaVinci Resolve imports as timeline markers (Timelines > Import >
Timeline Markers from EDL) and OpenTimelineIO, Avid-style conform tools and people read as one.

Each marker is a one-frame event at its timecode (source = record: the markers sit on the timeline's
own time), followed by comment lines, each read by a different tool:

    003  001      V     C        01:00:11:00 01:00:11:01 01:00:11:00 01:00:11:01
     |C:ResolveColorYellow |M:3. Only in B |D:50
    * LOC: 01:00:11:00 YELLOW  3. Only in B
    * COMMENT: 2.0 s of B inserted here (B 00:11.0-00:13.0)

- Resolve reads the line after the event, `<note> |C:ResolveColor<colour> |M:<name> |D:<frames>`, as
  its own marker export writes it: its colour, name and length. The note before the first `|` is
  left empty, as Resolve writes a marker without one: a note there could start with a digit (read as
  an event by every EDL reader) and would make the line longer than CMX 3600's 80 characters.
- OpenTimelineIO's `cmx_3600` adapter, and Avid-style tools, read `* LOC: <timecode> <colour> <name>`
  as a locator: a marker on the event's clip at that timecode, coloured when the word is one of
  OTIO's colours (Avid's eight are). OTIO 0.18's reader matches only `HH:MM:SS:FF`, so at 29.97 and
  59.94 (drop-frame, `HH:MM:SS;FF` like every other timecode in the file) it skips the locators and
  reads the events alone.
- The note is `* COMMENT:` lines, wrapped at a word: a `* ` line can never read as an event, and the
  `COMMENT:` tag keeps a note that starts "LOC", "M2" or "FROM CLIP" from being read as one of those.
  OTIO keeps them in the clip's `cmx_3600` comments; Resolve does not take them into its note.

CMX 3600 as editors' tools write it: ASCII, lines of at most 80 characters ending CRLF, `TITLE:` and
`FCM:` first, at most 999 events. A name is cut to `NAME_LIMIT` characters and a note to `NOTE_LIMIT`
(at a word, ending "..."); CSV, FCPXML, Premiere XML and OTIO carry the whole note."""

from __future__ import annotations

import textwrap

import opentimelineio as otio

from sage.export_text import ascii_text, shortened
from videos.compare.avid_markers import avid_colour
from videos.compare.timecode import TimecodeRate

NAME_LIMIT = 40
NOTE_LIMIT = 120
TITLE_LIMIT = 70
LINE_LIMIT = 80
NOTE_PREFIX = "* COMMENT: "
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


def _marker_lines(marker: otio.schema.Marker, *, timecode: str) -> list[str]:
    """The comment lines under a marker's event: Resolve's, the locator, the note."""
    name = _field(marker.name, NAME_LIMIT)
    colour = RESOLVE_COLOURS.get(marker.color, "Blue")
    duration = max(round(marker.marked_range.duration.value), 1)
    lines = [
        f" |C:ResolveColor{colour} |M:{name} |D:{duration}",
        f"* LOC: {timecode} {avid_colour(marker.color).upper():7} {name}",
    ]
    note = _field(marker.metadata["sage"]["note"], NOTE_LIMIT)
    if note:
        width = LINE_LIMIT - len(NOTE_PREFIX)
        lines += [NOTE_PREFIX + part for part in textwrap.wrap(note, width, break_on_hyphens=False)]
    return lines


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
        # Resolve writes them.
        lines.append(f"{number:03d}  {'001':8} {'V':5} C        {record_in} {record_out} {record_in} {record_out}")
        lines += _marker_lines(marker, timecode=record_in)
        lines.append("")
    return "\r\n".join(lines) + "\r\n"
