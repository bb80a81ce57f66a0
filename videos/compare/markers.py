"""Marker lists for editing programs: a comparison's differences as markers an editor imports onto
one video's timeline, at the video's own frame rate (`videos.compare.timecode`), built as an
OpenTimelineIO timeline and written as the file each program opens: a CMX 3600 marker EDL (DaVinci
Resolve, `videos.compare.edl`), FCP7 XML (Premiere Pro, `videos.compare.xmeml`), FCPXML (Final Cut
Pro, `videos.compare.fcpxml`), Avid marker text (Media Composer, `videos.compare.avid_markers`), the
timeline itself as OpenTimelineIO JSON, or CSV.

A marker list is a list of `TimedMarker` on A's or B's time: differences and reviewers' comments
(`videos.review_comments`) make them, in colours of their own (`write_markers` does not care where a
marker came from)."""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import opentimelineio as otio

from sage.export_text import csv_table, plain_text
from sage.formatting import clock_range, clock_tenths
from sage.timebase import Timebase
from videos.compare.avid_markers import marker_avid_text
from videos.compare.edl import marker_edl
from videos.compare.fcpxml import marker_fcpxml
from videos.compare.finding_words import REPLACED_LABEL, finding_sentence
from videos.compare.timecode import DEFAULT_START, TimecodeRate, video_rate
from videos.compare.xmeml import marker_xmeml
from videos.models import Comparison, Upload, Video
from videos.review_comments import ExportedComment, comment_still_png, comments_on_comparison
from workspaces.policy import Actor

Side = Literal["a", "b"]
# Named by the file's extension, as the URL ends (`markers.xml`): xml is Premiere's FCP7 XML, txt
# Avid's marker text, otio OpenTimelineIO's JSON.
MarkerFileType = Literal["csv", "edl", "fcpxml", "xml", "txt", "otio"]
SIDES: tuple[Side, ...] = ("a", "b")
MARKER_FILE_TYPES: tuple[MarkerFileType, ...] = ("csv", "edl", "fcpxml", "xml", "txt", "otio")
MarkerSource = Literal["differences", "comments"]
MARKER_SOURCES: tuple[MarkerSource, ...] = ("differences", "comments")
CONTENT_TYPES: dict[MarkerFileType, str] = {
    "csv": "text/csv; charset=utf-8",
    "edl": "text/plain; charset=utf-8",
    "fcpxml": "application/xml; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "otio": "application/json; charset=utf-8",
}
# Excel on Windows reads a CSV file as UTF-8 only when it starts with a byte order mark.
UTF8_BOM = "\ufeff"
CSV_COLUMNS = ["name", "start", "end", "duration_frames", "start_seconds", "end_seconds", "colour", "note", "timeline"]

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
    """One marker on A's or B's time, in seconds (`end == start` for a point): a short `name` (what
    it is, who wrote it) and the `note` (what it says). One line each, people's text made plain
    (`sage.export_text`: no bidi controls to reorder what is around it in an editor's list)."""

    side: Side
    start: float
    end: float
    name: str
    note: str
    colour: str  # an `otio.schema.MarkerColor` name
    # What `start` and `end` are (`sage.timebase`): "edges" of a stretch (a finding's, between two
    # frames: the nearest boundary) or "instants" (a comment made while a frame was on screen: that frame).
    times: Literal["edges", "instants"] = "edges"

    def __post_init__(self) -> None:
        # One line each: an EDL comment ends at the line's end.
        object.__setattr__(self, "name", " ".join(plain_text(self.name).split()))
        object.__setattr__(self, "note", " ".join(plain_text(self.note).split()))


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


# A drawing's note in a marker file that comes without its stills: where to see it instead.
DRAWING_ON_THE_PAGE = "Drawing: on the review page"


