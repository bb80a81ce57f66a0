"""Marker lists for editing programs: a comparison's differences as markers an editor imports onto
one video's timeline, as CSV, a CMX 3600 EDL with `* LOC:` lines (DaVinci Resolve, Avid) or FCPXML
(Final Cut Pro), at the video's frame rate, written by OpenTimelineIO and its adapters.

A marker list is a list of `TimedMarker` on A's or B's time: differences and reviewers' comments
(`videos.review_comments`) make them, in colours of their own (`write_markers` does not care where a
marker came from)."""

from __future__ import annotations

import csv
import io
import posixpath
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import opentimelineio as otio

from sage.formatting import clock_range, clock_tenths
from videos.compare.finding_words import REPLACED_LABEL, finding_sentence
from videos.models import Comparison, Video
from videos.review_comments import ExportedComment, comments_on_comparison

Side = Literal["a", "b"]
MarkerFileType = Literal["csv", "edl", "fcpxml"]
SIDES: tuple[Side, ...] = ("a", "b")
MARKER_FILE_TYPES: tuple[MarkerFileType, ...] = ("csv", "edl", "fcpxml")
MarkerSource = Literal["differences", "comments"]
MARKER_SOURCES: tuple[MarkerSource, ...] = ("differences", "comments")
CONTENT_TYPES: dict[MarkerFileType, str] = {
    "csv": "text/csv; charset=utf-8",
    "edl": "text/plain; charset=utf-8",
    "fcpxml": "application/xml; charset=utf-8",
}
CSV_COLUMNS = ["name", "start", "end", "duration_frames", "start_seconds", "end_seconds", "colour", "note", "timeline"]

# Timecode rates editors' timelines run at; a video's measured rate (29.97002997…, or 29.87 from a
# phone's variable rate) becomes the nearest, so timecode is exact and every program accepts it.
TIMECODE_RATES = [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
                  Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60)]  # fmt: skip
DEFAULT_RATE = Fraction(25)

# OTIO marker colours. Red and green are avoided: Final Cut reads them as to-do and done markers.
KIND_COLOURS = {
    "visual": otio.schema.MarkerColor.BLUE,
    "audio": otio.schema.MarkerColor.CYAN,
    "both": otio.schema.MarkerColor.PURPLE,
    "only_b": otio.schema.MarkerColor.YELLOW,
    "only_a": otio.schema.MarkerColor.PINK,
    # Engine 3's findings. Eleven colours, two avoided, one for comments: changed text on screen
    # shares the picture's blue (it is seen in the picture); its name tells them apart.
    "moved": otio.schema.MarkerColor.MAGENTA,
    "av_sync": otio.schema.MarkerColor.WHITE,
    "speed": otio.schema.MarkerColor.BLACK,
    "text": otio.schema.MarkerColor.BLUE,
}
# Reviewers' comments: a colour no kind of difference has.
COMMENT_COLOUR = otio.schema.MarkerColor.ORANGE
COMMENT_NAME_EXCERPT = 60
KIND_NAMES = {
    "visual": "Picture differs",
    "audio": "Sound differs",
    "both": "Picture and sound differ",
    "only_b": "Only in B",
    "only_a": "Only in A",
    "av_sync": "A/V sync",
    "speed": "Speed",
    "text": "Text on screen changed",
}


@dataclass(frozen=True)
class TimedMarker:
    """One marker on A's or B's time, in seconds (`end == start` for a point). Plain text only: an
    EDL keeps one line of it, upper-cased."""

    side: Side
    start: float
    end: float
    name: str
    note: str
    colour: str  # an `otio.schema.MarkerColor` name

    def __post_init__(self) -> None:
        # One line each: an EDL comment ends at the line's end.
        object.__setattr__(self, "name", " ".join(self.name.split()))
        object.__setattr__(self, "note", " ".join(self.note.split()))


def marker_rate(video: Video) -> Fraction:
    """The standard timecode rate nearest the video's frame rate (25 when it was not measured)."""
    if not video.fps:
        return DEFAULT_RATE
    fps = video.fps
    return min(TIMECODE_RATES, key=lambda rate: abs(float(rate) - fps))


def _range_text(start: float, end: float) -> str:
    # As the comparison page writes times; ASCII only, for an EDL.
    return clock_range(start, end, clock=clock_tenths, dash="-")


