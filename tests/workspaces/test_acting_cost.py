"""What acting in a workspace costs a request (issue 52): a person working in their personal workspace
pays no query for it (the account's row names it and its only member is its owner), while a team's
membership is read on every request, so a member removed is refused on their next one."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.services import api_token_create
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory, VideoFactory
from workspaces.models import Role, Workspace

pytestmark = pytest.mark.django_db

# The header switcher's list of my workspaces, which every page shows: not the acting membership.
HEADER_LIST = 1


def _membership_reads(captured: CaptureQueriesContext) -> int:
    return sum('FROM "workspaces_membership"' in query["sql"] for query in captured.captured_queries)


def _count(request: Any) -> tuple[int, int]:
    """The response's status and how many of its queries read memberships."""
    with CaptureQueriesContext(connection) as captured:
        response = request()
    return response.status_code, _membership_reads(captured)


@pytest.fixture
def person() -> User:
    user = UserFactory()
    VideoFactory(owner=user, ready=True)
    return user


def test_a_page_in_my_personal_workspace_reads_no_membership_for_acting(person: User) -> None:
    client = Client()
    client.force_login(person)
    library = reverse("videos:library")
    client.get(library)  # the session's first page: whatever is made once is made

    assert _count(lambda: client.get(library)) == (200, HEADER_LIST)


def test_an_api_request_in_my_personal_workspace_reads_no_membership(person: User) -> None:
    _, secret = api_token_create(user=person, name="script", scopes=["read"])
    with_token = Client(headers={"authorization": f"Bearer {secret}"})
    signed_in = Client()
    signed_in.force_login(person)

    assert _count(lambda: with_token.get("/api/v1/videos")) == (200, 0)
    assert _count(lambda: signed_in.get("/api/v1/videos")) == (200, 0)


def test_a_team_membership_is_read_on_every_request_and_a_removal_bites_at_once() -> None:
    team: Workspace = TeamWorkspaceFactory()
    editor = MembershipFactory(workspace=team, role=Role.EDITOR).user
    cut = VideoFactory(owner=editor, workspace=team, ready=True)
    _, secret = api_token_create(user=editor, name="script", scopes=["read"], workspace_id=team.pk)
    with_token = Client(headers={"authorization": f"Bearer {secret}"})
    browser = Client()
    browser.force_login(editor)
    browser.post(reverse("workspace-switch"), {"workspace": team.pk})
    page = reverse("videos:video", args=[cut.pk])

    assert _count(lambda: browser.get(page)) == (200, 1 + HEADER_LIST)
    assert _count(lambda: with_token.get(f"/api/v1/videos/{cut.pk}")) == (200, 1)

    team.memberships.filter(user=editor).delete()
    assert browser.get(page).status_code == 404
    assert with_token.get(f"/api/v1/videos/{cut.pk}").status_code == 401
