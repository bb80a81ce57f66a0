"""Workspaces (issue 52): where work lives and who may do what with it.

Every account has one personal workspace, which only it belongs to; a team workspace has members,
each with one role. Roles are ranked: a role may do everything the roles below it may.

- viewer: watch and read;
- commenter: also comment and take notes;
- editor: also upload, compare, chat and share;
- admin: also manage members and links, and see billing;
- owner: also transfer ownership (one per workspace).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    COMMENTER = "commenter", "Commenter"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"


# Each role's rank: a role may do what every lower-ranked role may.
ROLE_RANK: dict[str, int] = {role: rank for rank, role in enumerate(Role.values)}


class Workspace(models.Model):
    class Kind(models.TextChoices):
        PERSONAL = "personal", "Personal"
        TEAM = "team", "Team"

    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # A personal workspace goes with its account. (A team workspace's owner is its owner membership;
    # what deleting its creator does to it comes with ownership transfer, a later slice.)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One personal workspace per account.
            models.UniqueConstraint(
                fields=["created_by"], condition=Q(kind="personal"), name="one_personal_workspace_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_workspace_and_user"),
            models.UniqueConstraint(fields=["workspace"], condition=Q(role="owner"), name="one_owner_per_workspace"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace}: {self.role}"

    def may(self, role: str) -> bool:
        """Whether this member may do what `role` may."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]
