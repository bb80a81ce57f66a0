"""Which workspaces a person belongs to, and with what role."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from sage.errors import NotFound
from workspaces.models import Membership, Workspace


def workspaces_of(user: User) -> QuerySet[Workspace]:
    """The workspaces `user` belongs to, the personal one first ("personal" sorts before "team"),
    then by name."""
    return Workspace.objects.filter(memberships__user=user).order_by("kind", "name", "pk")


def personal_workspace_of(user: User) -> Workspace:
    return Workspace.objects.get(created_by=user, kind=Workspace.Kind.PERSONAL)


def membership_in(user: User, workspace_id: object) -> Membership:
    """`user`'s membership of workspace `workspace_id`; NotFound (a 404) when they are not a member,
    whether or not it exists: another team's ids say nothing."""
    if not isinstance(workspace_id, int) or isinstance(workspace_id, bool):
        raise NotFound("No such workspace.")
    membership = Membership.objects.select_related("workspace").filter(user=user, workspace_id=workspace_id).first()
    if membership is None:
        raise NotFound("No such workspace.")
    return membership
