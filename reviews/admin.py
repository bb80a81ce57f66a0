from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from reviews.comments import comment_delete
from reviews.models import Comment, ShareLink, StatusChange
from reviews.services import share_links_revoke


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin[ShareLink]):
    """Operators read links and revoke them; they never make, edit or see a token (only its
    digest's first characters, to match a support request's log line)."""

    list_display = ["name", "owner", "comparison", "video", "permission", "created_at", "last_opened_at", "revoked_at"]
    list_filter = [
        "permission",
        "show_owner_notes",
        "allow_status",
        "allow_sessions",
        ("revoked_at", admin.EmptyFieldListFilter),
    ]
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
        "allow_status",
        "allow_sessions",
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
        revoked = share_links_revoke(links=queryset, by=_operator(request))
        self.message_user(request, f"Revoked {revoked} link(s).", messages.SUCCESS)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    """Operators read reviewers' comments and delete abusive ones (a thread's replies go with it);
    they never write one or see a reviewer's key digest."""

    list_display = ["author_name", "body_start", "link", "side", "start", "by_owner", "created_at", "resolved_at"]
    list_filter = ["by_owner", "side", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["body", "author_name", "link__name", "link__owner__email"]
    list_select_related = ["link"]
    readonly_fields = [
        "link",
        "comparison",
        "video",
        "parent",
        "side",
        "start",
        "end",
        "body",
        "author_name",
        "by_owner",
        "created_at",
        "resolved_at",
        "notified_at",
    ]
    exclude = ["author_key_digest"]

    @admin.display(description="Comment")
    def body_start(self, comment: Comment) -> str:
        return comment.body if len(comment.body) <= 80 else comment.body[:79] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False

    # Through the service: open pages and the owner see the comment go.
    def delete_model(self, request: HttpRequest, obj: Comment) -> None:
        comment_delete(comment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        for comment in queryset.select_related("link"):
            if Comment.objects.filter(pk=comment.pk).exists():  # a reply may have gone with its thread
                comment_delete(comment=comment)


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin[StatusChange]):
    """Operators read review-status history (who approved what, when); it is history: nobody edits
    or deletes it here."""

    list_display = ["at", "video", "comparison", "from_status", "to_status", "by_name", "by_guest", "link"]
    list_filter = ["to_status", "by_guest"]
    search_fields = ["by_name", "by_user__email", "link__name", "video__title"]
    list_select_related = ["video", "comparison__video_a", "comparison__video_b", "link"]
    readonly_fields = [
        "video",
        "comparison",
        "from_status",
        "to_status",
        "by_user",
        "by_name",
        "by_guest",
        "link",
        "at",
        "notified_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StatusChange | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StatusChange | None = None) -> bool:
        return False


def _operator(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the admin lets only signed-in staff in
    return request.user
