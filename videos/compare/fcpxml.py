"""Markers as FCPXML 1.8 (Final Cut Pro; Resolve imports it too): OpenTimelineIO's adapter writes the
document, completed here with what the adapter cannot know or gets wrong for us.

The adapter knows frame durations only for a table of rates (not 15, not 30000/1001 as a fraction),
probes the media file for the format's name (it is not on this machine), marks every asset silent,
leaves the project's `uid` empty, writes no marker `note` (Final Cut shows it under the name) and
copies the clip's URL into `src`, where Final Cut needs a `file:` URL.
Tests validate the result against Apple's FCPXML 1.8 DTD."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree
from fractions import Fraction
from urllib.parse import quote

import opentimelineio as otio

from videos.compare.timecode import TimecodeRate
from videos.models import Video

FCPXML_VERSION = "1.8"
# The sizes and rates Final Cut has named formats for (its project settings' presets).
FORMAT_SIZES = {
    (1920, 1080): "1080",
    (1280, 720): "720",
    (3840, 2160): "3840x2160",
    (4096, 2160): "4096x2160",
    (2048, 1080): "2048x1080",
}
FORMAT_RATES = {
    Fraction(24000, 1001): "2398",
    Fraction(24): "24",
    Fraction(25): "25",
    Fraction(30000, 1001): "2997",
    Fraction(30): "30",
    Fraction(50): "50",
    Fraction(60000, 1001): "5994",
    Fraction(60): "60",
}
# A project's uid follows from its timeline's name (which names the comparison and the side): a second
# export of the same markers is the same project to Final Cut, which offers to replace it.
_UID_NAMESPACE = uuid.UUID("6f1c3b0e-52a4-4c1e-9a57-3e0d7c1f2b45")


def fcpxml_time(seconds: Fraction) -> str:
    """A time as FCPXML writes one: a rational number of seconds ("1001/30000s", "3600s")."""
    if seconds.denominator == 1:
        return f"{seconds.numerator}s"
    return f"{seconds.numerator}/{seconds.denominator}s"


def format_name(video: Video, rate: TimecodeRate) -> str | None:
    """Final Cut's name for a video format it knows: a size it has presets for (1080, 720,
    3840x2160, 4096x2160, 2048x1080) at a rate it edits at (23.98, 24, 25, 29.97, 30, 50, 59.94,
    60), e.g. FFVideoFormat1080p25, FFVideoFormat720p2997, FFVideoFormat3840x2160p2398. Any other
    size or rate (640x360, 15 fps) is a custom format to Final Cut, which it writes with no name,
    described by its frame duration, width and height alone: None then (a name it does not know,
    such as FFVideoFormat640x360p2997, is not one of its formats)."""
    rate_name = FORMAT_RATES.get(rate.fps)
    size_name = FORMAT_SIZES.get((video.width or 0, video.height or 0))
    if rate_name is None or size_name is None:
        return None
    return f"FFVideoFormat{size_name}p{rate_name}"


def file_url(file_name: str) -> str:
    """The media file as FCPXML's `src` needs it, a `file:` URL: relative (`file:./<name>`,
    URL-encoded), since SAGE does not know where the editor keeps the file; Final Cut marks the clip
    missing and relinks it by that name (File > Relink Files)."""
    return f"file:./{quote(file_name)}"


def project_uid(name: str) -> str:
    return str(uuid.uuid5(_UID_NAMESPACE, name)).upper()


def marker_fcpxml(
    timeline: otio.schema.Timeline, *, video: Video, file_name: str, rate: TimecodeRate, start_frame: int
) -> str:
    """`timeline` (one clip of `video`, its markers at `rate`) as FCPXML whose timeline starts at
    timecode `start_frame`; its asset is the file called `file_name`."""
    timeline.metadata["fcpx"] = {"uid": project_uid(timeline.name)}
    written = otio.adapters.write_to_string(timeline, "fcpx_xml")
    document = ElementTree.fromstring(written)  # noqa: S314 -- the adapter's output from our own data
    for media_format in document.iter("format"):
        media_format.set("frameDuration", fcpxml_time(rate.frame_duration))
        name = format_name(video, rate)
        if name is None:
            media_format.attrib.pop("name", None)
        else:
            media_format.set("name", name)
        if video.width and video.height:
            media_format.set("width", str(video.width))
            media_format.set("height", str(video.height))
    for asset in document.iter("asset"):
        asset.set("src", file_url(file_name))
        asset.set("hasVideo", "1")
        asset.set("hasAudio", "1" if video.has_audio else "0")
        if video.has_audio:
            asset.set("audioSources", "1")
    start = fcpxml_time(start_frame * rate.frame_duration)
    for sequence in document.iter("sequence"):
        # A sequence's own time starts at its timecode (as Resolve and Final Cut write theirs): the
        # clip's offset moves with it, its markers (in the clip's time) stay on their frames.
        sequence.set("tcStart", start)
        sequence.set("tcFormat", "DF" if rate.drop_frame else "NDF")
        for spine in sequence.iter("spine"):
            for item in spine:  # the one clip: the whole video
                item.set("offset", start)
    [clip] = timeline.find_clips()
    for element, marker in zip(document.iter("marker"), clip.markers, strict=True):
        element.set("note", marker.metadata["sage"]["note"])
    ElementTree.indent(document, space="    ")
    body = ElementTree.tostring(document, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n{body}\n'
