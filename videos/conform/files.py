"""The change list as files the sound and VFX teams' tools read: a change EDL, CSV and an
OpenTimelineIO timeline of v2 built from v1's media (AAF: videos.conform.aaf).

**Change EDL** (CMX 3600), as Nuendo's ReConform reads a "Change EDL" and Conformalizer a new cut
against the old: one event per stretch of v2, in v2's order, its record side v2's timecode and its
source side v1's, on a reel named for v1 (`reel_name`), so that v1's programme is the source roll
and every event says where its material sat on it. Material v1 does not have (inserted, and the
new footage of a replaced stretch) is a black event, reel `BL`, CMX 3600's special source for
black, which ReConform, Conformalizer and OTIO read as new material (silence for sound). What v2 no
longer has is no event: a `* SAGE:` comment names it (and every other event's kind and offset)
under the event before it. A speed change is an `M2` line (reel, v1 frames per second as v2 plays
it, source in), the source's in and out v1's own (longer or shorter than the record's).

**CSV**: a row per event with both sides' timecodes and frames, the length and the running offset.

**OTIO**: a timeline of v2 (starting at v2's timecode) whose clips are v1's file, cut to each event's
v1 stretch, on a video and an audio track, gaps where v2 has new material, a `LinearTimeWarp` where
the speed changed, and a marker at each place where v1 material was taken out.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import opentimelineio as otio

from sage.export_text import ascii_text, csv_table, plain_text, shortened
from videos.compare.markers import UTF8_BOM, media_file_name
from videos.compare.timecode import TimecodeRate
from videos.conform.rows import EventRow
from videos.conform.sheet import ChangeSheet
from videos.models import Video

LINE_LIMIT = 80
TITLE_LIMIT = 70
REEL_LIMIT = 8  # CMX 3600's reel column
BLACK_REEL = "BL"
# Events whose v2 stretch plays nothing of v1 (new material).
NEW_MATERIAL = ("inserted", "replaced")
GONE = ("removed", "trimmed_head", "trimmed_tail")
CSV_COLUMNS = (
    "event",
    "kind",
    "v1_in",
    "v1_out",
    "v2_in",
    "v2_out",
    "duration_frames",
    "offset_frames",
    "v1_start_seconds",
    "v1_end_seconds",
    "v2_start_seconds",
    "v2_end_seconds",
)


def reel_name(video: Video) -> str:
    """v1's roll in the EDL: "V<version>" for a version in a stack, else its title in at most 8
    capitals and digits (CMX 3600 reels are 8 characters; "V1" when nothing is left)."""
    if video.stack_id is not None and video.version:
        return f"V{video.version}"
    letters = re.sub(r"[^A-Z0-9]", "", ascii_text(video.title).upper())[:REEL_LIMIT]
    return letters or "V1"


def title(sheet: ChangeSheet) -> str:
    return f"SAGE change list {sheet.comparison.pk}: {sheet.video_v1.label} to {sheet.video_v2.label}"


def _offset_text(offset: int) -> str:
    return f"{offset:+d}"


def change_csv(sheet: ChangeSheet) -> str:
    """A row per event; UTF-8 with a byte order mark (Excel then reads it as UTF-8)."""
    rows = [
        {
            "event": row.number,
            "kind": row.kind,
            "v1_in": row.v1_in,
            "v1_out": row.v1_out,
            "v2_in": row.v2_in,
            "v2_out": row.v2_out,
            "duration_frames": row.frames,
            "offset_frames": row.offset,
            "v1_start_seconds": "" if row.event.v1_start is None else round(float(row.event.v1_start), 6),
            "v1_end_seconds": "" if row.event.v1_end is None else round(float(row.event.v1_end), 6),
            "v2_start_seconds": round(float(row.event.v2_start), 6),
            "v2_end_seconds": round(float(row.event.v2_end), 6),
        }
        for row in sheet.rows
    ]
    return UTF8_BOM + csv_table(CSV_COLUMNS, rows)


def _comment(row: EventRow) -> str:
    """The `* SAGE:` line naming an event's change number, kind, v1 stretch and offset."""
    where = f" V1 {row.v1_in}-{row.v1_out}" if row.v1_in else ""
    text = f"* SAGE: {row.number} {row.label.upper()}{where} OFFSET {_offset_text(row.offset)}"
    return text[:LINE_LIMIT]


