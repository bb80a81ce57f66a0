"""Markers as the tab-separated text Avid Media Composer's Markers window imports (Markers window >
Fast menu > Import Markers) and exports.

One line per marker, six fields separated by tabs, each line ending CRLF:

    <user>\\t<timecode>\\t<track>\\t<colour>\\t<comment>\\t<duration in frames>

`user` is who made the marker (here "SAGE"), `timecode` the marker's frame on the sequence's timecode
(drop-frame `HH:MM:SS;FF` at 29.97 and 59.94, as Media Composer writes it), `track` the track it sits
on (V1: the video is the sequence's one video track), `colour` one of Avid's eight marker colours in
lower case, `comment` the marker's name and note on one line, `duration` its length in frames (1 for
a point). Media Composer places each marker at its timecode on the sequence open when importing, so
the sequence must start at the same timecode as the file (`start_timecode`). No header line: Media
Composer reads every line as a marker. UTF-8 without a byte order mark (the mark would be read as part
of the first user name); tabs and line breaks in people's text are already spaces (`TimedMarker`)."""

from __future__ import annotations

import opentimelineio as otio

from videos.compare.timecode import TimecodeRate

AVID_USER = "SAGE"
AVID_TRACK = "V1"
# OTIO's marker colours in Avid's eight (red, green, blue, cyan, magenta, yellow, black, white); the
# EDL's `* LOC:` lines use them too, in capitals, as Avid writes locators. Orange (reviewers' comments)
# takes green, which no kind of difference uses; pink (only in A) takes red.
AVID_COLOURS = {
    "RED": "red",
    "GREEN": "green",
    "BLUE": "blue",
    "CYAN": "cyan",
    "MAGENTA": "magenta",
    "YELLOW": "yellow",
    "BLACK": "black",
    "WHITE": "white",
    "PURPLE": "magenta",
    "PINK": "red",
    "ORANGE": "green",
}


def avid_colour(otio_colour: str) -> str:
    return AVID_COLOURS.get(otio_colour, "blue")


def marker_avid_text(timeline: otio.schema.Timeline, *, rate: TimecodeRate, start_frame: int) -> str:
    """The markers of `timeline`'s one clip (frames at `rate`) as Avid marker text, the clip's first
    frame at timecode `start_frame`."""
    [clip] = timeline.find_clips()
    lines = []
    for marker in clip.markers:
        start = round(marker.marked_range.start_time.value)
        duration = max(round(marker.marked_range.duration.value), 1)
        note = marker.metadata["sage"]["note"]
        comment = f"{marker.name}: {note}" if note else marker.name
        fields = [
            AVID_USER,
            rate.timecode(start_frame + start),
            AVID_TRACK,
            avid_colour(marker.color),
            comment,
            str(duration),
        ]
        lines.append("\t".join(fields) + "\r\n")
    return "".join(lines)
