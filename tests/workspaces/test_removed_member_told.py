"""A member removed from a team, with its pages still open: their next request says why it finds
nothing ("No such comparison." alone reads like a bug), their next page says where they are now, and
it is said once; a member who was never in it, or still is, is told nothing of the kind."""

from __future__ import annotations

import pytest

from tests.clients import client_in
from tests.factories import ComparisonFactory, MembershipFactory, TeamWorkspaceFactory, UserFactory
from workspaces.models import Role
from workspaces.selectors import member_in
from workspaces.services import membership_remove

pytestmark = pytest.mark.django_db

LOST = "You are no longer a member of “Studio”."


def comment(client, comparison_id: int):
    body = {"side": "a", "start": 1.5, "body": "The cut is late"}
    return client.post(f"/api/v1/comparisons/{comparison_id}/comments", body, content_type="application/json")


def test_a_removed_members_next_comment_and_page_say_they_are_no_longer_a_member() -> None:
    studio = TeamWorkspaceFactory(name="Studio")
    owner = studio.created_by
    eli = MembershipFactory(workspace=studio, role=Role.EDITOR).user
    comparison = ComparisonFactory(owner=owner, workspace=studio)
    page = client_in(eli, studio)
    assert comment(page, comparison.pk).status_code == 201

    membership_remove(membership=member_in(studio, owner.pk), member=member_in(studio, eli.pk))

    refused = comment(page, comparison.pk)
    assert refused.status_code == 404  # as for anyone outside the team: nothing of it is shown
    assert refused.json()["error"]["message"].endswith(LOST)
    assert "You are no longer a member of “Studio”: you are in your own workspace now." in (
        page.get("/videos/").content.decode()
    )
    # Said once: from now on they simply act in their own workspace.
    again = comment(page, comparison.pk)
    assert again.status_code == 404 and LOST not in again.json()["error"]["message"]
    assert "no longer a member" not in page.get("/videos/").content.decode()


def test_someone_who_was_never_a_member_is_not_told_of_a_membership() -> None:
    studio = TeamWorkspaceFactory(name="Studio")
    comparison = ComparisonFactory(owner=studio.created_by, workspace=studio)
    stranger = client_in(UserFactory())

    refused = comment(stranger, comparison.pk)

    assert refused.status_code == 404 and "no longer a member" not in refused.json()["error"]["message"]
