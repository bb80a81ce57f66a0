"""Markers as Final Cut Pro 7 XML (xmeml), the XML Adobe Premiere Pro imports (File > Import) and
writes (File > Export > Final Cut Pro XML); Resolve and Avid's tools read it too.

OpenTimelineIO's `fcp_xml` adapter writes the document: a project holding one sequence, its one
video track holding the video as one clip. Completed here with what Premiere needs that the adapter
leaves out or cannot know:

- Sequence markers (`<sequence><marker>`, the markers Premiere shows on its timeline ruler and in the
  Markers panel), each with `<name>`, `<comment>` (the note), `<in>` and `<out>` in the sequence's
  frames, and `<pproColor>`, the colour as Premiere's own exports write it (an ARGB integer; green,
  Premiere's default, is written as no tag).
- `<rate>`: `<timebase>` the whole frames a second and `<ntsc>TRUE` for 23.976, 29.97 and 59.94 (the
  adapter gets these right); the sequence's `<timecode>` at `start_timecode` with
  `<displayformat>DF</displayformat>` at 29.97 and 59.94 (the adapter writes NDF unless told, and
  cannot count timecode at rates SMPTE does not list, 15 fps: there the document is written at a
  stand-in rate and every rate and timecode put right after).
- The sequence's frame size (`<format><samplecharacteristics>`), the file's name and its `file:` URL
  (relative: Premiere shows it offline and relinks it by name), and no audio for a silent video."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import opentimelineio as otio

from videos.compare.fcpxml import file_url
from videos.compare.timecode import TimecodeRate
from videos.models import Video

# A rate OTIO counts timecode at, for writing a document at a rate it does not (15 fps).
_STAND_IN_RATE = 30.0
# Premiere's marker colours as its exports write them (`<pproColor>`, 0xAABBGGRR): green, red, rose,
# orange, yellow, white, blue, cyan. OTIO's other colours take the nearest; green has no tag.
PREMIERE_COLOURS = {
    "RED": 4281740498,
    "PINK": 4281740498,
    "PURPLE": 4289825711,
    "MAGENTA": 4289825711,
    "ORANGE": 4280578025,
    "YELLOW": 4281049552,
    "WHITE": 4294967295,
    "BLUE": 4294741314,
    "CYAN": 4292277273,
}
_MARKER_ORDER = ("comment", "name", "in", "out", "pproColor")


def _retimed(timeline: otio.schema.Timeline, fps: float) -> otio.schema.Timeline:
    """A copy of `timeline` (one clip) with the same frame numbers at `fps`."""
    copied: otio.schema.Timeline = timeline.deepcopy()

    def moved(time_range: otio.opentime.TimeRange) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(
            otio.opentime.RationalTime(time_range.start_time.value, fps),
            otio.opentime.RationalTime(time_range.duration.value, fps),
        )

    for clip in copied.find_clips():
        clip.source_range = moved(clip.source_range)
        clip.media_reference.available_range = moved(clip.media_reference.available_range)
        for marker in clip.markers:
            marker.marked_range = moved(marker.marked_range)
    return copied


def _sequence_markers(timeline: otio.schema.Timeline) -> None:
    """Moves the clip's markers onto the sequence (the clip starts at the sequence's frame 0, so
    their frames stay), with their note and Premiere colour for the adapter to write."""
    [clip] = timeline.find_clips()
    for marker in list(clip.markers):
        extra: dict[str, object] = {"comment": marker.metadata["sage"]["note"]}
        if marker.color in PREMIERE_COLOURS:
            extra["pproColor"] = str(PREMIERE_COLOURS[marker.color])
        marker.metadata["fcp_xml"] = extra
        timeline.tracks.markers.append(marker.deepcopy())
    clip.markers.clear()


def _set_rate(element: ElementTree.Element, rate: TimecodeRate) -> None:
    """Every `<rate>` under `element` at `rate`: whole frames a second, and NTSC for the /1001 rates."""
    ntsc = "TRUE" if rate.fps.denominator == 1001 else "FALSE"
    for rate_element in element.iter("rate"):
        for tag, text in (("timebase", str(rate.nominal)), ("ntsc", ntsc)):
            child = rate_element.find(tag)
            if child is None:
                child = ElementTree.SubElement(rate_element, tag)
            child.text = text


def _sample_characteristics(video: Video, rate: TimecodeRate) -> ElementTree.Element:
    characteristics = ElementTree.Element("samplecharacteristics")
    ElementTree.SubElement(characteristics, "rate")
    _set_rate(characteristics, rate)
    ElementTree.SubElement(characteristics, "width").text = str(video.width)
    ElementTree.SubElement(characteristics, "height").text = str(video.height)
    ElementTree.SubElement(characteristics, "pixelaspectratio").text = "square"
    return characteristics


def marker_xmeml(
    timeline: otio.schema.Timeline, *, video: Video, file_name: str, rate: TimecodeRate, start_frame: int
) -> str:
    """`timeline` (one clip of `video`, its markers at `rate`) as FCP7 XML whose sequence starts at
    timecode `start_frame`; the clip's file is called `file_name`."""
    fps = float(rate.fps)
    written_fps = fps if otio.opentime.RationalTime.is_valid_timecode_rate(fps) else _STAND_IN_RATE
    sequence = _retimed(timeline, written_fps)
    _sequence_markers(sequence)
    sequence.global_start_time = otio.opentime.RationalTime(start_frame, written_fps)
    document = ElementTree.fromstring(otio.adapters.write_to_string(sequence, "fcp_xml"))  # noqa: S314 -- our own
    _set_rate(document, rate)
    for timecode in document.iter("timecode"):
        frame = int(timecode.findtext("frame", "0"))
        timecode.find("string").text = rate.timecode(frame)  # type: ignore[union-attr]
        timecode.find("displayformat").text = "DF" if rate.drop_frame else "NDF"  # type: ignore[union-attr]
    for file_element in document.iter("file"):
        if file_element.find("pathurl") is None:
            continue  # a reference to the file described before
        file_element.find("pathurl").text = file_url(file_name)  # type: ignore[union-attr]
        file_element.find("name").text = file_name  # type: ignore[union-attr]
        media = file_element.find("media")
        if media is not None:
            if video.width and video.height and (file_video := media.find("video")) is not None:
                file_video.append(_sample_characteristics(video, rate))
            if not video.has_audio and (file_audio := media.find("audio")) is not None:
                media.remove(file_audio)
    if video.width and video.height:
        for video_format in document.findall("./project/children/sequence/media/video/format"):
            video_format.append(_sample_characteristics(video, rate))
    for marker in document.iter("marker"):
        children = sorted(marker, key=lambda child: _MARKER_ORDER.index(child.tag) if child.tag in _MARKER_ORDER else 9)
        for child in list(marker):
            marker.remove(child)
        marker.extend(children)
    ElementTree.indent(document, space="    ")
    body = ElementTree.tostring(document, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n{body}\n'
