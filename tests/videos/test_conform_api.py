"""The change list through the API: its JSON as the schema documents it, its files, who may read them,
and what a comparison with nothing to read answers."""

from __future__ import annotations

import opentimelineio as otio
import pytest
from django.urls import reverse

from tests.clients import client_in
from tests.factories import CommentFactory, ShareLinkFactory, UserFactory
from tests.videos.conform_pair import made
from tests.videos.test_comparisons import conforms, openapi  # noqa: F401 -- the `openapi` fixture

pytestmark = pytest.mark.django_db


def test_the_change_list_json_lists_every_event_with_timecodes_offsets_and_its_comments(openapi) -> None:  # noqa: F811
    comparison = made()
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    CommentFactory(link=link, side="b", start=15.0, body="Music sting here?")  # in the insertion, v2 14-17 s
    CommentFactory(link=link, side="a", start=11.0, body="Keep this line")  # in the removed v1 10-12 s

    response = client_in(comparison.owner).get(reverse("api-comparison-changes", args=[comparison.pk]))

    assert response.status_code == 200
    body = response.json()
    conforms(openapi, "ChangeListOutput", body)
    assert [(event["kind"], event["v2_in"], event["offset_frames"], event["comments"]) for event in body["events"]] == [
        ("kept", "01:00:00:00", 0, 0),
        ("removed", "01:00:10:00", -50, 1),
        ("kept", "01:00:10:00", -50, 0),
        ("inserted", "01:00:14:00", 25, 1),
        ("kept", "01:00:17:00", 25, 0),
    ]
    assert body["v1"]["start_timecode"] == "01:00:00:00" and body["v1"]["start_from_file"] is False
    assert body["counts"] == {"kept": 3, "removed": 1, "inserted": 1}


def test_each_file_downloads_and_reads_back() -> None:
    comparison = made()
    client = client_in(comparison.owner)

    edl = client.get(reverse("api-comparison-change-file", args=[comparison.pk, "edl"]))
    otio_file = client.get(reverse("api-comparison-change-file", args=[comparison.pk, "otio"]))
    csv_file = client.get(reverse("api-comparison-change-file", args=[comparison.pk, "csv"]))

    assert edl["Content-Disposition"] == f'attachment; filename="comparison-{comparison.pk}-changes.edl"'
    timeline = otio.adapters.read_from_string(edl.content.decode(), "cmx_3600", rate=25)
    assert len(list(timeline.find_clips())) == 4 * 3  # four events on V, A1 and A2
    assert otio.adapters.read_from_string(otio_file.content.decode(), "otio_json").duration().to_frames() == 525
    assert csv_file.content.decode("utf-8-sig").splitlines()[0].startswith("event,kind,v1_in")
    aaf = client.get(reverse("api-comparison-change-file", args=[comparison.pk, "aaf"]))
    assert aaf["Content-Type"] == "application/octet-stream"
    assert aaf.content[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # a compound file, as every AAF is


def test_another_person_gets_404_for_the_list_and_every_file() -> None:
    comparison = made()
    stranger = client_in(UserFactory())

    assert stranger.get(reverse("api-comparison-changes", args=[comparison.pk])).status_code == 404
    for file_type in ("edl", "csv", "otio", "aaf"):
        assert stranger.get(reverse("api-comparison-change-file", args=[comparison.pk, file_type])).status_code == 404


def test_a_comparison_with_no_result_or_unreadable_videos_says_so() -> None:
    waiting = made(engine=0, matched_spans=[])
    unreadable = made(unreadable=True)
    older = made(engine=1, matched_spans=[])  # the clip grid's: recomputed by the current engine

    for comparison, code in ((waiting, "no_result"), (unreadable, "unreadable"), (older, "recomputing")):
        response = client_in(comparison.owner).get(reverse("api-comparison-changes", args=[comparison.pk]))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == code
        assert "compare" in response.json()["error"]["message"]
