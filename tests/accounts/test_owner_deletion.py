"""A team workspace never loses its owner (issue 52): deleting the account of a person who owns a team
others work in is refused, in the admin (the page and the list's action) and anywhere else, saying to
transfer ownership first; a team they own alone goes with the account, as their personal workspace
does, and the admin's confirmation lists it with its videos and tokens first."""

from __future__ import annotations

import html

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.test import Client

from accounts.models import User
from activity.models import AuditEntry
from billing.models import Wallet
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory, VideoFactory, on_plan
from workspaces.models import Membership, Role, Workspace
from workspaces.selectors import teams_owned_by

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_refuses_to_delete_the_owner_of_a_team_with_members_until_ownership_is_transferred(
    operator,
) -> None:
    team = TeamWorkspaceFactory(name="Northlight")
    owner = team.created_by
    heir = on_plan(MembershipFactory(workspace=team, role=Role.ADMIN).user, "team")  # seats for the team

    page = html.unescape(operator.get(f"{USERS}{owner.pk}/delete/").content.decode())
    assert "would require deleting the following protected related objects" in page
    assert f"{owner.email} owns the team workspace “Northlight” (1 other member). Transfer ownership" in page
    operator.post(f"{USERS}{owner.pk}/delete/", {"post": "yes"})
    listed = operator.post(USERS, {"action": "delete_selected", "_selected_action": [owner.pk], "post": "yes"})
    assert "Transfer ownership" in html.unescape(listed.content.decode())
    assert User.objects.filter(pk=owner.pk).exists()
    # The shell, a script: the same rule (in a savepoint: a deletion's own transaction has none).
    with pytest.raises(ProtectedError), transaction.atomic():
        owner.delete()

    # Transferred on the workspace's page: then the account may go, and the team keeps its new owner.
    owners_browser = Client()
    owners_browser.force_login(owner)
    owners_browser.post(f"/workspaces/{team.pk}/transfer/", {"user_id": heir.pk})
    assert "protected related objects" not in operator.get(f"{USERS}{owner.pk}/delete/").content.decode()
    owner.delete()
    assert Membership.objects.get(workspace=team, role=Role.OWNER).user_id == heir.pk


def test_a_team_owned_alone_goes_with_the_account_as_the_personal_workspace_does() -> None:
    team = TeamWorkspaceFactory(name="Side project")
    owner = team.created_by
    VideoFactory(owner=owner, workspace=team)
    (alone,) = teams_owned_by(owner)
    tokens = Wallet.objects.get(workspace=team).balance
    # What the admin's confirmation would list (it lists nothing while wallets may not be deleted there).
    said = f"Team workspace “Side project” (no other member), with its 1 video and its {tokens:,} tokens"
    assert alone.description == said

    owner.delete()

    assert not Workspace.objects.filter(pk=team.pk).exists()
    # Nothing goes unsaid: the audit log keeps what went, with the workspace's name.
    entry = AuditEntry.objects.get(action="workspace_deleted")
    assert (entry.workspace_id, entry.workspace_name) == (None, "Side project")
    assert entry.target_label.startswith(said) and entry.details["tokens"] == tokens
    assert not Wallet.objects.filter(workspace_id=team.pk).exists()
