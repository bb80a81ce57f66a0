"""What the activity tests share: a team workspace with members, and clients acting in it."""

from __future__ import annotations

from accounts.models import User
from workspaces.models import Membership, Role, Workspace


def team_of(owner: User, members: dict[User, str] | None = None, name: str = "Studio") -> Workspace:
    """A team workspace `owner` owns, with `members` in their roles."""
    team = Workspace.objects.create(name=name, kind=Workspace.Kind.TEAM, created_by=owner)
    Membership.objects.create(workspace=team, user=owner, role=Role.OWNER)
    for member, role in (members or {}).items():
        Membership.objects.create(workspace=team, user=member, role=role)
    return team
