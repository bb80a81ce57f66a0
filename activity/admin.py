"""Operators read the activity and the audit log; nobody adds, changes or deletes a row here (the
models refuse it too: both are append-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from activity.models import ActivityEvent, AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor_email", "target_label", "workspace_label", "client_address"]
    list_filter = ["action", ("workspace", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["actor_email", "target_label", "workspace_name"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace"]
    show_full_result_count = False  # a long log: no second COUNT(*) over all of it on every page

    @admin.display(description="Workspace", ordering="workspace_name")
    def workspace_label(self, entry: AuditEntry) -> str:
        if entry.workspace is not None:
            return str(entry.workspace)
        return f"{entry.workspace_name} (deleted)" if entry.workspace_name else "Site-wide"


@admin.register(ActivityEvent)
class ActivityEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "workspace", "actor_name", "verb", "target_kind", "target_label"]
    list_filter = ["verb", ("workspace", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["actor_name", "actor__email", "target_label"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace"]
    show_full_result_count = False
