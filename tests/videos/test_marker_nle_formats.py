"""The marker files each editing program opens, checked against what it reads: FCP7 XML (Premiere
Pro) and OpenTimelineIO JSON read back with OpenTimelineIO's adapters at every rate, Avid Media
Composer's marker text in its six tab-separated columns, an EDL whose notes start with a digit or
a word an EDL reader knows, timecode that wraps at 24 hours, the CSV's byte order mark and the
ZIP with stills for every file type. The EDL's and FCPXML's layout: test_marker_formats.py.

The comparison is the factory's refined row (B 23.4 s); its differences on B start at 0, 5.637, 11
and 18.44 s."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from fractions import Fraction

import opentimelineio as otio
import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ComparisonFactory, UploadFactory, owner_actor
from videos.compare.markers import MARKER_FILE_TYPES, TimedMarker, comparison_markers_file, write_markers
from videos.compare.timecode import TimecodeRate

pytestmark = pytest.mark.django_db

STARTS_ON_B = [0.0, 5.637, 11.0, 18.44]  # seconds
ENDS_ON_B = [1.4, 8.337, 13.0, 20.94]
NAMES_ON_B = ["1. Only in B", "2. Picture differs (low)", "3. Only in B", "4. Picture and sound differ (high)"]
# (measured fps as stored, the exact rate, whether timecode drops frames)
RATES = [
    (15.0, Fraction(15), False),
    (23.976023976, Fraction(24000, 1001), False),
    (24.0, Fraction(24), False),
    (25.0, Fraction(25), False),
    (29.97002997, Fraction(30000, 1001), True),
]
AVID_COLOURS = {"red", "green", "blue", "cyan", "magenta", "yellow", "black", "white"}
TIMECODE = r"\d\d:[0-5]\d:[0-5]\d[:;]\d\d"


@pytest.fixture
def comparison():
    row = ComparisonFactory(refined=True)
    row.video_b.width, row.video_b.height, row.video_b.has_audio = 1920, 1080, True
    row.video_b.save()
    UploadFactory(owner=row.owner, video=row.video_b, filename="Walk take 2 (final cut).mp4")
    return row


def with_rate(comparison, fps: float):
    comparison.video_b.fps = fps
    comparison.video_b.save()
    return comparison


def frames_of(timecode: str, rate: Fraction, drop_frame: bool) -> int:
    """Counts frames as SMPTE 12M does, written out here to check the file, not borrowed from it."""
    hours, minutes, seconds, frames = (int(part) for part in re.split("[:;]", timecode))
    count = ((hours * 60 + minutes) * 60 + seconds) * round(rate) + frames
    if drop_frame:
        total_minutes = hours * 60 + minutes
        count -= 2 * (total_minutes - total_minutes // 10)
    return count


def expected_frames(rate: Fraction) -> list[tuple[int, int]]:
    return [
        (round(start * rate), round(end * rate) - round(start * rate))
        for start, end in zip(STARTS_ON_B, ENDS_ON_B, strict=True)
    ]


# --- Premiere Pro: FCP7 XML ------------------------------------------------------------------------


@pytest.mark.parametrize(("fps", "rate", "drop_frame"), RATES)
def test_the_premiere_xml_is_a_sequence_with_each_marker_at_its_frame(comparison, fps, rate, drop_frame) -> None:
    xml = comparison_markers_file(with_rate(comparison, fps), actor=owner_actor(comparison), side="b", file_type="xml")

    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n')
    document = ElementTree.fromstring(xml)
    assert document.tag == "xmeml"
    [sequence] = document.iter("sequence")
    assert sequence.findtext("name") == f"SAGE comparison {comparison.pk} - markers on B: Refined B"
    # Premiere's rate: whole frames a second, NTSC for the 1000/1001 rates; everywhere in the file.
    ntsc = "TRUE" if rate.denominator == 1001 else "FALSE"
    assert (sequence.findtext("rate/timebase"), sequence.findtext("rate/ntsc")) == (str(round(rate)), ntsc)
    assert {(element.findtext("timebase"), element.findtext("ntsc")) for element in document.iter("rate")} == {
        (str(round(rate)), ntsc)
    }
    # The sequence starts at 01:00:00:00, drop-frame at 29.97.
    timecode = sequence.find("timecode")
    assert timecode is not None
    assert timecode.findtext("string") == ("01:00:00;00" if drop_frame else "01:00:00:00")
    assert timecode.findtext("displayformat") == ("DF" if drop_frame else "NDF")
    assert int(timecode.findtext("frame", "")) == frames_of("01:00:00:00", rate, drop_frame)
    assert sequence.findtext("media/video/format/samplecharacteristics/width") == "1920"
    # Sequence markers (Premiere's timeline markers): name, note, in and out in the sequence's frames.
    markers = sequence.findall("marker")
    assert [marker.findtext("name") for marker in markers] == NAMES_ON_B
    assert [
        (int(marker.findtext("in", "")), int(marker.findtext("out", "")) - int(marker.findtext("in", "")))
        for marker in markers
    ] == expected_frames(rate)
    assert markers[0].findtext("comment") == "B 00:00.0-00:01.4; not in A"
    # Premiere's yellow, blue, yellow, rose, as its own exports write them.
    colours = ["4281049552", "4294741314", "4281049552", "4289825711"]
    assert [marker.findtext("pproColor") for marker in markers] == colours
    [media_file] = document.iter("file")
    assert media_file.findtext("name") == "Walk take 2 (final cut).mp4"
    assert media_file.findtext("pathurl") == "file:./Walk%20take%202%20%28final%20cut%29.mp4"
    # OpenTimelineIO's FCP7 XML reader finds every marker at its frame, at the exact rate.
    timeline = otio.adapters.read_from_string(xml, "fcp_xml")
    read_back = list(timeline.tracks.markers)
    assert [marker.name for marker in read_back] == NAMES_ON_B
    assert [
        (round(marker.marked_range.start_time.value), round(marker.marked_range.duration.value)) for marker in read_back
    ] == expected_frames(rate)
    assert read_back[0].marked_range.start_time.rate == pytest.approx(float(rate))
    assert timeline.global_start_time.value == frames_of("01:00:00:00", rate, drop_frame)


# --- OpenTimelineIO JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(("fps", "rate", "drop_frame"), RATES)
def test_the_otio_file_is_the_timeline_read_back_by_opentimelineio(comparison, fps, rate, drop_frame) -> None:
    text = comparison_markers_file(
        with_rate(comparison, fps), actor=owner_actor(comparison), side="b", file_type="otio"
    )

    timeline = otio.adapters.read_from_string(text, "otio_json")
    assert timeline.name == f"SAGE comparison {comparison.pk} - markers on B: Refined B"
    assert timeline.global_start_time.value == frames_of("01:00:00:00", rate, drop_frame)
    [clip] = timeline.find_clips()
    assert clip.media_reference.target_url == "Walk%20take%202%20%28final%20cut%29.mp4"
    assert [marker.name for marker in clip.markers] == NAMES_ON_B
    assert [
        (marker.marked_range.start_time.value, marker.marked_range.duration.value) for marker in clip.markers
    ] == expected_frames(rate)
    assert {marker.marked_range.start_time.rate for marker in clip.markers} == {float(rate)}
    assert [marker.color for marker in clip.markers] == ["YELLOW", "BLUE", "YELLOW", "PURPLE"]
    assert clip.markers[0].comment == clip.markers[0].metadata["sage"]["note"] == "B 00:00.0-00:01.4; not in A"


# --- Avid Media Composer: marker text --------------------------------------------------------------


@pytest.mark.parametrize(("fps", "rate", "drop_frame"), RATES)
def test_the_avid_text_is_a_tab_separated_line_per_marker_in_avids_columns(comparison, fps, rate, drop_frame) -> None:
    text = comparison_markers_file(with_rate(comparison, fps), actor=owner_actor(comparison), side="b", file_type="txt")

    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.removesuffix("\r\n").split("\r\n")
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == 6 for row in rows)  # user, timecode, track, colour, comment, duration
    users, timecodes, tracks, colours, comments, durations = zip(*rows, strict=True)
    assert set(users) == {"SAGE"} and set(tracks) == {"V1"}
    assert all(re.fullmatch(TIMECODE, timecode) and ((";" in timecode) == drop_frame) for timecode in timecodes)
    one_hour = frames_of("01:00:00:00", rate, drop_frame)
    assert [
        (frames_of(timecode, rate, drop_frame) - one_hour, int(duration))
        for timecode, duration in zip(timecodes, durations, strict=True)
    ] == expected_frames(rate)
    assert set(colours) <= AVID_COLOURS
    assert list(colours) == ["yellow", "blue", "yellow", "magenta"]
    assert comments[0] == "1. Only in B: B 00:00.0-00:01.4; not in A"


def test_a_comment_in_the_avid_text_keeps_its_letters_and_loses_its_tabs(comparison) -> None:
    comment = TimedMarker(side="b", start=2.0, end=2.0, name="Comment: Zoë", note="Logo\ttoo\nbig", colour="ORANGE")

    text = write_markers(video=comparison.video_b, side="b", name="B", markers=[comment], file_type="txt")

    assert text == "SAGE\t01:00:02:00\tV1\tgreen\tComment: Zoë: Logo too big\t1\r\n"


# --- EDL: notes no reader takes for an event, timecode past midnight -------------------------------


def test_an_edl_whose_notes_start_with_a_digit_reads_back_with_every_marker(comparison) -> None:
    # On A, what B inserted is "2.0 s of B inserted here ...": a line starting with a digit.
    edl = comparison_markers_file(comparison, actor=owner_actor(comparison), side="a", file_type="edl")

    timeline = otio.adapters.read_from_string(edl, "cmx_3600", rate=25)
    clips = list(timeline.find_clips())
    markers = [marker for clip in clips for marker in clip.markers]
    assert [marker.name for marker in markers] == [
        "1. Only in B",
        "2. Picture differs (low)",
        "3. Only in B",
        "4. Picture and sound differ (high)",
    ]
    hour = otio.opentime.from_timecode("01:00:00:00", 25).value
    assert [round(marker.marked_range.start_time.value - hour) for marker in markers] == [0, 106, 240, 376]
    assert "COMMENT: 2.0 s of B inserted here (B 00:11.0-00:13.0)" in clips[2].metadata["cmx_3600"]["comments"]


def test_notes_that_look_like_events_or_edl_keywords_stay_notes(comparison) -> None:
    notes = ["3 frames late", "007 is the take", "LOC: 01:00:00:00 RED not a marker", "M2 too fast", "FROM CLIP x"]
    markers = [
        TimedMarker(side="b", start=float(index), end=float(index), name=f"n{index}", note=note, colour="BLUE")
        for index, note in enumerate(notes, start=1)
    ]

    edl = write_markers(video=comparison.video_b, side="b", name="B", markers=markers, file_type="edl")

    clips = list(otio.adapters.read_from_string(edl, "cmx_3600", rate=25).find_clips())
    assert [[marker.name for marker in clip.markers] for clip in clips] == [[f"n{index}"] for index in range(1, 6)]
    assert [clip.metadata["cmx_3600"]["comments"][1] for clip in clips] == [f"COMMENT: {note}" for note in notes]
    assert all(isinstance(clip.media_reference, otio.schema.MissingReference) for clip in clips)


def test_a_long_note_wraps_into_comment_lines_of_at_most_80_characters(comparison) -> None:
    note = "The logo covers the actor's face for most of the shot and the client will notice it at once, so "
    marker = TimedMarker(side="b", start=1.0, end=1.0, name="N" * 60, note=note * 2, colour="BLUE")

    edl = write_markers(video=comparison.video_b, side="b", name="T" * 100, markers=[marker], file_type="edl")

    lines = edl.split("\r\n")
    assert max(len(line) for line in lines) <= 80
    comment_lines = [line for line in lines if line.startswith("* COMMENT: ")]
    assert len(comment_lines) == 2 and comment_lines[-1].endswith("...")


@pytest.mark.parametrize(
    ("fps", "start", "after_three_seconds"),
    [
        (25.0, "23:59:59:24", "00:00:02:24"),
        (29.97002997, "23:59:59:29", "00:00:02;29"),
        (15.0, "23:59:59:14", "00:00:02:14"),
    ],
)
def test_timecode_wraps_at_24_hours(comparison, fps, start, after_three_seconds) -> None:
    marker = TimedMarker(side="b", start=3.0, end=3.0, name="late", note="", colour="BLUE")
    video = with_rate(comparison, fps).video_b

    files = {
        file_type: write_markers(
            video=video, side="b", name="B", markers=[marker], file_type=file_type, start_timecode=start
        )
        for file_type in ("edl", "txt", "csv")
    }

    assert f"* LOC: {after_three_seconds} " in files["edl"]
    assert f"\t{after_three_seconds}\t" in files["txt"]
    assert f",{after_three_seconds}," in files["csv"]
    assert not re.search(r"\b2[4-9]:\d\d:\d\d", "".join(files.values()))


def test_the_day_has_the_frames_smpte_counts() -> None:
    drop = TimecodeRate(Fraction(30000, 1001))

    assert drop.frames_per_day == 2589408  # 24 × 107892
    assert drop.timecode(drop.frames_per_day - 1) == "23:59:59;29"
    assert drop.timecode(drop.frames_per_day) == "00:00:00;00"
    assert TimecodeRate(Fraction(25)).timecode(25 * 86400 + 74) == "00:00:02:24"


# --- CSV and the ZIP with stills -------------------------------------------------------------------


def test_the_csv_starts_with_a_byte_order_mark_so_excel_reads_utf_8(comparison) -> None:
    marker = TimedMarker(side="b", start=1.0, end=1.0, name="Comment: Zoë", note="=1+1", colour="ORANGE")
    client = Client()
    client.force_login(comparison.owner)

    text = write_markers(video=comparison.video_b, side="b", name="B", markers=[marker], file_type="csv")
    response = client.get(reverse("api-comparison-markers", args=[comparison.pk, "csv"]))

    assert text.startswith("\ufeffname,start,")
    assert "Comment: Zoë,01:00:01:00," in text and ",'=1+1," in text  # a formula stays text
    assert response.content.startswith(b"\xef\xbb\xbfname,")
    assert text.encode("utf-8").decode("utf-8-sig").startswith("name,")


@pytest.mark.parametrize("file_type", MARKER_FILE_TYPES)
def test_every_marker_file_comes_in_the_zip_with_stills(comparison, file_type) -> None:
    client = Client()
    client.force_login(comparison.owner)

    response = client.get(reverse("api-comparison-markers", args=[comparison.pk, file_type]), {"stills": "1"})

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f"markers-b-{file_type}-stills.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == [f"comparison-{comparison.pk}-markers-b.{file_type}"]
    assert archive.read(archive.namelist()[0]).decode("utf-8") == comparison_markers_file(
        comparison, actor=owner_actor(comparison), side="b", file_type=file_type
    )
