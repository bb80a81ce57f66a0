"""Issue 52, activity and audit: what a team's members and admins do to the team shows in its feed
(who joined, who left, what was approved) and in its audit log (invitations, roles, ownership)."""

from __future__ import annotations

import pytest

from activity.models import ActivityEvent, AuditEntry
from reviews.approvals import review_status_set_by_member
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory, VideoFactory, member_in, on_plan
from workspaces.invitations import invitation_accept, invitation_create, invitation_revoke
from workspaces.models import Membership, Role, Workspace
from workspaces.services import member_change_role, membership_remove, ownership_transfer

pytestmark = pytest.mark.django_db


def feed(workspace: Workspace) -> list[tuple[str, str, str]]:
    events = ActivityEvent.objects.filter(workspace=workspace).order_by("id")
    return [(event.actor_name, event.verb, event.target_label) for event in events]


def audit(workspace: Workspace) -> list[tuple[str, str, str]]:
    entries = AuditEntry.objects.filter(workspace=workspace).order_by("id")
    return [(entry.actor_email, entry.action, entry.target_label) for entry in entries]


def owner_of(workspace: Workspace) -> Membership:
    return Membership.objects.select_related("workspace", "user").get(workspace=workspace, role=Role.OWNER)


def test_joining_changing_roles_leaving_and_handing_over_are_in_the_feed_and_the_audit_log() -> None:
    team = TeamWorkspaceFactory(created_by=UserFactory(email="pia@example.com", display_name="Pia"))
    owner = owner_of(team)
    ana = UserFactory(email="ana@example.com", display_name="Ana")
    on_plan(ana, "team")  # to take the workspace over, later
    invitation_create(membership=owner, email="ana@example.com", role=Role.VIEWER)
    gone = invitation_create(membership=owner, email="bo@example.com", role=Role.EDITOR)
    invitation_revoke(membership=owner, invitation=gone)
    anas = invitation_accept(invitation=team.invitations.get(email="ana@example.com"), user=ana)
    member_change_role(membership=owner, member=anas, role=Role.ADMIN)
    ownership_transfer(membership=owner, member=Membership.objects.get(pk=anas.pk))
    cy = MembershipFactory(workspace=team, role=Role.EDITOR, user=UserFactory(email="cy@example.com"))
    membership_remove(membership=owner_of(team), member=cy)

    # Ana joined (she accepted): "Ana joined “Studio”", not "Ana added “Ana”".
    assert feed(team) == [("Ana", "member_joined", team.name), ("Ana", "member_removed", cy.user.name)]
    assert audit(team) == [
        ("pia@example.com", "invitation_sent", "ana@example.com (viewer)"),
        ("pia@example.com", "invitation_sent", "bo@example.com (editor)"),
        ("pia@example.com", "invitation_revoked", "bo@example.com (editor)"),
        ("ana@example.com", "member_added", "ana@example.com (viewer)"),
        ("pia@example.com", "role_changed", "ana@example.com: viewer → admin"),
        ("pia@example.com", "ownership_transferred", "pia@example.com → ana@example.com"),
        ("ana@example.com", "member_removed", "cy@example.com (editor)"),
    ]


def test_a_refused_role_change_leaves_no_entry() -> None:
    team = TeamWorkspaceFactory()
    viewer = MembershipFactory(workspace=team, role=Role.VIEWER)
    editor = MembershipFactory(workspace=team, role=Role.EDITOR)

    with pytest.raises(Exception, match="Only admins"):
        member_change_role(membership=viewer, member=editor, role=Role.VIEWER)

    assert audit(team) == []


def test_a_producers_approval_is_in_the_teams_feed() -> None:
    team = TeamWorkspaceFactory()
    producer = owner_of(team).user
    editor = MembershipFactory(workspace=team, role=Role.EDITOR).user
    cut = VideoFactory(owner=editor, workspace=team, title="Harbour cut", ready=True)
    review_status_set_by_member(member=member_in(producer, team.pk), target=cut, status="changes_requested")

    assert feed(team)[-1] == (producer.name, "status_changed", cut.label)
    assert ActivityEvent.objects.filter(workspace=team).last().details == {  # type: ignore[union-attr]
        "from": "in_progress",
        "to": "changes_requested",
        "to_label": "Changes requested",
        "link_id": None,
    }
