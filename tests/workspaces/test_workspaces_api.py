"""`/api/v1/workspaces…`: the same rules as the pages, in the API's error shape. Another workspace's
ids are 404 everywhere; a member whose role does not allow a change gets 403 with a sentence; API
tokens read (`read`) but every change takes the browser session."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import ApiTokenFactory, MembershipFactory, TeamWorkspaceFactory, UserFactory, on_plan
from workspaces.models import Invitation, Membership, Role, Workspace
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db


def session(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def token(user: User, scopes: list[str] | None = None) -> APIClient:
    client = APIClient()
    secret = (ApiTokenFactory(user=user, scopes=scopes) if scopes else ApiTokenFactory(user=user)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_my_workspaces_with_my_role_and_creating_a_team() -> None:
    workspace = TeamWorkspaceFactory(name="Agency")
    owner = workspace.created_by
    MembershipFactory(workspace=workspace)

    listed = session(owner).get("/api/v1/workspaces").json()
    created = session(owner).post("/api/v1/workspaces", {"name": "Second"}, format="json")

    assert [(w["name"], w["kind"], w["role"], w["member_count"]) for w in listed] == [
        (personal_workspace_of(owner).name, "personal", "owner", 1),
        ("Agency", "team", "owner", 2),
    ]
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("name", "kind", "role", "seats", "seats_taken")} == {
        "name": "Second",
        "kind": "team",
        "role": "owner",
        "seats": 10,
        "seats_taken": 1,
    }


def test_creating_a_team_without_the_team_plan_is_a_403_pointing_to_billing() -> None:
    refused = error(
        session(on_plan(UserFactory(), "pro")).post("/api/v1/workspaces", {"name": "X"}, format="json"), 403
    )

    assert refused["code"] == "team_plan_required"
    assert "billing page" in refused["message"]


def test_another_workspaces_ids_are_404_for_every_operation() -> None:
    theirs = TeamWorkspaceFactory()
    member = MembershipFactory(workspace=theirs)
    invitation = Invitation.objects.create(
        workspace=theirs, email="x@example.com", role="viewer", token_digest="d" * 64, expires_at="2100-01-01T00:00Z"
    )
    mine = TeamWorkspaceFactory()
    stranger = session(mine.created_by)
    base = f"/api/v1/workspaces/{theirs.pk}"

    answers = [
        stranger.get(base),
        stranger.patch(base, {"name": "Mine"}, format="json"),
        stranger.get(f"{base}/members"),
        stranger.patch(f"{base}/members/{member.user_id}", {"role": "viewer"}, format="json"),
        stranger.delete(f"{base}/members/{member.user_id}"),
        stranger.post(f"{base}/transfer", {"user_id": member.user_id}, format="json"),
        stranger.get(f"{base}/invitations"),
        stranger.post(f"{base}/invitations", {"email": "y@example.com", "role": "viewer"}, format="json"),
        stranger.post(f"{base}/invitations/{invitation.pk}/revoke"),
        stranger.post(f"{base}/invitations/{invitation.pk}/resend"),
        # Their member and invitation ids through my own workspace: still nothing.
        stranger.delete(f"/api/v1/workspaces/{mine.pk}/members/{member.user_id}"),
        stranger.post(f"/api/v1/workspaces/{mine.pk}/invitations/{invitation.pk}/revoke"),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert {a.json()["error"]["code"] for a in answers} == {"not_found"}
    assert Membership.objects.filter(pk=member.pk).exists()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert Workspace.objects.get(pk=theirs.pk).name != "Mine"


def test_a_viewer_reads_but_every_change_is_a_403_with_a_sentence() -> None:
    workspace = TeamWorkspaceFactory()
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER)
    other = MembershipFactory(workspace=workspace, role=Role.VIEWER)
    client = session(viewer.user)
    base = f"/api/v1/workspaces/{workspace.pk}"

    assert client.get(f"{base}/members").status_code == 200
    refusals = [
        client.patch(base, {"name": "Mine"}, format="json"),
        client.patch(f"{base}/members/{other.user_id}", {"role": "editor"}, format="json"),
        client.delete(f"{base}/members/{other.user_id}"),
        client.post(f"{base}/transfer", {"user_id": other.user_id}, format="json"),
        client.get(f"{base}/invitations"),
        client.post(f"{base}/invitations", {"email": "y@example.com", "role": "viewer"}, format="json"),
    ]

    messages = [error(r, 403)["message"] for r in refusals]
    assert messages[0] == "Only admins of this workspace can rename it."
    assert messages[1] == "Only admins of this workspace can change roles."
    assert messages[2] == "Only admins of this workspace can remove members."
    assert messages[3] == "Only the owner of this workspace can transfer it."
    assert messages[5] == "Only admins of this workspace can invite people."
    assert Membership.objects.get(pk=other.pk).role == Role.VIEWER


def test_an_admin_cannot_touch_the_owner_nor_another_admin() -> None:
    workspace = TeamWorkspaceFactory()
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN)
    other_admin = MembershipFactory(workspace=workspace, role=Role.ADMIN)
    client = session(admin.user)
    base = f"/api/v1/workspaces/{workspace.pk}/members"

    on_owner = client.patch(f"{base}/{workspace.created_by_id}", {"role": "viewer"}, format="json")
    remove_owner = client.delete(f"{base}/{workspace.created_by_id}")
    on_admin = client.delete(f"{base}/{other_admin.user_id}")
    to_owner = client.patch(f"{base}/{other_admin.user_id}", {"role": "owner"}, format="json")

    assert "transfer" in error(on_owner, 403)["message"]
    assert "owner cannot be removed" in error(remove_owner, 403)["message"]
    assert error(on_admin, 403)["message"] == "Only the owner can remove an admin."
    assert error(to_owner, 400)["code"] == "invalid"
    assert Membership.objects.filter(workspace=workspace).count() == 3


def test_members_change_role_leave_and_are_removed() -> None:
    workspace = TeamWorkspaceFactory()
    owner = session(workspace.created_by)
    editor = MembershipFactory(workspace=workspace, role=Role.EDITOR)
    leaver = MembershipFactory(workspace=workspace, role=Role.VIEWER)
    base = f"/api/v1/workspaces/{workspace.pk}/members"

    changed = owner.patch(f"{base}/{editor.user_id}", {"role": "admin"}, format="json")
    left = session(leaver.user).delete(f"{base}/{leaver.user_id}")
    removed = owner.delete(f"{base}/{editor.user_id}")

    assert changed.json()["role"] == "admin"
    assert left.status_code == removed.status_code == 204
    assert list(Membership.objects.filter(workspace=workspace).values_list("role", flat=True)) == ["owner"]


def test_the_owner_transfers_through_the_api() -> None:
    workspace = TeamWorkspaceFactory()
    heir = MembershipFactory(workspace=workspace, role=Role.EDITOR, user=on_plan(UserFactory(), "team"))

    response = session(workspace.created_by).post(
        f"/api/v1/workspaces/{workspace.pk}/transfer", {"user_id": heir.user_id}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert Membership.objects.get(workspace=workspace, role=Role.OWNER).user_id == heir.user_id


def test_invitations_created_listed_resent_and_revoked() -> None:
    workspace = TeamWorkspaceFactory()
    owner = session(workspace.created_by)
    base = f"/api/v1/workspaces/{workspace.pk}/invitations"

    created = owner.post(base, {"email": "Ana@Example.com", "role": "editor"}, format="json")
    invitation_id = created.json()["id"]
    first_link = re.findall(r"/workspaces/invitations/\S+", str(mail.outbox[-1].body))[0]
    resent = owner.post(f"{base}/{invitation_id}/resend")
    revoked = owner.post(f"{base}/{invitation_id}/revoke")
    listed = owner.get(base).json()
    resend_revoked = owner.post(f"{base}/{invitation_id}/resend")

    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("email", "role", "state")} == {
        "email": "ana@example.com",
        "role": "editor",
        "state": "pending",
    }
    assert created.json()["invited_by"] == workspace.created_by.email
    assert resent.status_code == 200 and len(mail.outbox) == 2
    assert first_link not in mail.outbox[-1].body
    assert revoked.json()["state"] == "revoked"
    assert [(i["email"], i["state"]) for i in listed] == [("ana@example.com", "revoked")]
    assert error(resend_revoked, 409)["code"] == "invitation_closed"


def test_an_invitation_above_the_inviters_role_or_beyond_the_seats_is_refused() -> None:
    workspace = TeamWorkspaceFactory()
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN)
    MembershipFactory.create_batch(8, workspace=workspace)
    base = f"/api/v1/workspaces/{workspace.pk}/invitations"

    as_owner = session(admin.user).post(base, {"email": "a@example.com", "role": "owner"}, format="json")
    full = session(admin.user).post(base, {"email": "a@example.com", "role": "viewer"}, format="json")

    assert error(as_owner, 400)["fields"] == {"role": ['"owner" is not a valid choice.']}
    refused = error(full, 409)
    assert refused["code"] == "no_free_seat"
    assert refused["message"].startswith("This workspace has 10 seats, all taken")


def test_tokens_read_with_read_scope_and_every_change_needs_the_session() -> None:
    workspace = TeamWorkspaceFactory()
    owner = workspace.created_by
    member = MembershipFactory(workspace=workspace)
    reader = token(owner, ["read"])
    no_read = token(owner, ["notes:write"])
    base = f"/api/v1/workspaces/{workspace.pk}"

    assert reader.get("/api/v1/workspaces").status_code == 200
    assert reader.get(f"{base}/members").status_code == 200
    assert error(no_read.get(f"{base}/members"), 403)["code"] == "insufficient_scope"
    full_token = token(owner)  # every scope: still not enough to change members
    for response in (
        full_token.post(f"{base}/invitations", {"email": "a@example.com", "role": "viewer"}, format="json"),
        full_token.delete(f"{base}/members/{member.user_id}"),
        full_token.patch(base, {"name": "New"}, format="json"),
    ):
        refused = error(response, 403)
        assert refused["code"] == "session_required"
        assert "sign in on the site" in refused["message"]
    assert Membership.objects.filter(pk=member.pk).exists()


def test_listing_members_takes_the_same_queries_however_many_there_are() -> None:
    workspace = TeamWorkspaceFactory()
    client = session(workspace.created_by)
    url = f"/api/v1/workspaces/{workspace.pk}/members"
    client.get(url)  # warm: the session, the throttle

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    MembershipFactory.create_batch(6, workspace=workspace)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(response.json()) == 7
    assert len(many) == len(few)


def test_an_address_longer_than_an_address_can_be_is_a_400_not_a_crash() -> None:
    workspace = TeamWorkspaceFactory()
    email = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.example"  # 264 characters, each part valid

    response = session(workspace.created_by).post(
        f"/api/v1/workspaces/{workspace.pk}/invitations", {"email": email, "role": "viewer"}, format="json"
    )

    assert list(error(response, 400)["fields"]) == ["email"]
    assert not Invitation.objects.exists()
