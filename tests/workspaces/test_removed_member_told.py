"""A member removed while their page is open is told why their next action fails (issue 65): not
"No such comparison", but that they are no longer a member of the team; the next page they open
says it too, and acts in their personal workspace."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import ComparisonFactory, TeamWorkspaceFactory, team_member, team_owner
from workspaces.current import SESSION_KEY
from workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db


def test_a_removed_members_next_comment_says_they_are_no_longer_a_member() -> None:
    team = TeamWorkspaceFactory(name="Northwind")
    owner = team_owner(team)
    comparison = ComparisonFactory(owner=owner, workspace=team, video_a__workspace=team, video_b__workspace=team)
    commenter = team_member(team, Role.COMMENTER)
    client = Client()
    client.force_login(commenter)
    session = client.session
    session[SESSION_KEY] = team.pk
    session.save()
    comment = {"side": "a", "start": 1.0, "body": "Cut here"}
    assert client.post(f"/api/v1/comparisons/{comparison.pk}/comments", comment, "application/json").status_code == 201

    Membership.objects.filter(workspace=team, user=commenter).delete()
    refused = client.post(f"/api/v1/comparisons/{comparison.pk}/comments", comment, "application/json")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_a_member"
    assert "no longer a member of “Northwind”" in refused.json()["error"]["message"]
    # The session is back on their personal workspace: their next page is theirs, with no error.
    assert client.get(f"/compare/{comparison.pk}/").status_code == 404
    assert SESSION_KEY not in client.session


def test_a_removed_members_next_page_says_they_are_no_longer_a_member() -> None:
    team = TeamWorkspaceFactory(name="Northwind")
    editor = team_member(team, Role.EDITOR)
    client = Client()
    client.force_login(editor)
    session = client.session
    session[SESSION_KEY] = team.pk
    session.save()
    Membership.objects.filter(workspace=team, user=editor).delete()

    assert "no longer a member of “Northwind”" in client.get("/videos/").content.decode()
    assert "no longer a member" not in client.get("/videos/").content.decode()  # said once


def test_someone_who_never_belonged_still_gets_404() -> None:
    team = TeamWorkspaceFactory()
    comparison = ComparisonFactory(
        owner=team_owner(team), workspace=team, video_a__workspace=team, video_b__workspace=team
    )
    client = Client()
    client.force_login(team_member(TeamWorkspaceFactory(), Role.EDITOR))
    comment = {"side": "a", "start": 1.0, "body": "Cut here"}
    assert client.post(f"/api/v1/comparisons/{comparison.pk}/comments", comment, "application/json").status_code == 404