def change_edl(sheet: ChangeSheet) -> str:
    """The change EDL (see the module's note); ASCII, CRLF, at most 999 events."""
    rate_v1, rate_v2 = sheet.rate_v1, sheet.rate_v2
    reel = reel_name(sheet.video_v1)
    clip_name = shortened(ascii_text(media_file_name(sheet.video_v1)), LINE_LIMIT - len("* FROM CLIP NAME: "))
    lines = [
        f"TITLE: {shortened(ascii_text(title(sheet)), TITLE_LIMIT)}",
        f"FCM: {'DROP FRAME' if rate_v2.drop_frame else 'NON-DROP FRAME'}",
        "",
    ]
    number = 0
    pending: list[str] = []  # comments of what v2 no longer has, before the first event
    for row in sheet.rows:
        if row.kind in GONE:
            (lines if number else pending).append(_comment(row))
            continue
        number += 1
        if number > 999:
            break
        record_in, record_out = row.v2_in, row.v2_out
        length = row.v2_frame_out - row.v2_frame_in
        if row.kind in NEW_MATERIAL:
            source_reel, source_in, source_out = BLACK_REEL, _zero(rate_v2), rate_v2.timecode(length)
        else:
            assert row.v1_frame_in is not None
            source_reel = reel
            # v1's own in and out: at another speed the source's length differs from the record's,
            # which is how CMX 3600 readers (OTIO among them) take the M2 line's speed.
            source_in, source_out = row.v1_in, row.v1_out
        if lines[-1] != "":
            lines.append("")
        lines.append(f"{number:03d}  {source_reel:8} AA/V  C        {source_in} {source_out} {record_in} {record_out}")
        if row.kind == "speed":
            fps = float(row.event.speed * rate_v1.fps)
            # The M2 line's timecode with colons at drop-frame rates too (FCM says how it counts):
            # OTIO's reader, as older CMX readers, takes only HH:MM:SS:FF there.
            lines.append(f"M2   {source_reel:8}{fps:>11.1f}                {source_in.replace(';', ':')}")
        if source_reel != BLACK_REEL:
            lines.append(f"* FROM CLIP NAME: {clip_name}")
        lines += pending
        pending = []
        lines.append(_comment(row))
    return "\r\n".join(lines) + "\r\n"


def _zero(rate: TimecodeRate) -> str:
    return rate.timecode(0)


def change_timeline(sheet: ChangeSheet) -> otio.schema.Timeline:
    """v2 as a timeline of v1's media (see the module's note)."""
    fps_v1, fps_v2 = float(sheet.rate_v1.fps), float(sheet.rate_v2.fps)
    v1 = sheet.video_v1

    def at_v1(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, fps_v1)

    def at_v2(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, fps_v2)

    whole_v1 = otio.opentime.TimeRange(at_v1(sheet.start_v1), at_v1(sheet.changes.frames_v1))
    media_name = media_file_name(v1)
    tracks = [
        otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video),
        otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio),
    ]
    for row in sheet.rows:
        length = row.v2_frame_out - row.v2_frame_in
        sage = {"event": row.number, "kind": row.kind, "offset_frames": row.offset}
        for track in tracks:
            if row.kind in GONE:
                track.markers.append(
                    otio.schema.Marker(
                        name=f"{row.number} {row.label} (V1 {row.v1_in}-{row.v1_out})",
                        marked_range=otio.opentime.TimeRange(at_v2(row.v2_frame_in), at_v2(0)),
                        color=otio.schema.MarkerColor.RED,
                        metadata={"sage": sage},
                    )
                )
                continue
            if row.kind in NEW_MATERIAL:
                track.append(otio.schema.Gap(name=f"{row.number} {row.label}", source_range=otio.opentime.TimeRange(
                    at_v2(0), at_v2(length)), metadata={"sage": sage}))  # fmt: skip
                continue
            assert row.v1_frame_in is not None
            # The clip's length is its length on v2, at v1's rate: what it plays of v1 at speed 1
            # (a speed change stretches it by its LinearTimeWarp, as OTIO's EDL reader makes one).
            source_length = otio.opentime.RationalTime(length * fps_v1 / fps_v2, fps_v1).round()
            clip = otio.schema.Clip(
                name=f"{row.number} {row.label}",
                media_reference=otio.schema.ExternalReference(target_url=quote(media_name), available_range=whole_v1),
                source_range=otio.opentime.TimeRange(at_v1(sheet.start_v1 + row.v1_frame_in), source_length),
                metadata={"sage": sage},
            )
            if row.kind == "speed":
                clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=float(row.event.speed)))
            track.append(clip)
    timeline = otio.schema.Timeline(name=plain_text(title(sheet)))
    timeline.global_start_time = at_v2(sheet.start_v2)
    for track in tracks:
        timeline.tracks.append(track)
    return timeline


def change_otio(sheet: ChangeSheet) -> str:
    written: str = otio.adapters.write_to_string(change_timeline(sheet), "otio_json")
    return written
