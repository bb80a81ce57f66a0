"""Marker files put each marker on the frame the editor saw (`sage.timebase`): a comment on the frame
on screen when it was made, a finding on the boundary nearest its edges, with the same rule at every
rate, read from the CSV export as an editor's spreadsheet or script would."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from reviews.comments import comment_create_by_guest
from tests.factories import ComparisonFactory, ShareLinkFactory

pytestmark = pytest.mark.django_db


def markers_csv(comparison, **query: str) -> list[dict[str, str]]:
    client = Client()
    client.force_login(comparison.owner)
    response = client.get(reverse("api-comparison-markers", args=[comparison.pk, "csv"]), query)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def comparison_at(fps: float, segments: list[dict]) -> object:
    comparison = ComparisonFactory(refined=True, segments=segments)
    comparison.video_b.fps = fps
    comparison.video_b.duration = 60.0
    comparison.video_b.save()
    return comparison


def comment_on_b(comparison, start: float, end: float | None = None) -> None:
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    comment_create_by_guest(
        link=link, reviewer_key="k" * 40, body="Here", author_name="Ana", side="b", start=start, end=end
    )


def only_b(b_start: float, b_end: float) -> dict:
    return {"kind": "only_b", "a_start": 10.0, "a_end": 10.0, "b_start": b_start, "b_end": b_end, "peak": None,
            "mean": None, "severity": None, "picture": None, "sound": None}  # fmt: skip


def test_a_comment_made_at_3_s_at_29_97_is_on_the_frame_the_player_showed() -> None:
    comparison = comparison_at(29.97002997, [])
    comment_on_b(comparison, 3.0)  # frame 89 (02;29) is on screen until 3.003 s

    [row] = markers_csv(comparison, include="comments")

    assert row["start"] == "01:00:02;29"
    assert row["duration_frames"] == "1"


@pytest.mark.parametrize(("fps", "frames"), [(25.0, "25"), (15.0, "15"), (29.97002997, "30"), (24.0, "24")])
def test_a_one_second_comment_range_is_a_second_of_frames_at_every_rate(fps, frames) -> None:
    comparison = comparison_at(fps, [])
    comment_on_b(comparison, 9.5, 10.5)

    [row] = markers_csv(comparison, include="comments")

    assert row["duration_frames"] == frames


def test_comments_in_the_middle_of_a_frame_are_that_frame_whatever_the_rounding() -> None:
    comparison = comparison_at(25.0, [])
    comment_on_b(comparison, 9.5)  # frame 237 (09:12) is on screen from 9.48 to 9.52 s
    comment_on_b(comparison, 22.5)  # frame 562 (22:12)

    starts = [row["start"] for row in markers_csv(comparison, include="comments")]

    assert starts == ["01:00:09:12", "01:00:22:12"]


def test_a_finding_is_marked_on_the_boundary_nearest_its_edges() -> None:
    # 100 inserted frames at 25 fps from frame 400 (16:00), edges as the engine gives them, a few
    # milliseconds off the boundaries.
    comparison = comparison_at(25.0, [only_b(15.996, 20.003)])

    [row] = markers_csv(comparison, include="differences")

    assert (row["start"], row["end"], row["duration_frames"]) == ("01:00:16:00", "01:00:20:00", "100")
