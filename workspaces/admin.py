"""Operators see every workspace and its members; members are changed through the site (roles,
invitations), so the admin shows them read-only."""

from __future__ import annotations

from django.contrib import admin

from workspaces.models import Membership, Workspace


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
