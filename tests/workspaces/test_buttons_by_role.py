"""A team's pages show each member only the buttons their role may use (issue 65): a viewer or a
commenter meets no Delete video, Upload a new version, Compare with…, New conversation or Save as
default threshold that would only be refused; an editor has them all."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.factories import ComparisonFactory, TeamWorkspaceFactory, VideoFactory, team_member, team_owner
from workspaces.current import SESSION_KEY
from workspaces.models import Role

pytestmark = pytest.mark.django_db

VIDEO_BUTTONS = ("Delete video", "Upload a new version", "Compare with…", "New conversation")


def client_in(user, team) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = team.pk
    session.save()
    return client


def compare_config(html: str) -> dict:
    found = re.search(r'<script id="compare-config" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.parametrize(
    ("role", "shown"), [(Role.VIEWER, False), (Role.COMMENTER, False), (Role.EDITOR, True), (Role.OWNER, True)]
)
def test_the_video_and_comparison_pages_offer_what_the_role_may_do(role: str, shown: bool) -> None:
    team = TeamWorkspaceFactory()
    owner = team_owner(team)
    video = VideoFactory(owner=owner, workspace=team, ready=True)
    comparison = ComparisonFactory(owner=owner, workspace=team, video_a__workspace=team, video_b__workspace=team)
    member = owner if role == Role.OWNER else team_member(team, role)
    client = client_in(member, team)

    video_page = client.get(f"/videos/{video.pk}/").content.decode()
    comparison_page = client.get(f"/compare/{comparison.pk}/").content.decode()

    assert {button: button in video_page for button in VIDEO_BUTTONS} == dict.fromkeys(VIDEO_BUTTONS, shown)
    assert compare_config(comparison_page)["may_save_threshold"] is shown
    assert ("until you save another default" in comparison_page) is shown
