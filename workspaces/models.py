"""Workspaces (issue 52): where work lives and who may do what with it.

Every account has one personal workspace, which only it belongs to; a team workspace has members,
each with one role. What each role may do is `workspaces.policy`'s table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The roles live with the policy (one ladder); models and forms name them from here too.
from workspaces.policy import ROLE_RANK as ROLE_RANK
from workspaces.policy import Member
from workspaces.policy import Role as Role

# The roles an invitation or a role change may give: owner comes only by a transfer.
GIVEN_ROLES: list[tuple[str, str]] = [(role, label) for role, label in Role.choices if role != Role.OWNER]


class Workspace(models.Model):
    class Kind(models.TextChoices):
        PERSONAL = "personal", "Personal"
        TEAM = "team", "Team"

    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Who made it. A team workspace's owner is its owner membership, and ownership can be
    # transferred, so a team workspace outlives the account that made it (SET_NULL); a personal one
    # goes with its account (workspaces.signals deletes it).
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
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

    def actor(self, scopes: frozenset[str] | None = None) -> Member:
        """This member as the policy's actor (`scopes`: an API token's; None: the browser session)."""
        return Member(user_id=self.user_id, workspace_id=self.workspace_id, role=self.role, scopes=scopes)


class Invitation(models.Model):
    """An invitation by e-mail to join a team workspace with a role, opened by the link it mails.

    The link's token is a capability: only its SHA-256 digest is stored (looked up by it), so the
    table alone opens nothing; resending mails a new token and the old link stops working. A pending
    invitation holds a seat until it is accepted, revoked or expires.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    # Kept lower-case: addresses are compared without regard to case, as allauth compares them.
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices)
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # When the link now valid was mailed (a resend moves it, with `expires_at`).
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open invitation per address and workspace: a second invite is a resend.
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_workspace_and_email",
            ),
            models.CheckConstraint(condition=~Q(role="owner"), name="invitation_role_not_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.workspace} as {self.role}"

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    def get_state_display(self) -> str:
        return self.State(self.state).label
