"""What happened in a workspace, for its members (the activity feed), and who did what that matters
for trust (the audit log: links, roles, members, money, API tokens), for its admins and operators.

Both are append-only, as the token ledger is (`billing.models.LedgerEntry`): a row is written once
and never changed or deleted by the site (deleting a workspace or an account removes its rows with it,
through the database's cascade). Each row copies the names it shows at the time it is written (the
actor's name or address, the target's label), so it still reads right after the person or the video
is gone.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Refuses the bulk writes that would change history: `update()` and `delete()`."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError(f"{self.model._meta.verbose_name_plural} are append-only: rows cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{self.model._meta.verbose_name_plural} are append-only: rows cannot be deleted.")


class AppendOnlyModel(models.Model):
    """A row is inserted once: saving it again, or deleting it, is refused."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError(f"{self._meta.verbose_name_plural} are append-only: rows cannot be changed.")
        # Always an INSERT: a new instance given an existing row's pk would otherwise UPDATE that row.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{self._meta.verbose_name_plural} are append-only: rows cannot be deleted.")


class ActivityEvent(AppendOnlyModel):
    """One thing a member (or a guest on a link) did in a workspace, as its feed shows it:
    "Ana uploaded 'Cut 3'"."""

    class Verb(models.TextChoices):
        UPLOADED = "uploaded", "uploaded"
        COMPARED = "compared", "compared"
        COMMENTED = "commented", "commented on"
        STATUS_CHANGED = "status_changed", "changed the status of"
        SHARED = "shared", "shared"
        MEMBER_ADDED = "member_added", "added"
        MEMBER_REMOVED = "member_removed", "removed"
        # Who joined by accepting an invitation, or left on their own: the workspace is the target.
        MEMBER_JOINED = "member_joined", "joined"
        MEMBER_LEFT = "member_left", "left"
        NOTE_ADDED = "note_added", "added a note to"
        PROJECT_CREATED = "project_created", "created the project"
        PROJECT_RENAMED = "project_renamed", "renamed the project"
        PROJECT_DELETED = "project_deleted", "deleted the project"
        PROJECT_RESTORED = "project_restored", "restored the project"
        # A video, stack or comparison put into a project or out of one (`details["to"]`).
        MOVED = "moved", "moved"
        # A live review session of a comparison, video or stack (review_sessions).
        SESSION_STARTED = "session_started", "started a live session on"
        SESSION_ENDED = "session_ended", "ended the live session on"
        SESSION_HANDED_OVER = "session_handed_over", "handed over the live session on"
        SESSION_TAKEN_OVER = "session_taken_over", "took control of the live session on"
        # One event of a comparison's change list marked To do, Done or Question (videos.conform).
        EVENT_MARKED = "event_marked", "marked a change in"

    # Named, not imported: workspaces sits above activity (it records who joined and went).
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    # Who did it: null for a guest on a share link, or once the account is deleted (`actor_name` stays).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    verb = models.CharField(max_length=20, choices=Verb.choices)
    # What it was done to: its kind ("video", "comparison", "stack", "member"…), its id, and its name
    # then. No foreign key: the event outlives what it names.
    target_kind = models.CharField(max_length=30)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[AppendOnlyQuerySet] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "activity event"
        verbose_name_plural = "activity events"
        # The feed: one workspace's events, newest first, read page by page from a (time, id) cursor.
        indexes = [models.Index(fields=["workspace", "-created_at", "-id"], name="activity_feed")]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_verb_display()} {self.target_label!r}"


class AuditEntry(AppendOnlyModel):
    """One action an admin or an operator may have to answer for later: who made or revoked a link,
    changed a role, added or removed a member, bought tokens, made or revoked an API token."""

    class Action(models.TextChoices):
        LINK_CREATED = "link_created", "Share link created"
        LINK_REVOKED = "link_revoked", "Share link revoked"
        # A new token for the same link: the old URL stopped working at once.
        LINK_ROTATED = "link_rotated", "Share link's URL replaced"
        ROLE_CHANGED = "role_changed", "Role changed"
        MEMBER_ADDED = "member_added", "Member added"
        MEMBER_REMOVED = "member_removed", "Member removed"
        INVITATION_SENT = "invitation_sent", "Invitation sent"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        # The same invitation mailed again with a new link (the one sent before stops working).
        INVITATION_RESENT = "invitation_resent", "Invitation resent"
        OWNERSHIP_TRANSFERRED = "ownership_transferred", "Ownership transferred"
        TOKENS_BOUGHT = "tokens_bought", "Tokens bought"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        # A project and everything in it leave every member's lists (and come back): an admin's matter.
        PROJECT_DELETED = "project_deleted", "Project deleted"
        PROJECT_RESTORED = "project_restored", "Project restored"
        PROJECT_PURGED = "project_purged", "Project deleted for good"
        # A team workspace its owner was alone in, deleted with their account (its work and wallet).
        WORKSPACE_DELETED = "workspace_deleted", "Workspace deleted with its owner's account"

    # Null: a site-wide action (an operator's). A deleted workspace's entries stay, with its name.
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    workspace_name = models.CharField(max_length=80, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The address the actor had then (blank: the site or a webhook acted, or a guest).
    actor_email = models.EmailField(blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    target_label = models.CharField(max_length=200)
    details = models.JSONField(default=dict, blank=True)
    # Where the request came from, when a request did it (`sage.client_address`); null from tasks.
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[AppendOnlyQuerySet] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="audit_by_workspace"),
            models.Index(fields=["-created_at", "-id"], name="audit_by_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target_label} by {self.actor_email or 'the site'}"
