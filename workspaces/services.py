"""Creating workspaces and their memberships."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from workspaces.models import Membership, Role, Workspace


def personal_workspace_name(display_name: str, email: str) -> str:
    """What a personal workspace is called: its owner's name, else the address's local part."""
    return (display_name or email.split("@")[0] or "My workspace")[:80]


@transaction.atomic
def workspace_create_personal(*, user: User) -> Workspace:
    """The account's personal workspace, with the account as its owner (made once; the same one
    after)."""
    workspace, created = Workspace.objects.get_or_create(
        created_by=user,
        kind=Workspace.Kind.PERSONAL,
        defaults={"name": personal_workspace_name(user.display_name, user.email)},
    )
    if created:
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace
