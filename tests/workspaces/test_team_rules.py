"""Team workspaces (issue 52): who may create one, seats, roles, removing and leaving, transferring
ownership, and the notice a removed member's sockets get. The services decide; pages and the API
(tests beside this one) only ask them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Plan
from sage.errors import Conflict
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory, VideoFactory, on_plan
from videos.models import Video
from workspaces.invitations import (
    WrongAccount,
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from workspaces.models import Invitation, Membership, Role, Workspace
from workspaces.selectors import (
    member_in,
    membership_in,
    personal_workspace_of,
    seats_of,
    seats_taken,
    workspaces_of,
)
from workspaces.services import (
    NoFreeSeat,
    PersonalWorkspace,
    RoleRequired,
    TeamPlanRequired,
    member_change_role,
    membership_remove,
    ownership_transfer,
    workspace_create_team,
    workspace_rename,
)

pytestmark = pytest.mark.django_db


def owner_of(workspace: Workspace) -> Membership:
    return Membership.objects.select_related("workspace", "user").get(workspace=workspace, role=Role.OWNER)


def test_the_default_plans_have_their_seats() -> None:
    assert dict(Plan.objects.values_list("slug", "seats")) == {"free": 1, "pro": 1, "team": 10}


def test_only_an_account_on_a_plan_with_seats_creates_a_team_workspace_and_owns_it() -> None:
    pro, team = on_plan(UserFactory(), "pro"), on_plan(UserFactory(), "team")

    with pytest.raises(TeamPlanRequired, match=r"Team plan.*billing page"):
        workspace_create_team(user=pro, name="Agency")
    workspace = workspace_create_team(user=team, name="  Agency  ")

    assert (workspace.name, workspace.kind) == ("Agency", Workspace.Kind.TEAM)
    assert membership_in(team, workspace.pk).role == Role.OWNER
    assert list(workspaces_of(team)) == [personal_workspace_of(team), workspace]  # the personal one first
    assert not Workspace.objects.filter(created_by=pro, kind=Workspace.Kind.TEAM).exists()


def test_admins_rename_and_editors_may_not() -> None:
    workspace = TeamWorkspaceFactory(name="Old")
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN)
    editor = MembershipFactory(workspace=workspace, role=Role.EDITOR)

    with pytest.raises(RoleRequired, match="Only admins"):
        workspace_rename(membership=editor, name="Mine")
    workspace_rename(membership=admin, name="New")

    workspace.refresh_from_db()
    assert workspace.name == "New"


def test_members_and_pending_invitations_fill_the_seats_and_the_next_is_refused_clearly() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_of(workspace)
    MembershipFactory.create_batch(7, workspace=workspace)  # 8 members with the owner
    invitation_create(membership=owner, email="nine@example.com", role=Role.EDITOR)
    tenth = invitation_create(membership=owner, email="ten@example.com", role=Role.EDITOR)

    assert (seats_of(workspace), seats_taken(workspace)) == (10, 10)
    with pytest.raises(NoFreeSeat, match="This workspace has 10 seats, all taken"):
        invitation_create(membership=owner, email="eleven@example.com", role=Role.EDITOR)
    # A revoked invitation gives its seat back.
    invitation_revoke(membership=owner, invitation=tenth)
    invitation_create(membership=owner, email="eleven@example.com", role=Role.EDITOR)
    assert seats_taken(workspace) == 10


def test_the_seats_come_from_the_owners_plan() -> None:
    workspace = TeamWorkspaceFactory()
    Plan.objects.filter(slug="team").update(seats=3)

    assert seats_of(workspace) == 3
    on_plan(workspace.created_by, "free")
    assert seats_of(workspace) == 1


@pytest.mark.parametrize(
    ("actor_role", "target_role", "new_role", "refusal"),
    [
        (Role.VIEWER, Role.VIEWER, Role.EDITOR, "Only admins"),
        (Role.EDITOR, Role.VIEWER, Role.COMMENTER, "Only admins"),
        (Role.ADMIN, Role.ADMIN, Role.EDITOR, "Only the owner can change an admin"),
        (Role.ADMIN, Role.OWNER, Role.EDITOR, "transfer"),
        (Role.ADMIN, Role.EDITOR, Role.OWNER, "Nobody becomes owner"),
        (Role.OWNER, Role.EDITOR, Role.OWNER, "Nobody becomes owner"),
    ],
)
def test_role_changes_that_are_refused(actor_role: str, target_role: str, new_role: str, refusal: str) -> None:
    workspace = TeamWorkspaceFactory()
    actor = owner_of(workspace) if actor_role == Role.OWNER else MembershipFactory(workspace=workspace, role=actor_role)
    target = (
        owner_of(workspace) if target_role == Role.OWNER else MembershipFactory(workspace=workspace, role=target_role)
    )

    with pytest.raises(RoleRequired, match=refusal):
        member_change_role(membership=actor, member=target, role=new_role)

    target.refresh_from_db()
    assert target.role == target_role


def test_admins_change_roles_up_to_admin_and_the_owner_changes_admins() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_of(workspace)
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN)
    editor = MembershipFactory(workspace=workspace, role=Role.VIEWER)

    member_change_role(membership=admin, member=editor, role=Role.ADMIN)
    member_change_role(membership=owner, member=editor, role=Role.COMMENTER)

    assert Membership.objects.get(pk=editor.pk).role == Role.COMMENTER


def test_removing_a_member_keeps_what_they_made_and_takes_only_the_membership() -> None:
    workspace = TeamWorkspaceFactory()
    member = MembershipFactory(workspace=workspace, role=Role.EDITOR)
    video = VideoFactory(owner=member.user, ready=True)

    membership_remove(membership=owner_of(workspace), member=member)

    assert not Membership.objects.filter(pk=member.pk).exists()
    assert Video.objects.filter(pk=video.pk).exists()
    assert personal_workspace_of(member.user)  # their own account and workspace are untouched


@pytest.mark.parametrize(
    ("actor_role", "target_role", "refusal", "error"),
    [
        (Role.VIEWER, Role.VIEWER, "Only admins", RoleRequired),
        (Role.EDITOR, Role.COMMENTER, "Only admins", RoleRequired),
        (Role.ADMIN, Role.ADMIN, "Only the owner can remove an admin", RoleRequired),
        (Role.ADMIN, Role.OWNER, "owner cannot be removed", RoleRequired),
    ],
)
def test_removals_that_are_refused(actor_role: str, target_role: str, refusal: str, error: type[Exception]) -> None:
    workspace = TeamWorkspaceFactory()
    actor = MembershipFactory(workspace=workspace, role=actor_role)
    target = (
        owner_of(workspace) if target_role == Role.OWNER else MembershipFactory(workspace=workspace, role=target_role)
    )

    with pytest.raises(error, match=refusal):
        membership_remove(membership=actor, member=target)

    assert Membership.objects.filter(pk=target.pk).exists()


def test_a_member_may_leave_a_team_but_not_the_owner_nor_anyone_their_personal_workspace() -> None:
    workspace = TeamWorkspaceFactory()
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER)
    owner = owner_of(workspace)
    personal = membership_in(viewer.user, personal_workspace_of(viewer.user).pk)

    membership_remove(membership=viewer, member=viewer)
    with pytest.raises(Conflict, match="transfer ownership"):
        membership_remove(membership=owner, member=owner)
    with pytest.raises(PersonalWorkspace):
        membership_remove(membership=personal, member=personal)

    assert not Membership.objects.filter(pk=viewer.pk).exists()
    assert Membership.objects.filter(pk__in=[owner.pk, personal.pk]).count() == 2


def test_the_owner_transfers_to_a_member_who_becomes_owner_while_they_become_admin() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_of(workspace)
    heir = MembershipFactory(workspace=workspace, role=Role.EDITOR, user=on_plan(UserFactory(), "team"))

    ownership_transfer(membership=owner, member=heir)

    roles = dict(Membership.objects.filter(workspace=workspace).values_list("user_id", "role"))
    assert roles == {owner.user_id: Role.ADMIN, heir.user_id: Role.OWNER}
    # The old owner, an admin now, can no longer change the new owner's role.
    with pytest.raises(RoleRequired):
        member_change_role(membership=member_in(workspace, owner.user_id), member=heir, role=Role.VIEWER)


def test_only_the_owner_transfers_and_only_to_an_account_whose_plan_holds_the_workspace() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_of(workspace)
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN, user=on_plan(UserFactory(), "team"))
    on_free = MembershipFactory(workspace=workspace, role=Role.EDITOR)

    with pytest.raises(RoleRequired, match="Only the owner"):
        ownership_transfer(membership=admin, member=admin)
    with pytest.raises(Conflict, match=r"Free plan, which has 1 seat; this workspace needs 3"):
        ownership_transfer(membership=owner, member=on_free)

    assert owner_of(workspace).pk == owner.pk


def test_a_personal_workspace_cannot_be_transferred_or_invited_to() -> None:
    user, other = UserFactory(), UserFactory()
    mine = membership_in(user, personal_workspace_of(user).pk)

    with pytest.raises(PersonalWorkspace):
        invitation_create(membership=mine, email=other.email, role=Role.VIEWER)
    with pytest.raises(PersonalWorkspace):
        ownership_transfer(membership=mine, member=mine)


def test_a_workspace_never_has_two_owners() -> None:
    workspace = TeamWorkspaceFactory()
    member = MembershipFactory(workspace=workspace, role=Role.ADMIN)

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=member.pk).update(role=Role.OWNER)


def test_accepting_when_already_a_member_keeps_the_membership_and_frees_the_seat() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_of(workspace)
    ana = UserFactory(email="ana@example.com")
    invitation = invitation_create(membership=owner, email="ana@example.com", role=Role.VIEWER)
    Membership.objects.create(workspace=workspace, user=ana, role=Role.ADMIN)  # joined meanwhile

    joined = invitation_accept(invitation=invitation, user=ana)

    assert joined.role == Role.ADMIN  # not lowered to the invitation's role
    assert seats_taken(workspace) == 2


def test_an_invitation_is_accepted_only_by_its_address_whatever_the_case() -> None:
    workspace = TeamWorkspaceFactory()
    invitation = invitation_create(membership=owner_of(workspace), email="Ana@Example.com", role=Role.EDITOR)

    with pytest.raises(WrongAccount, match=r"signed in as bo@example\.com"):
        invitation_accept(invitation=invitation, user=UserFactory(email="bo@example.com"))
    joined = invitation_accept(invitation=invitation, user=UserFactory(email="ANA@example.com"))

    assert joined.role == Role.EDITOR


def test_a_transferred_team_workspace_outlives_the_account_that_made_it() -> None:
    workspace = TeamWorkspaceFactory()
    creator = workspace.created_by
    heir = MembershipFactory(workspace=workspace, role=Role.EDITOR, user=on_plan(UserFactory(), "team"))
    video = VideoFactory(owner=heir.user, ready=True)
    ownership_transfer(membership=owner_of(workspace), member=heir)
    personal_id = personal_workspace_of(creator).pk

    creator.delete()

    workspace.refresh_from_db()
    assert workspace.created_by is None
    assert list(Membership.objects.filter(workspace=workspace).values_list("user_id", "role")) == [
        (heir.user_id, Role.OWNER)
    ]
    assert Video.objects.filter(pk=video.pk).exists()
    assert not Workspace.objects.filter(pk=personal_id).exists()  # a personal workspace goes with its account


def test_a_team_whose_owner_account_was_deleted_keeps_working_but_takes_nobody_new() -> None:
    workspace = TeamWorkspaceFactory()
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN)
    # Left with no owner before deleting an owner's account was refused (tests/accounts/test_owner_deletion.py).
    Membership.objects.filter(workspace=workspace, role=Role.OWNER).delete()

    with pytest.raises(NoFreeSeat, match="has 0 seats"):
        invitation_create(membership=member_in(workspace, admin.user_id), email="a@example.com", role=Role.VIEWER)
    assert seats_of(workspace) == 0


def test_resending_gives_a_new_expiry_and_an_expired_one_needs_a_free_seat_again() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_of(workspace)
    invitation = invitation_create(membership=owner, email="ana@example.com", role=Role.VIEWER)

    with time_machine.travel(timezone.now() + dt.timedelta(days=6)):
        resent = invitation_resend(membership=owner, invitation=invitation)
        assert resent.expires_at > timezone.now() + dt.timedelta(days=6, hours=23)
    with time_machine.travel(timezone.now() + dt.timedelta(days=14)):
        assert resent.state == Invitation.State.EXPIRED
        MembershipFactory.create_batch(9, workspace=workspace)  # the expired invitation held no seat
        with pytest.raises(NoFreeSeat):
            invitation_resend(membership=owner, invitation=resent)
