from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from reviews.models import ShareLink
from reviews.services import share_links_revoke


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin[ShareLink]):
    """Operators read links and revoke them; they never make, edit or see a token (only its
    digest's first characters, to match a support request's log line)."""

    list_display = ["name", "owner", "comparison", "video", "permission", "created_at", "last_opened_at", "revoked_at"]
    list_filter = ["permission", "show_owner_notes", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "owner__email"]
    list_select_related = ["owner", "comparison", "video"]
    raw_id_fields = ["owner", "comparison", "video"]
    readonly_fields = [
        "owner",
        "comparison",
        "video",
        "name",
        "permission",
        "show_owner_notes",
        "expires_at",
        "digest_start",
        "has_password",
        "created_at",
        "last_opened_at",
        "revoked_at",
    ]
    exclude = ["token_digest", "token_sealed", "password_hash"]
    actions = ["revoke"]

    @admin.display(description="Digest starts")
    def digest_start(self, link: ShareLink) -> str:
        return link.token_digest[:12]

    @admin.display(boolean=True, description="Password")
    def has_password(self, link: ShareLink) -> bool:
        return link.has_password

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ShareLink | None = None) -> bool:
        return False

    @admin.action(description="Revoke the selected links", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ShareLink]) -> None:
        revoked = share_links_revoke(links=queryset)
        self.message_user(request, f"Revoked {revoked} link(s).", messages.SUCCESS)
