"""A link to a team's video, comparison, stack or session lands in that team (issue 65): a member who
follows it from a digest e-mail, a session URL or a teammate's message, while their header is on
another workspace (a fresh sign-in is on their personal one), gets the page, and their browser acts in
the team from then on, as if the header switcher had moved there. A non-member gets the same 404 as
for a page that does not exist, and stays where they were."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import (
    ComparisonFactory,
    ReviewSessionFactory,
    TeamWorkspaceFactory,
    UserFactory,
    VideoFactory,
    VideoStackFactory,
    team_member,
    team_owner,
)
from workspaces.current import SESSION_KEY
from workspaces.models import Role, Workspace

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)  # a fresh sign-in: the header is on the personal workspace
    return client


def team_pages() -> tuple[Workspace, dict[str, str]]:
    team = TeamWorkspaceFactory(name="Northwind")
    owner = team_owner(team)
    video = VideoFactory(owner=owner, workspace=team, ready=True, title="Northwind promo")
    comparison = ComparisonFactory(
        owner=owner, workspace=team, video_a__workspace=team, video_b__workspace=team, video_a__title="Cut one"
    )
    stack = VideoStackFactory(owner=owner, workspace=team, title="Promo versions", versions=1)
    session = ReviewSessionFactory(comparison=comparison, started_by=owner)
    return team, {
        "video": f"/videos/{video.pk}/",
        "comparison": f"/compare/{comparison.pk}/",
        "stack": f"/videos/stacks/{stack.pk}/",
        "session": f"/sessions/{session.code}/",
    }


@pytest.mark.parametrize("kind", ["video", "comparison", "stack", "session"])
def test_a_member_following_a_link_lands_in_the_team(kind: str) -> None:
    team, urls = team_pages()
    client = signed_in(team_member(team, Role.VIEWER))

    page = client.get(urls[kind])

    assert page.status_code == 200
    assert client.session[SESSION_KEY] == team.pk
    assert "You are now in “Northwind”." in page.content.decode()
    # The header stays there: the library lists the team's videos.
    assert "Northwind promo" in client.get("/videos/").content.decode()


@pytest.mark.parametrize("kind", ["video", "comparison", "stack", "session"])
def test_someone_outside_the_team_gets_404_and_stays_where_they_were(kind: str) -> None:
    _, urls = team_pages()
    client = signed_in(UserFactory())

    assert client.get(urls[kind]).status_code == 404
    assert SESSION_KEY not in client.session
