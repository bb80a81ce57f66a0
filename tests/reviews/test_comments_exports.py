"""Reviewers' comments go out with the owner's files: the notes' exports and the comparison's report."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from reviews.comments import comment_create_by_guest, comment_reply_by_owner
from tests.factories import ComparisonFactory, NoteFactory, ShareLinkFactory, member_in

pytestmark = pytest.mark.django_db

KEY = "k" * 40


def owner_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_videos_notes_export_has_its_reviewers_comments_in_a_section_of_their_own():
    comparison = ComparisonFactory()
    video = comparison.video_a
    NoteFactory(owner=video.owner, video=video, start=1.0, text="My own note")
    link = ShareLinkFactory(video=video, permission="comment")
    made = comment_create_by_guest(
        link=link, reviewer_key=KEY, body="Colour is off", author_name="Ana", side="video", start=4.0
    ).comment
    comment_reply_by_owner(member=member_in(video.owner), comment=made, body="Regraded")
    # A comment on a comparison the video is in is not the video's.
    comparison_link = ShareLinkFactory(comparison=comparison, permission="comment")
    comment_create_by_guest(link=comparison_link, reviewer_key=KEY, body="On A", author_name="Bo", side="a", start=1.0)
    client = owner_client(video.owner)

    markdown = client.get(f"/api/v1/videos/{video.pk}/notes/export.md").content.decode()
    exported = json.loads(client.get(f"/api/v1/videos/{video.pk}/notes/export.json").content)

    notes_part, comments_part = markdown.split("## Reviewers' comments")
    assert "My own note" in notes_part and "Colour is off" not in notes_part
    assert "**Ana**: Colour is off" in comments_part and "  - **" in comments_part and "Regraded" in comments_part
    assert "On A" not in markdown
    [entry] = exported["videos"]
    assert [n["text"] for n in entry["notes"]] == ["My own note"]
    assert [(c["body"], c["parent"]) for c in entry["comments"]] == [("Colour is off", None), ("Regraded", made.pk)]


def test_the_comparison_report_carries_its_comments_in_json_and_csv():
    comparison = ComparisonFactory()
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    comment_create_by_guest(link=link, reviewer_key=KEY, body="Logo, too big", author_name="Ana", side="b", start=3.0)
    client = owner_client(comparison.owner)

    exported = client.get(f"/api/v1/comparisons/{comparison.pk}/export.json").json()
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/api/v1/comparisons/{comparison.pk}/export.csv").content.decode()))
    )

    assert [(c["side"], c["start"], c["body"], c["author_name"]) for c in exported["comments"]] == [
        ("b", 3.0, "Logo, too big", "Ana")
    ]
    [row] = [row for row in rows if row["record"] == "comment"]
    assert (row["b_start"], row["body"], row["author_name"], row["a_start"]) == ("3.0", "Logo, too big", "Ana", "")
