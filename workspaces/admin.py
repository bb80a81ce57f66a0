"""Operators see every workspace, its members and invitations; members are changed through the site
(roles, invitations), so the admin shows them read-only."""

from __future__ import annotations

from django.contrib import admin

from workspaces.models import Invitation, Membership, Workspace


class MembershipInline(admin.TabularInline[Membership, Workspace]):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["user", "role", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin[Workspace]):
    list_display = ["name", "kind", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "created_by__email", "memberships__user__email"]
    readonly_fields = ["kind", "created_by", "created_at"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    """Read-only: an invitation's link exists only in the mail sent (its digest is all that is kept)."""

    list_display = ["email", "workspace", "role", "state", "invited_by", "sent_at", "expires_at"]
    list_select_related = ["workspace", "invited_by"]
    search_fields = ["email", "workspace__name", "invited_by__email"]
    exclude = ["token_digest"]
    readonly_fields = [
        "workspace",
        "email",
        "role",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
