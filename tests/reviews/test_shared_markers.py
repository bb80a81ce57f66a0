"""A share link's guests export what their link shows them as markers for an editing program (the
policy's `video.view`, which lets a link's guests "export markers"): the comparison's differences and
their link's thread, not the members' comments or another link's; nothing once the link is revoked,
and nothing the link does not reach."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from reviews.comments import comment_create_by_guest
from reviews.member_comments import comment_create_by_member
from reviews.presenters import share_link_path
from reviews.services import share_link_revoke
from tests.factories import ComparisonFactory, ProjectFactory, ShareLinkFactory, VideoFactory, member_in
from videos.models import Comparison

pytestmark = pytest.mark.django_db

KEY = "k" * 40


def notes_of(csv_text: str) -> list[str]:
    rows = csv.DictReader(io.StringIO(csv_text.removeprefix("\ufeff")))
    return [row["note"] for row in rows if row["name"].startswith("Comment:")]


@pytest.fixture
def comparison() -> Comparison:
    return ComparisonFactory(refined=True)


def test_a_guest_downloads_the_markers_with_their_links_thread_only(comparison: Comparison) -> None:
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    other = ShareLinkFactory(comparison=comparison, permission="comment")
    comment_create_by_guest(link=link, reviewer_key=KEY, body="Logo too big", author_name="Ana", side="b", start=6.0)
    comment_create_by_guest(link=other, reviewer_key=KEY, body="Other round", author_name="Bo", side="b", start=7.0)
    comment_create_by_member(
        member=member_in(comparison.owner), shared=comparison, side="b", start=8.0, body="Members only"
    )
    guest = Client()

    page = guest.get(share_link_path(link.token)).content.decode()
    url = reverse("shared:markers", args=[link.token, "csv"])
    assert f'href="{url}?side=b"' in page  # the shared page offers the files
    response = guest.get(url, {"side": "b"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="comparison-{comparison.pk}-markers-b.csv"'
    assert response["Referrer-Policy"] == "same-origin"
    assert notes_of(response.content.decode()) == ["Logo too big"]
    edl = guest.get(reverse("shared:markers", args=[link.token, "edl"]))
    assert edl.status_code == 200 and "Logo too big" in edl.content.decode()


def test_no_markers_once_revoked_nor_for_what_the_link_does_not_reach(comparison: Comparison) -> None:
    link = ShareLinkFactory(comparison=comparison)
    url = reverse("shared:markers", args=[link.token, "edl"])
    guest = Client()
    assert guest.get(url).status_code == 200
    assert guest.get(reverse("shared:markers", args=[link.token, "exe"])).status_code == 404
    share_link_revoke(link=link)
    assert guest.get(url).status_code == 404

    video_link = ShareLinkFactory(video=VideoFactory(ready=True))
    assert guest.get(reverse("shared:markers", args=[video_link.token, "edl"])).status_code == 404  # no comparison

    project = ProjectFactory(created_by=comparison.owner, workspace=comparison.workspace)
    inside = ComparisonFactory(refined=True, owner=comparison.owner, workspace=comparison.workspace, project=project)
    project_link = ShareLinkFactory(project=project)
    reached = reverse("shared:project-comparison-markers", args=[project_link.token, inside.pk, "csv"])
    outside = reverse("shared:project-comparison-markers", args=[project_link.token, comparison.pk, "csv"])
    assert guest.get(reached).status_code == 200
    assert guest.get(outside).status_code == 404
