"""The change list's timecodes and files: read back as an editor's or sound editor's tools read them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import aaf2
import opentimelineio as otio
import pytest

from tests.factories import ComparisonFactory, VideoFactory
from videos.conform.aaf import change_aaf
from videos.conform.files import change_csv, change_edl, change_otio
from videos.conform.sheet import change_sheet
from videos.models import Comparison

pytestmark = pytest.mark.django_db

# v1 20 s, v2 21 s at 25 fps: v1 10-12 s removed, 3 s inserted at v2 14-17 s (v1 16 s).
SPANS = [[0.0, 10.0, 0.0, 10.0], [12.0, 16.0, 10.0, 14.0], [16.0, 20.0, 17.0, 21.0]]


def comparison(**videos: object) -> Comparison:
    video_a = VideoFactory(title="Reel 1 v1", duration=20.0, fps=25.0, comparable=True, **videos)
    video_b = VideoFactory(title="Reel 1 v2", duration=21.0, fps=25.0, comparable=True, owner=video_a.owner)
    return ComparisonFactory(owner=video_a.owner, video_a=video_a, video_b=video_b, matched_spans=SPANS)


def test_timecodes_start_at_the_timecode_the_v1_file_carries_and_one_hour_without() -> None:
    sheet = change_sheet(comparison(start_timecode="10:00:00:00"))
    rows = [(row.kind, row.v1_in, row.v1_out, row.v2_in, row.v2_out, row.frames, row.offset) for row in sheet.rows]
    assert rows == [
        ("kept", "10:00:00:00", "10:00:10:00", "01:00:00:00", "01:00:10:00", 250, 0),
        ("removed", "10:00:10:00", "10:00:12:00", "01:00:10:00", "01:00:10:00", 50, -50),
        ("kept", "10:00:12:00", "10:00:16:00", "01:00:10:00", "01:00:14:00", 100, -50),
        ("inserted", "", "", "01:00:14:00", "01:00:17:00", 75, 25),
        ("kept", "10:00:16:00", "10:00:20:00", "01:00:17:00", "01:00:21:00", 100, 25),
    ]


def test_drop_frame_timecodes_at_29_97_skip_the_first_two_numbers_of_a_minute() -> None:
    video_a = VideoFactory(duration=120.12, fps=29.97, comparable=True, start_timecode="00:59:00;02")
    video_b = VideoFactory(duration=118.118, fps=29.97, comparable=True, owner=video_a.owner)
    row = ComparisonFactory(
        owner=video_a.owner,
        video_a=video_a,
        video_b=video_b,
        matched_spans=[[0.0, 60.06, 0.0, 60.06], [62.062, 120.12, 60.06, 118.118]],
    )
    sheet = change_sheet(row)
    removed = sheet.rows[1]
    # 60.06 s is frame 1800: one minute of drop-frame timecode is 1798 frames, so 1800 reads 01:00:02.
    assert (removed.kind, removed.v1_in, removed.v1_out) == ("removed", "01:00:00;02", "01:00:02;02")
    assert (removed.v2_in, removed.frames, removed.offset) == ("01:01:00;02", 60, -60)


def test_the_csv_has_a_row_per_event_with_both_timecodes_and_the_offset() -> None:
    text = change_csv(change_sheet(comparison()))
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row["kind"] for row in rows] == ["kept", "removed", "kept", "inserted", "kept"]
    assert rows[3]["v2_in"] == "01:00:14:00" and rows[3]["v1_in"] == "" and rows[3]["offset_frames"] == "25"
    assert rows[1]["v1_start_seconds"] == "10.0" and rows[1]["duration_frames"] == "50"


def test_the_change_edl_reads_back_as_v2_cut_from_v1s_reel_with_black_for_new_material() -> None:
    text = change_edl(change_sheet(comparison(start_timecode="10:00:00:00")))
    assert all(len(line) <= 80 for line in text.split("\r\n"))
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=25)
    [video] = [track for track in timeline.tracks if track.kind == otio.schema.TrackKind.Video]
    events = [
        (
            type(item).__name__,
            item.source_range.start_time.to_timecode(),
            item.source_range.duration.to_frames(),
            item.range_in_parent().start_time.to_timecode(),
        )
        for item in video
    ]
    # Record times are relative to the EDL's first event (01:00:00:00).
    assert events == [
        ("Clip", "10:00:00:00", 250, "00:00:00:00"),
        ("Clip", "10:00:12:00", 100, "00:00:10:00"),
        ("Clip", "00:00:00:00", 75, "00:00:14:00"),
        ("Clip", "10:00:16:00", 100, "00:00:17:00"),
    ]
    assert video[2].media_reference.generator_kind == "black"
    assert "* SAGE: 2 REMOVED V1 10:00:10:00-10:00:12:00 OFFSET -50" in text


def test_the_otio_timeline_is_v2_built_from_v1s_file_with_gaps_for_new_material() -> None:
    timeline = otio.adapters.read_from_string(change_otio(change_sheet(comparison())), "otio_json")
    assert timeline.global_start_time.to_timecode() == "01:00:00:00"
    video, audio = timeline.tracks
    assert timeline.duration().to_frames() == 525  # v2's 21 s
    items = [(type(item).__name__, item.range_in_parent().start_time.to_frames()) for item in video]
    assert items == [("Clip", 0), ("Clip", 250), ("Gap", 350), ("Clip", 425)]
    second = video[1]
    assert second.source_range.start_time.to_timecode() == "01:00:12:00"
    assert second.media_reference.target_url == "Reel%201%20v1.mp4"
    assert [marker.name for marker in video.markers] == ["2 Removed (V1 01:00:10:00-01:00:12:00)"]
    assert [type(item).__name__ for item in audio] == ["Clip", "Clip", "Gap", "Clip"]


def test_the_aaf_is_v2_cut_from_v1s_sound_with_both_timecodes(tmp_path: Path) -> None:
    path = tmp_path / "changes.aaf"
    path.write_bytes(change_aaf(change_sheet(comparison(start_timecode="10:00:00:00"))))
    with aaf2.open(str(path), "r") as f:
        mobs = {type(mob).__name__: mob for mob in f.content.mobs}
        [composition] = list(f.content.compositionmobs())
        [master] = list(f.content.mastermobs())
        timecode, sound = composition.slots
        assert (timecode.segment.start, timecode.segment.fps, timecode.segment.drop) == (90_000, 25, False)
        assert float(sound.edit_rate) == 25.0 and sound.media_kind == "Sound"
        parts = [
            (type(part).__name__, part.start if hasattr(part, "start") else None, part.length)
            for part in sound.segment.components
        ]
        assert parts == [
            ("SourceClip", 0, 250),
            ("SourceClip", 300, 100),
            ("Filler", None, 75),
            ("SourceClip", 400, 100),
        ]
        assert all(part.mob is master for part in sound.segment.components if type(part).__name__ == "SourceClip")
        # The master reads the file mob (v1's sound, 48 kHz, relinked by name), which reads the tape at v1's timecode.
        file_clip = master.slots[0].segment
        source = file_clip.mob
        assert source.descriptor["SampleRate"].value == 48_000 and source.descriptor.length == 20 * 48_000
        assert source.descriptor["Locator"][0]["URLString"].value == "Reel 1 v1.wav"
        tape = source.slots[0].segment.mob
        assert source.slots[0].segment.start == 36_000 * 48_000 // 1  # 10:00:00:00 in samples
        assert [slot.segment.start for slot in tape.slots if slot.media_kind == "Timecode"] == [900_000]
        assert "SourceMob" in mobs


def test_a_speed_change_is_an_m2_line_in_the_edl_and_a_time_warp_in_otio() -> None:
    video_a = VideoFactory(title="Reel 2", duration=20.0, fps=25.0, comparable=True)
    video_b = VideoFactory(title="Reel 2 fast", duration=18.0, fps=25.0, comparable=True, owner=video_a.owner)
    # v1 10-20 s played in 8 s on v2: 1.25x.
    row = ComparisonFactory(
        owner=video_a.owner,
        video_a=video_a,
        video_b=video_b,
        matched_spans=[[0.0, 10.0, 0.0, 10.0], [10.0, 20.0, 10.0, 18.0]],
    )
    sheet = change_sheet(row)

    edl = change_edl(sheet)
    assert "M2   REEL2    " in edl and "31.2                01:00:10:00" in edl  # 25 fps x 1.25
    read_back = otio.adapters.read_from_string(edl, "cmx_3600", rate=25)  # held: its tracks live while it does
    [video] = [track for track in read_back.tracks if track.kind == otio.schema.TrackKind.Video]
    [warp] = video[1].effects
    assert warp.time_scalar == pytest.approx(1.25, abs=0.01)
    timeline = otio.adapters.read_from_string(change_otio(sheet), "otio_json")
    [warp] = timeline.tracks[0][1].effects
    assert warp.time_scalar == 1.25 and timeline.tracks[0][1].range_in_parent().duration.to_frames() == 200


def test_at_29_97_a_speed_events_edl_reads_back_too() -> None:
    video_a = VideoFactory(title="Reel 3", duration=20.02, fps=29.97, comparable=True)
    video_b = VideoFactory(title="Reel 3 fast", duration=18.018, fps=29.97, comparable=True, owner=video_a.owner)
    spans = [[0.0, 10.01, 0.0, 10.01], [10.01, 20.02, 10.01, 18.018]]
    row = ComparisonFactory(owner=video_a.owner, video_a=video_a, video_b=video_b, matched_spans=spans)

    edl = change_edl(change_sheet(row))

    assert "FCM: DROP FRAME" in edl and "01:00:10;00 01:00:20;00 01:00:10;00 01:00:18;00" in edl
    read_back = otio.adapters.read_from_string(edl, "cmx_3600", rate=30000 / 1001)
    [video] = [track for track in read_back.tracks if track.kind == otio.schema.TrackKind.Video]
    [warp] = video[1].effects
    assert warp.time_scalar == pytest.approx(1.25, abs=0.01)