def comment_markers(comparison: Comparison, *, side: Side, actor: Actor, stills: bool = False) -> list[TimedMarker]:
    """Each comment thread on `side` that `actor` sees (as on the page) as a marker named "Comment:
    <author>"; the note holds the body, then each reply ("<author>: <body>"), whether it is resolved
    (the text once, in the note), and its drawing: its still's name where the file comes `stills`
    (the ZIP holds it), else where to see it (a name no download holds would send an editor looking)."""
    comments = comments_on_comparison(comparison, actor=actor)
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
        if comment.still_path is not None:
            # The still's name in the "with stills" archive (`comparison_markers_zip`).
            parts.append(f"Drawing: {comment.still_file}" if stills else DRAWING_ON_THE_PAGE)
        markers.append(
            TimedMarker(
                side=side,
                start=comment.start,
                end=comment.end if comment.end is not None else comment.start,
                name=f"Comment: {comment.author_name}",
                note=" | ".join(parts),
                colour=COMMENT_COLOUR,
                times="instants",
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
    actor: Actor,
    side: Side,
    file_type: MarkerFileType,
    include: tuple[MarkerSource, ...] = MARKER_SOURCES,
    start_timecode: str = DEFAULT_START,
    stills: bool = False,
) -> str:
    """The comparison's differences and the reviewers' comments `actor` sees (those `include` names)
    as a marker file on `side`'s timeline, its first frame at `start_timecode` (`stills`: for the ZIP
    that holds the drawings' stills, whose notes name them)."""
    video = comparison.video_a if side == "a" else comparison.video_b
    markers = difference_markers(comparison, side=side) if "differences" in include else []
    if "comments" in include:
        markers += comment_markers(comparison, side=side, actor=actor, stills=stills)
    return write_markers(
        video=video,
        side=side,
        name=timeline_name(comparison, side),
        markers=markers,
        file_type=file_type,
        start_timecode=start_timecode,
    )


def comparison_markers_zip(
    comparison: Comparison,
    *,
    actor: Actor,
    side: Side,
    file_type: MarkerFileType,
    filename: str,
    include: tuple[MarkerSource, ...] = MARKER_SOURCES,
    start_timecode: str = DEFAULT_START,
) -> bytes:
    """A ZIP of the marker file (`filename`, as `comparison_markers_file` writes it) and the PNG still
    of each comment marker's drawing as `stills/<comment id>.png`, the name its marker's note gives."""
    body = comparison_markers_file(
        comparison,
        actor=actor,
        side=side,
        file_type=file_type,
        include=include,
        start_timecode=start_timecode,
        stills=True,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(filename, body)
        if "comments" in include:
            for comment in comments_on_comparison(comparison, actor=actor):
                if comment.parent_id is not None or comment.side != side or comment.still_path is None:
                    continue
                png = comment_still_png(comment.id, actor=actor)
                if png is not None:  # a frame that cannot be read: the marker stays, without its still
                    archive.writestr(comment.still_file, png, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def write_markers(
    *,
    video: Video,
    side: Side,
    name: str,
    markers: list[TimedMarker],
    file_type: MarkerFileType,
    start_timecode: str = DEFAULT_START,
) -> str:
    """`markers` (all on `side`, `video`'s time) as a file of `file_type`, on a timeline called `name`
    that holds `video` as one clip whose first frame is at `start_timecode` (01:00:00:00, where
    Resolve's timelines start, unless asked), in frames at the video's own rate. Raises
    `TimecodeInvalid` for a start that names no frame at that rate."""
    if any(marker.side != side for marker in markers):
        raise ValueError(f"Every marker must be on {side.upper()}'s time.")
    rate = video_rate(video)
    start_frame = rate.frame(start_timecode)
    timeline = _timeline(video=video, name=name, markers=markers, rate=rate)
    if file_type == "edl":
        return marker_edl(timeline, rate=rate, start_frame=start_frame)
    if file_type == "fcpxml":
        return marker_fcpxml(
            timeline, video=video, file_name=media_file_name(video), rate=rate, start_frame=start_frame
        )
    if file_type == "xml":
        return marker_xmeml(timeline, video=video, file_name=media_file_name(video), rate=rate, start_frame=start_frame)
    if file_type == "txt":
        return marker_avid_text(timeline, rate=rate, start_frame=start_frame)
    if file_type == "otio":
        return _otio_json(timeline, rate=rate, start_frame=start_frame)
    return _csv(timeline, rate=rate, start_frame=start_frame)


def media_file_name(video: Video) -> str:
    """The name the video's file had when it was uploaded (an editor relinks by it); a video that
    came otherwise (YouTube, the demo pair) is named by its title."""
    uploaded = Upload.objects.filter(video=video).values_list("filename", flat=True).first()
    return uploaded or f"{video.title}{posixpath.splitext(video.storage_key)[1] or '.mp4'}"


def _marked_frames(marker: TimedMarker, timebase: Timebase) -> tuple[int, int]:
    """The marker's first frame and the frame after its last (its end, exclusive) on `timebase`."""
    if marker.times == "instants":
        # A comment over a range ends where the frame on screen at its end begins.
        return timebase.frame_at(marker.start), timebase.frame_at(marker.end)
    return timebase.boundary_near(marker.start), timebase.boundary_near(marker.end)


def _timeline(*, video: Video, name: str, markers: list[TimedMarker], rate: TimecodeRate) -> otio.schema.Timeline:
    """`video` as one clip with the markers, in frames at `rate`."""
    fps = float(rate.fps)
    timebase = Timebase(rate.fps)
    length = max(timebase.boundary_near(video.duration or 0.0), 1)
    whole = otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(length, fps))
    title = plain_text(video.title)
    # The file's name, URL-encoded: a relative URL, as FCPXML's `src` is one (editors relink by name).
    clip = otio.schema.Clip(
        name=title,
        media_reference=otio.schema.ExternalReference(target_url=quote(media_file_name(video)), available_range=whole),
        source_range=whole,
    )
    for marker in sorted(markers, key=lambda m: (m.start, m.end)):
        first, after = _marked_frames(marker, timebase)
        start = min(first, length - 1)
        # A point marker is one frame long, as Resolve and Final Cut make one.
        duration = max(after - start, 1)
        clip.markers.append(
            otio.schema.Marker(
                name=marker.name,
                marked_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(start, fps), otio.opentime.RationalTime(duration, fps)
                ),
                color=marker.colour,
                # OTIO's own field for the note (an .otio file carries it there); the writers read it
                # from the metadata, where OTIO's adapters do not look.
                comment=marker.note,
                metadata={"sage": {"note": marker.note, "side": marker.side}},
            )
        )
    track = otio.schema.Track(name=title, kind=otio.schema.TrackKind.Video)
    track.append(clip)
    timeline = otio.schema.Timeline(name=plain_text(name))
    timeline.tracks.append(track)
    return timeline


def _otio_json(timeline: otio.schema.Timeline, *, rate: TimecodeRate, start_frame: int) -> str:
    """The timeline as OpenTimelineIO JSON, starting at timecode `start_frame` (its global start time):
    the markers on the clip, each with its note as its `comment`; the clip's media a relative URL,
    the uploaded file's name."""
    timeline.global_start_time = otio.opentime.RationalTime(start_frame, float(rate.fps))
    written: str = otio.adapters.write_to_string(timeline, "otio_json")
    return written


def _csv(timeline: otio.schema.Timeline, *, rate: TimecodeRate, start_frame: int) -> str:
    """A row per marker with its timecode (as in the EDL) and seconds (from the video's start), for
    tools without an EDL or FCPXML import; UTF-8 with a byte order mark, so Excel shows "Zoë"."""
    [clip] = timeline.find_clips()
    rows = []
    for marker in clip.markers:
        start = round(marker.marked_range.start_time.value)
        duration = round(marker.marked_range.duration.value)
        rows.append(
            {
                "name": marker.name,
                "start": rate.timecode(start_frame + start),
                "end": rate.timecode(start_frame + start + duration),
                "duration_frames": duration,
                "start_seconds": round(float(start / rate.fps), 3),
                "end_seconds": round(float((start + duration) / rate.fps), 3),
                "colour": marker.color,
                "note": marker.metadata["sage"]["note"],
                "timeline": timeline.name,
            }
        )
    return UTF8_BOM + csv_table(CSV_COLUMNS, rows)