def difference_markers(comparison: Comparison, *, side: Side) -> list[TimedMarker]:
    """The stored differences as markers on `side`'s timeline.

    One export per side, B's by default: an EDL holds one timeline and an editor marks the cut they
    work on, usually the new one (B). Every difference is on either side's list: where that video
    has the stretch, as a range; where it has not (`only_a` on B, `only_b` on A), as a point where
    the other video's stretch was removed or inserted. The note says where it is on the other video."""
    other: Side = "a" if side == "b" else "b"
    markers = []
    for number, segment in enumerate(comparison.segments or [], start=1):
        start, end = segment[f"{side}_start"], segment[f"{side}_end"]
        if start is None or end is None:
            continue  # that video has no content at all
        kind = segment["kind"]
        name = f"{number}. {_marker_kind_name(segment, side)}"
        if segment.get("severity"):
            name += f" ({segment['severity']})"
        words = (comparison.word_changes or {}).get(str(number - 1), {})
        parts = []
        sentence = finding_sentence(segment, duration_b=comparison.video_b.duration, ascii_only=True)
        if sentence:
            # Engine 3's findings say what they found; the other side's range is in the sentence.
            parts.append(sentence)
        elif kind == f"only_{other}":
            other_start, other_end = segment[f"{other}_start"], segment[f"{other}_end"]
            length = other_end - other_start
            verb = "removed" if other == "a" else "inserted"
            parts.append(
                f"{length:.1f} s of {other.upper()} {verb} here ({other.upper()} {_range_text(other_start, other_end)})"
            )
        elif kind == f"only_{side}":
            parts.append(f"{side.upper()} {_range_text(start, end)}; not in {other.upper()}")
        else:
            on_a = _range_text(segment["a_start"], segment["a_end"])
            parts.append(f"A {on_a} = B {_range_text(segment['b_start'], segment['b_end'])}")
            scores = [f"{key} {segment[key]:.2f}" for key in ("picture", "sound") if segment.get(key) is not None]
            if scores:
                parts.append(", ".join(scores))
        for label, key in (("only A says", "removed"), ("only B says", "added")):
            if words.get(key):
                parts.append(f"{label}: {' '.join(words[key])}")
        markers.append(
            TimedMarker(side=side, start=start, end=end, name=name, note="; ".join(parts), colour=KIND_COLOURS[kind])
        )
    return markers


def _marker_kind_name(segment: dict[str, Any], side: Side) -> str:
    """A marker's name for its kind; a move is named for the side it sits on (it has a marker at its
    place on each side's timeline)."""
    kind = segment["kind"]
    if kind == "moved":
        return "Moved from here (to B)" if side == "a" else "Moved here (from A)"
    if kind == "both" and segment.get("replaced"):
        return REPLACED_LABEL
    return KIND_NAMES[kind]


