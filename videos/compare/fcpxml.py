"""Markers as FCPXML 1.8 (Final Cut Pro; Resolve imports it too): OpenTimelineIO's adapter writes the
document, completed here with what the adapter cannot know or gets wrong for us.

The adapter knows frame durations only for a table of rates (not 15, not 30000/1001 as a fraction),
probes the media file for the format's name (it is not on this machine), marks every asset silent,
leaves the project's `uid` empty and writes no marker `note` (Final Cut shows it under the name).
Tests validate the result against Apple's FCPXML 1.8 DTD."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree
from fractions import Fraction

import opentimelineio as otio

from videos.compare.timecode import TimecodeRate
from videos.models import Video

FCPXML_VERSION = "1.8"
# A project's uid follows from its timeline's name (which names the comparison and the side): a second
# export of the same markers is the same project to Final Cut, which offers to replace it.
_UID_NAMESPACE = uuid.UUID("6f1c3b0e-52a4-4c1e-9a57-3e0d7c1f2b45")


def fcpxml_time(seconds: Fraction) -> str:
    """A time as FCPXML writes one: a rational number of seconds ("1001/30000s", "3600s")."""
    if seconds.denominator == 1:
        return f"{seconds.numerator}s"
    return f"{seconds.numerator}/{seconds.denominator}s"


def format_name(video: Video, rate: TimecodeRate) -> str:
    """Final Cut's name for a video format, e.g. FFVideoFormat1080p25, FFVideoFormat720p2997,
    FFVideoFormat3840x2160p2398 (size and rate; Final Cut shows it and matches it to its presets)."""
    rate_name = str(rate.fps.numerator) if rate.fps.denominator == 1 else f"{float(rate.fps):.2f}".replace(".", "")
    if not (video.width and video.height):
        return "FFVideoFormatRateUndefined"
    if (video.width, video.height) in ((1920, 1080), (1280, 720)):
        return f"FFVideoFormat{video.height}p{rate_name}"
    return f"FFVideoFormat{video.width}x{video.height}p{rate_name}"


def project_uid(name: str) -> str:
    return str(uuid.uuid5(_UID_NAMESPACE, name)).upper()


def marker_fcpxml(timeline: otio.schema.Timeline, *, video: Video, rate: TimecodeRate, start_frame: int) -> str:
    """`timeline` (one clip of `video`, its markers at `rate`) as FCPXML whose timeline starts at
    timecode `start_frame`."""
    timeline.metadata["fcpx"] = {"uid": project_uid(timeline.name)}
    written = otio.adapters.write_to_string(timeline, "fcpx_xml")
    document = ElementTree.fromstring(written)  # noqa: S314 -- the adapter's output from our own data
    for media_format in document.iter("format"):
        media_format.set("frameDuration", fcpxml_time(rate.frame_duration))
        media_format.set("name", format_name(video, rate))
        if video.width and video.height:
            media_format.set("width", str(video.width))
            media_format.set("height", str(video.height))
    for asset in document.iter("asset"):
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
