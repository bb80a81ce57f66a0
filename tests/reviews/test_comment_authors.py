"""A member's comment and note name the person who wrote them (issue 65): their display name, else
their e-mail's name part; never "Owner" for everyone. The same name on the members' API, a link's
guests' thread, the live push and the marker export; a guest's comment keeps the guest's name."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from reviews.comments import comment_create_by_guest
from reviews.member_comments import comment_create_by_member
from tests.factories import (
    ComparisonFactory,
    NoteFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
    member_in,
    team_member,
)
from workspaces.current import SESSION_KEY
from workspaces.models import Role

pytestmark = pytest.mark.django_db

KEY = "k" * 40


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the guests' rate counts
    yield
    cache.clear()


def member_client(user, team_id: int) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = team_id
    session.save()
    return client


def test_members_comments_are_signed_by_the_person_everywhere():
    team = TeamWorkspaceFactory()
    owner = team.created_by
    comparison = ComparisonFactory(owner=owner, workspace=team, video_a__workspace=team, video_b__workspace=team)
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    # An editor with no display name: signed with the e-mail's name part. A commenter with one: by it.
    editor = team_member(team, Role.EDITOR, email="dana.editor@studio.example")
    editor.display_name = ""
    editor.save()
    commenter = team_member(team, Role.COMMENTER)
    commenter.display_name = "Carla Ruiz"
    commenter.save()

    comment_create_by_member(
        member=member_in(editor, team.pk), shared=comparison, side="a", start=1.0, body="Trim", link_id=link.pk
    )
    comment_create_by_member(member=member_in(commenter, team.pk), shared=comparison, side="b", start=2.0, body="Cut")
    comment_create_by_guest(link=link, reviewer_key=KEY, body="Logo", author_name="Ana (client)", side="b", start=3.0)

    results = member_client(owner, team.pk).get(f"/api/v1/comparisons/{comparison.pk}/comments").json()["results"]
    assert {c["body"]: (c["author_name"], c["by_owner"]) for c in results} == {
        "Trim": ("dana.editor", True),
        "Cut": ("Carla Ruiz", True),
        "Logo": ("Ana (client)", False),
    }
    # The link's guests read the editor's comment put on their thread under the editor's name.
    guest = Client(headers={"X-Reviewer-Key": KEY}, REMOTE_ADDR="203.0.113.5")
    on_thread = guest.get(f"/api/v1/shared/{link.token}/comments").json()["results"]
    assert {c["body"]: c["author_name"] for c in on_thread} == {"Trim": "dana.editor", "Logo": "Ana (client)"}
    # The marker export (markers on each side) names each author.
    owners = member_client(owner, team.pk)
    url = reverse("api-comparison-markers", args=[comparison.pk, "csv"])
    on_a, on_b = (owners.get(url, {"side": side}).content.decode() for side in ("a", "b"))
    assert "Comment: dana.editor" in on_a and "Comment: Carla Ruiz" in on_b and "Owner" not in on_a + on_b


def test_a_teams_notes_name_who_wrote_each():
    team = TeamWorkspaceFactory()
    owner = team.created_by
    comparison = ComparisonFactory(owner=owner, workspace=team, video_a__workspace=team, video_b__workspace=team)
    video = comparison.video_a
    writer = team_member(team, Role.COMMENTER, email="lee.writer@studio.example")
    writer.display_name = ""
    writer.save()
    NoteFactory(owner=writer, workspace=team, video=video, start=1.0, text="Music swells")
    NoteFactory(owner=owner, workspace=team, video=video, start=2.0, text="Colour")

    notes = member_client(owner, team.pk).get(f"/api/v1/videos/{video.pk}/notes").json()
    assert [(n["text"], n["author_name"], n["author_id"]) for n in notes] == [
        ("Music swells", "lee.writer", writer.pk),
        ("Colour", owner.name, owner.pk),
    ]
    page = member_client(owner, team.pk).get(f"/videos/{video.pk}/").content.decode()
    assert "data-note-author>lee.writer</span>" in page