def _excerpt(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def comment_markers(comparison: Comparison, *, side: Side) -> list[TimedMarker]:
    """Each comment thread on `side` as a marker named "Comment: <author>: <body excerpt>"; the note
    holds the whole body, then each reply ("<author>: <body>"), and whether it is resolved."""
    comments = comments_on_comparison(comparison)
    replies: dict[int, list[ExportedComment]] = {}
    for comment in comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    markers = []
    for comment in comments:
        if comment.parent_id is not None or comment.side != side:
            continue
        parts = [comment.body]
        parts += [f"{reply.author_name}: {reply.body}" for reply in replies.get(comment.id, [])]
        if comment.resolved:
            parts.append("(resolved)")
        markers.append(
            TimedMarker(
                side=side,
                start=comment.start,
                end=comment.end if comment.end is not None else comment.start,
                name=f"Comment: {comment.author_name}: {_excerpt(comment.body, COMMENT_NAME_EXCERPT)}",
                note=" | ".join(parts),
                colour=COMMENT_COLOUR,
            )
        )
    return markers


def timeline_name(comparison: Comparison, side: Side) -> str:
    """Says which video the markers sit on, in every format (EDL title, FCPXML project, CSV column)."""
    video = comparison.video_a if side == "a" else comparison.video_b
    return f"SAGE comparison {comparison.pk} - markers on {side.upper()}: {video.title}"


def comparison_markers_file(
    comparison: Comparison,
    *,
    side: Side,
    file_type: MarkerFileType,
    include: tuple[MarkerSource, ...] = MARKER_SOURCES,
) -> str:
    """The comparison's differences and reviewers' comments (those `include` names) as a marker file
    on `side`'s timeline."""
    video = comparison.video_a if side == "a" else comparison.video_b
    markers = difference_markers(comparison, side=side) if "differences" in include else []
    if "comments" in include:
        markers += comment_markers(comparison, side=side)
    return write_markers(
        video=video, side=side, name=timeline_name(comparison, side), markers=markers, file_type=file_type
    )


def write_markers(*, video: Video, side: Side, name: str, markers: list[TimedMarker], file_type: MarkerFileType) -> str:
    """`markers` (all on `side`, `video`'s time) as a file of `file_type`, on a timeline called `name`
    that holds `video` as one clip from its first frame (timecode 00:00:00:00 is the video's start)."""
    if any(marker.side != side for marker in markers):
        raise ValueError(f"Every marker must be on {side.upper()}'s time.")
    rate = marker_rate(video)
    if file_type == "edl":
        # Frames counted at the nominal rate: non-drop-frame timecode (Resolve's default, and the
        # only kind OTIO reads back from a `* LOC:` line) at 29.97 too.
        timeline = _timeline(video=video, side=side, name=name, markers=markers, rate=rate, timebase=round(rate))
        # A `* LOC:` line has a time, a colour and one line of text: the note goes after the name.
        for marker in next(iter(timeline.find_clips())).markers:
            marker.name = f"{marker.name} - {marker.metadata['sage']['note']}"
        edl: str = otio.adapters.write_to_string(timeline, "cmx_3600", rate=round(rate))
        return edl
    timeline = _timeline(video=video, side=side, name=name, markers=markers, rate=rate, timebase=rate)
    if file_type == "fcpxml":
        return _fcpxml(timeline, markers=markers, rate=rate)
    return _csv(timeline, rate=rate)


def _frames(seconds: float, rate: Fraction) -> int:
    return round(seconds * rate)


def _timeline(
    *, video: Video, side: Side, name: str, markers: list[TimedMarker], rate: Fraction, timebase: Fraction | int
) -> otio.schema.Timeline:
    """`video` as one clip with the markers, in frames at `rate` written as times at `timebase`."""
    fps = float(timebase)
    length = max(_frames(video.duration or 0.0, rate), 1)
    whole = otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(length, fps))
    # A bare file name: editors relink by name, and the FCPXML adapter probes a `src` that exists here.
    file_name = posixpath.basename(video.storage_key) or f"{video.title}.mp4"
    clip = otio.schema.Clip(
        name=video.title,
        media_reference=otio.schema.ExternalReference(target_url=file_name, available_range=whole),
        source_range=whole,
        metadata={"cmx_3600": {"reel": f"SAGE_{side.upper()}"}},
    )
    for marker in sorted(markers, key=lambda m: (m.start, m.end)):
        start = min(_frames(marker.start, rate), length - 1)
        # A point marker is one frame long, as Resolve and Final Cut make one.
        duration = max(_frames(marker.end, rate) - start, 1)
        clip.markers.append(
            otio.schema.Marker(
                name=marker.name,
                marked_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(start, fps), otio.opentime.RationalTime(duration, fps)
                ),
                color=marker.colour,
                metadata={"sage": {"note": marker.note, "side": marker.side}},
            )
        )
    track = otio.schema.Track(name=video.title, kind=otio.schema.TrackKind.Video)
    track.append(clip)
    timeline = otio.schema.Timeline(name=name)
    timeline.tracks.append(track)
    return timeline


def _fcpxml(timeline: otio.schema.Timeline, *, markers: list[TimedMarker], rate: Fraction) -> str:
    """The adapter's FCPXML, completed: it knows frame durations only for a table of rates (not
    30000/1001 as a fraction) and writes no marker `note`, which Final Cut shows under the name."""
    written = otio.adapters.write_to_string(timeline, "fcpx_xml")
    document = ElementTree.fromstring(written)  # noqa: S314 -- the adapter's output from our own data
    frame = 1 / rate
    for media_format in document.iter("format"):
        media_format.set("frameDuration", f"{frame.numerator}/{frame.denominator}s")
    clip = next(iter(timeline.find_clips()))
    for element, marker in zip(document.iter("marker"), clip.markers, strict=True):
        element.set("note", marker.metadata["sage"]["note"])
    ElementTree.indent(document, space="    ")
    body = ElementTree.tostring(document, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n{body}\n'


def _csv(timeline: otio.schema.Timeline, *, rate: Fraction) -> str:
    """A row per marker with its timecode and seconds, for tools without an EDL or FCPXML import."""
    fps = float(rate)
    out = io.StringIO()

    def timecode(time: otio.opentime.RationalTime) -> str:
        # Non-drop-frame, as in the EDL.
        frame = round(time.rescaled_to(fps).value)
        text: str = otio.opentime.to_timecode(otio.opentime.RationalTime(frame, round(rate)), round(rate))
        return text

    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    clip = next(iter(timeline.find_clips()))
    for marker in clip.markers:
        start = marker.marked_range.start_time
        end = marker.marked_range.end_time_exclusive()
        row: dict[str, Any] = {
            "name": marker.name,
            "start": timecode(start),
            "end": timecode(end),
            "duration_frames": int(marker.marked_range.duration.value),
            "start_seconds": round(start.to_seconds(), 3),
            "end_seconds": round(end.to_seconds(), 3),
            "colour": marker.color,
            "note": marker.metadata["sage"]["note"],
            "timeline": timeline.name,
        }
        writer.writerow(row)
    return out.getvalue()
