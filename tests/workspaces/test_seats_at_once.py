"""Invitations sent at once for the last seats: the workspace row's lock makes each count the ones
before it, so no more than the seats are ever taken, on the real Postgres with one connection per
thread."""

from __future__ import annotations

import pytest

from tests.at_once import at_once
from tests.factories import MembershipFactory, TeamWorkspaceFactory
from workspaces.invitations import invitation_create
from workspaces.models import Invitation, Membership, Role
from workspaces.selectors import seats_taken
from workspaces.services import NoFreeSeat

pytestmark = pytest.mark.django_db(transaction=True)


def test_invitations_at_once_never_take_more_than_the_free_seats() -> None:
    workspace = TeamWorkspaceFactory()
    MembershipFactory.create_batch(7, workspace=workspace)  # 8 of 10 seats taken
    owner = Membership.objects.select_related("workspace", "user").get(workspace=workspace, role=Role.OWNER)

    results = at_once(10, lambda n: invitation_create(membership=owner, email=f"p{n}@example.com", role=Role.VIEWER))

    assert sum(isinstance(result, Invitation) for result in results) == 2
    assert sum(isinstance(result, NoFreeSeat) for result in results) == 8
    assert seats_taken(workspace) == 10
