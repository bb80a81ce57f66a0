from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from chat.models import Conversation, Message


class MessageInline(admin.TabularInline[Message, Conversation]):
    model = Message
    extra = 0
    can_delete = False
    fields = ["role", "status", "content", "citations", "cost", "client_id", "created_at"]
    readonly_fields = ["role", "status", "content", "citations", "cost", "client_id", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Conversation | None = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin[Conversation]):
    """Every conversation, trashed ones included (filter on "in the trash")."""

    list_display = ["__str__", "owner", "guest_id", "video", "created_at", "updated_at", "deleted_at"]
    list_filter = [("deleted_at", admin.EmptyFieldListFilter)]
    list_select_related = ["owner", "video"]
    search_fields = ["title", "owner__email", "guest_id"]
    raw_id_fields = ["owner", "video"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MessageInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        return super().get_queryset(request)  # the model's default manager already includes the trash


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    """Read-only: messages are a record of what was said and charged."""

    list_display = ["pk", "conversation", "role", "status", "cost", "created_at"]
    list_filter = ["role", "status"]
    list_select_related = ["conversation"]
    search_fields = ["content", "conversation__title", "conversation__owner__email"]
    exclude = ["embedding"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False
