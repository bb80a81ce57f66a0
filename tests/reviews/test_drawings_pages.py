"""The comments card on members' pages: a commenter gets the form to comment and draw, a viewer does not
(and their card waits hidden for the first link, as before members could comment)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ComparisonFactory, MembershipFactory, TeamWorkspaceFactory, VideoFactory
from workspaces.models import Role

pytestmark = pytest.mark.django_db


def page_as(user, workspace, url: str) -> str:
    client = Client()
    client.force_login(user)
    assert client.post(reverse("workspace-switch"), {"workspace": workspace.pk}).status_code == 302
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def comments_config(html: str) -> dict:
    found = re.search(r'<script id="comments-config" type="application/json">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


@pytest.mark.parametrize(("role", "draws"), [(Role.VIEWER, False), (Role.COMMENTER, True)])
def test_only_a_member_who_may_comment_gets_the_drawing_form(role, draws):
    team = TeamWorkspaceFactory()
    owner = team.created_by
    pair = [VideoFactory(owner=owner, workspace=team, comparable=True, title=t) for t in ("A", "B")]
    comparison = ComparisonFactory(owner=owner, workspace=team, video_a=pair[0], video_b=pair[1])
    person = MembershipFactory(workspace=team, role=role).user

    for url in (f"/compare/{comparison.pk}/", f"/videos/{pair[0].pk}/"):
        html = page_as(person, team, url)
        config = comments_config(html)
        assert (config["can_comment"], config["hidden"]) == (draws, not draws)
        assert ("Draw on the picture" in html) is draws
