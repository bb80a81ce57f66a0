"""A comparison's differences as markers for editing programs (EDL, FCPXML, CSV): each file is read
back with OpenTimelineIO (and its XML or CSV where OTIO drops a field) and its markers' frames,
names and notes checked; the API's ownership and the page's links. Each format against its
specification: tests/videos/test_marker_formats.py.

The comparison is the factory's refined row: A 20 s, B 23.4 s, at 25 fps; differences on B at
0–1.4 (only B), 5.637–8.337 (picture, low), 11–13 (only B) and 18.44–20.94 (both, high)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ElementTree
from fractions import Fraction

import opentimelineio as otio
import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ComparisonFactory, UserFactory, member_in, owner_actor
from videos.compare.markers import TimedMarker, comparison_markers_file, write_markers

pytestmark = pytest.mark.django_db

# (start frame, duration in frames, name) of each marker on B's timeline at 25 fps.
ON_B = [
    (0, 35, "1. Only in B"),
    (141, 67, "2. Picture differs (low)"),
    (275, 50, "3. Only in B"),
    (461, 63, "4. Picture and sound differ (high)"),
]
NOTES_ON_B = [
    "B 00:00.0-00:01.4; not in A",
    "A 00:04.2-00:06.9 = B 00:05.6-00:08.3; picture 0.18, sound 0.01; only B says: garage",
    "B 00:11.0-00:13.0; not in A",
    "A 00:15.0-00:17.5 = B 00:18.4-00:20.9; picture 0.87, sound 0.66",
]


# Timecode counts from 01:00:00:00 (Resolve's timelines start there): frame 90000 at 25 fps.
HOUR_AT_25 = 90000
# Resolve's marker line; OpenTimelineIO keeps it as a comment without its leading space.
RESOLVE_LINE = re.compile(r"^(.*?) ?\|C:ResolveColor(\w+) \|M:(.*) \|D:(\d+)$")


def edl_markers(edl: str, rate: float = 25) -> list[tuple[int, str, str, str, int]]:
    """(frame from the video's start, note, colour, name, length) of each marker in a marker EDL, its
    events and `* LOC:` locators read back by OpenTimelineIO; Resolve's line gives the colour and
    length, the `* COMMENT:` lines the note."""
    drop_frame = "FCM: DROP FRAME" in edl
    hour = otio.opentime.from_timecode("01:00:00;00" if drop_frame else "01:00:00:00", rate).value
    markers = []
    for clip in otio.adapters.read_from_string(edl, "cmx_3600", rate=rate).find_clips():
        resolve_line, *notes = clip.metadata["cmx_3600"]["comments"]
        match = RESOLVE_LINE.match(resolve_line)
        assert match, clip.metadata
        _, colour, name, length = match.groups()
        if not drop_frame:  # OTIO reads locators written HH:MM:SS:FF only
            [locator] = clip.markers
            assert (locator.name, locator.marked_range.start_time) == (name, clip.source_range.start_time)
        note = " ".join(line.removeprefix("COMMENT: ") for line in notes)
        markers.append((round(clip.source_range.start_time.value - hour), note, colour, name, int(length)))
    return markers


def csv_rows(text: str) -> list[dict[str, str]]:
    # The marker CSV starts with a byte order mark, for Excel.
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def markers_url(comparison, file_type: str) -> str:
    return reverse("api-comparison-markers", args=[comparison.pk, file_type])


def only_clip(timeline: otio.schema.Timeline) -> otio.schema.Clip:
    [clip] = timeline.find_clips()
    return clip


def frames(marker: otio.schema.Marker, rate: float) -> tuple[int, int]:
    marked = marker.marked_range
    return round(marked.start_time.rescaled_to(rate).value), round(marked.duration.rescaled_to(rate).value)


@pytest.fixture
def comparison():
    row = ComparisonFactory(refined=True)
    row.word_changes = {"1": {"removed": [], "added": ["garage"]}}
    row.save()
    return row


def test_the_edl_has_a_resolve_marker_per_difference_on_b_at_its_frame(comparison) -> None:
    edl = comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type="edl")

    timeline = otio.adapters.read_from_string(edl, "cmx_3600", rate=25)
    assert timeline.name == f"SAGE comparison {comparison.pk} - markers on B: Refined B"
    # A one-frame event per marker; its line gives the note, colour, name and length in frames.
    assert edl_markers(edl) == [
        (start, note, colour, name, length)
        for (start, length, name), note, colour in zip(
            ON_B, NOTES_ON_B, ["Yellow", "Blue", "Yellow", "Purple"], strict=True
        )
    ]
    assert "002  001      V     C        01:00:05:16 01:00:05:17 01:00:05:16 01:00:05:17" in edl


def test_the_fcpxml_has_a_marker_per_difference_with_its_duration_and_note(comparison) -> None:
    fcpxml = comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type="fcpxml")

    timeline = otio.adapters.read_from_string(fcpxml, "fcpx_xml")
    assert timeline.name == f"SAGE comparison {comparison.pk} - markers on B: Refined B"
    markers = only_clip(timeline).markers
    assert [(*frames(m, 25), m.name) for m in markers] == ON_B
    # OTIO's reader drops a marker's note; Final Cut reads it from the element.
    notes = [element.get("note") for element in ElementTree.fromstring(fcpxml).iter("marker")]
    assert notes == NOTES_ON_B
    assert 'frameDuration="1/25s"' in fcpxml


def test_the_csv_has_a_row_per_marker_with_timecode_at_the_frame(comparison) -> None:
    rows = csv_rows(comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type="csv"))

    assert [
        (
            otio.opentime.from_timecode(row["start"], 25).value - HOUR_AT_25,
            int(row["duration_frames"]),
            otio.opentime.from_timecode(row["end"], 25).value - otio.opentime.from_timecode(row["start"], 25).value,
            row["name"],
        )
        for row in rows
    ] == [(start, length, length, name) for start, length, name in ON_B]
    assert [row["note"] for row in rows] == NOTES_ON_B
    assert {row["timeline"] for row in rows} == {f"SAGE comparison {comparison.pk} - markers on B: Refined B"}


def test_on_a_what_b_inserted_is_a_one_frame_point_where_it_sits(comparison) -> None:
    fcpxml = comparison_markers_file(comparison, actor=owner_actor(comparison), side="a", file_type="fcpxml")

    timeline = otio.adapters.read_from_string(fcpxml, "fcpx_xml")
    assert timeline.name.endswith("markers on A: Refined A")
    markers = only_clip(timeline).markers
    # A's times: 0 (B's lead-in), 4.237–6.937, 9.6 (B's inserted 2 s), 15.04–17.54.
    assert [frames(m, 25) for m in markers] == [(0, 1), (106, 67), (240, 1), (376, 62)]
    notes = [element.get("note") for element in ElementTree.fromstring(fcpxml).iter("marker")]
    assert notes[2] == "2.0 s of B inserted here (B 00:11.0-00:13.0)"


def test_markers_sit_on_the_ntsc_rate_of_the_video_as_exact_frames(comparison) -> None:
    comparison.video_b.fps = 29.97002997  # as measured from a 30000/1001 file
    comparison.video_b.save()

    fcpxml = comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type="fcpxml")
    edl = comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type="edl")

    assert 'frameDuration="1001/30000s"' in fcpxml
    expected = [0, 169, 330, 553]  # round(seconds × 30000/1001)
    # OTIO's FCPXML reader rounds the rate down to 29 fps: the times are read from the XML instead,
    # and each start is a whole number of 1001/30000 s frames.
    starts = [
        Fraction(element.get("start", "").removesuffix("s"))
        for element in ElementTree.fromstring(fcpxml).iter("marker")
    ]
    assert [start * Fraction(30000, 1001) for start in starts] == expected
    # Drop-frame timecode, as 29.97 timelines count: read back at 30000/1001.
    assert [marker[0] for marker in edl_markers(edl, rate=30000 / 1001)] == expected
    assert "FCM: DROP FRAME" in edl and " 01:00:05;19 01:00:05;20 " in edl
    rows = csv_rows(comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type="csv"))
    hour = otio.opentime.from_timecode("01:00:00;00", 30000 / 1001).value
    assert [otio.opentime.from_timecode(row["start"], 30000 / 1001).value - hour for row in rows] == expected
    assert rows[1]["start_seconds"] == "5.639"  # 169 × 1001/30000 s


def test_any_timed_markers_can_be_written_so_review_comments_can_join(comparison) -> None:
    comment = TimedMarker(side="b", start=2.0, end=2.0, name="Sam", note="Logo\ntoo late", colour="GREEN")

    fcpxml = write_markers(
        video=comparison.video_b, side="b", name="Review of B", markers=[comment], file_type="fcpxml"
    )

    [marker] = only_clip(otio.adapters.read_from_string(fcpxml, "fcpx_xml")).markers
    assert (frames(marker, 25), marker.name) == ((50, 1), "Sam")
    assert [element.get("note") for element in ElementTree.fromstring(fcpxml).iter("marker")] == ["Logo too late"]
    with pytest.raises(ValueError):
        write_markers(video=comparison.video_a, side="a", name="A", markers=[comment], file_type="csv")


@pytest.mark.parametrize(
    ("file_type", "content_type"),
    [
        ("edl", "text/plain"),
        ("xml", "application/xml"),
        ("fcpxml", "application/xml"),
        ("txt", "text/plain"),
        ("otio", "application/json"),
        ("csv", "text/csv"),
    ],
)
def test_the_owner_downloads_each_marker_file_for_either_side(comparison, file_type, content_type) -> None:
    client = client_for(comparison.owner)

    on_b = client.get(markers_url(comparison, file_type))
    on_a = client.get(markers_url(comparison, file_type), {"side": "a"})

    assert on_b.status_code == on_a.status_code == 200
    assert on_b["Content-Type"].startswith(content_type)
    assert f'filename="comparison-{comparison.pk}-markers-b.{file_type}"' in on_b["Content-Disposition"]
    if file_type == "txt":  # Avid's marker text has no title: a line per marker
        assert on_b.content.decode() != on_a.content.decode() and "1. Only in B" in on_b.content.decode()
    else:
        assert "markers on B: Refined B" in on_b.content.decode()
        assert "markers on A: Refined A" in on_a.content.decode()


def test_another_person_gets_404_and_a_bad_side_400(comparison) -> None:
    stranger = client_for(UserFactory())

    for file_type in ("edl", "xml", "fcpxml", "txt", "otio", "csv"):
        assert stranger.get(markers_url(comparison, file_type)).status_code == 404
    assert client_for(comparison.owner).get(markers_url(comparison, "edl"), {"side": "c"}).status_code == 400


def test_the_shared_sample_markers_are_readable_by_anyone() -> None:
    sample = ComparisonFactory(refined=True, owner=UserFactory(is_sample_owner=True))

    response = client_for(UserFactory()).get(markers_url(sample, "fcpxml"))

    assert response.status_code == 200
    assert "markers on B: Refined B" in response.content.decode()


def test_the_page_links_the_marker_files_for_b_then_a(comparison) -> None:
    html = client_for(comparison.owner).get(reverse("compare:comparison", args=[comparison.pk])).content.decode()

    links = [
        f'href="/api/v1/comparisons/{comparison.pk}/markers.{ft}?side={side}"'
        for side in "ba"
        for ft in ("edl", "xml", "fcpxml", "txt", "otio", "csv")
    ]
    positions = [html.find(link) for link in links]
    assert -1 not in positions and positions == sorted(positions)


def test_the_schema_documents_the_marker_export() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/comparisons/{comparison_id}/markers.{file_type}"]["get"]

    assert "|C:" in operation["description"] and "Final Cut" in operation["description"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert sorted(parameters["file_type"]["schema"]["enum"]) == ["csv", "edl", "fcpxml", "otio", "txt", "xml"]
    assert parameters["side"]["schema"]["enum"] == ["a", "b"]
    assert parameters["start_timecode"]["schema"]["default"] == "01:00:00:00"
    assert set(operation["responses"]["200"]["content"]) == {
        "text/csv",
        "text/plain",
        "application/xml",
        "application/json",
        "application/zip",
    }


# --- reviewers' comments as markers --------------------------------------------------------------


@pytest.fixture
def commented(comparison):
    """Two threads on B (one resolved, with a reply) and one on A, through a share link."""
    from reviews.comments import comment_create_by_guest, comment_reply_by_owner, comment_set_resolved
    from tests.factories import ShareLinkFactory

    link = ShareLinkFactory(comparison=comparison, permission="comment")
    key = "k" * 40
    logo = comment_create_by_guest(
        link=link,
        reviewer_key=key,
        body="The logo is far too big here",
        author_name="Ana",
        side="b",
        start=6.0,
        end=8.0,
    ).comment
    comment_reply_by_owner(member=member_in(comparison.owner), comment=logo, body="Smaller in v3")
    comment_set_resolved(comment=logo, resolved=True)
    comment_create_by_guest(link=link, reviewer_key=key, body="Cut here?", author_name="Bo", side="b", start=12.0)
    comment_create_by_guest(link=link, reviewer_key=key, body="Keep this shot", author_name="Ana", side="a", start=2.0)
    return comparison


def test_comments_on_b_join_the_differences_in_every_file_in_their_own_colour(commented) -> None:
    edl = comparison_markers_file(commented, actor=owner_actor(commented), side="b", file_type="edl")
    fcpxml = comparison_markers_file(commented, actor=owner_actor(commented), side="b", file_type="fcpxml")
    rows = csv_rows(comparison_markers_file(commented, actor=owner_actor(commented), side="b", file_type="csv"))

    from_edl = edl_markers(edl)
    from_fcpxml = only_clip(otio.adapters.read_from_string(fcpxml, "fcpx_xml")).markers
    comments_fcpxml = [(*frames(m, 25), m.name) for m in from_fcpxml if m.name.startswith("Comment:")]
    assert comments_fcpxml == [(150, 50, "Comment: Ana"), (300, 1, "Comment: Bo")]
    assert len(from_fcpxml) == len(ON_B) + 2
    # Resolve has no orange: the comments' colour there is its sand.
    edl_comments = [marker for marker in from_edl if marker[3].startswith("Comment:")]
    assert [(frame, colour, name) for frame, _, colour, name, _ in edl_comments] == [
        (150, "Sand", "Comment: Ana"),
        (300, "Sand", "Comment: Bo"),
    ]
    assert "Smaller in v3" in edl_comments[0][1] and "(resolved)" in edl_comments[0][1]
    # Differences never use the comments' colour.
    assert {colour for _, _, colour, name, _ in from_edl if not name.startswith("Comment:")} <= {
        "Yellow",
        "Blue",
        "Purple",
        "Cyan",
        "Pink",
    }
    notes = {element.get("value"): element.get("note") for element in ElementTree.fromstring(fcpxml).iter("marker")}
    assert notes["Comment: Ana"] == (
        "The logo is far too big here | Owner: Smaller in v3 | (resolved)"
        if commented.owner.display_name == ""
        else f"The logo is far too big here | {commented.owner.display_name}: Smaller in v3 | (resolved)"
    )
    assert [row["name"] for row in rows if row["colour"] == "ORANGE"] == ["Comment: Ana", "Comment: Bo"]


def test_include_picks_differences_or_comments(commented) -> None:
    client = client_for(commented.owner)

    only_comments = client.get(markers_url(commented, "csv"), {"side": "a", "include": "comments"})
    only_differences = client.get(markers_url(commented, "csv"), {"include": "differences"})

    assert [(row["name"], row["note"]) for row in csv_rows(only_comments.content.decode())] == [
        ("Comment: Ana", "Keep this shot")
    ]
    names = [row["name"] for row in csv_rows(only_differences.content.decode())]
    assert names == [name for _, _, name in ON_B]
    refused = client.get(markers_url(commented, "csv"), {"include": "everything"})
    assert refused.status_code == 400 and "include" in refused.json()["error"]["fields"]
