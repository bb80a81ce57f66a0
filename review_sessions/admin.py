from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from review_sessions.models import Participant, ReviewSession
from review_sessions.services import session_end


class ParticipantInline(admin.TabularInline[Participant, ReviewSession]):
    model = Participant
    fields = ["name", "user", "following", "open_sockets", "joined_at", "last_seen_at"]
    readonly_fields = ["name", "user", "following", "open_sockets", "joined_at", "last_seen_at"]
    extra = 0
    can_delete = False


@admin.register(ReviewSession)
class ReviewSessionAdmin(admin.ModelAdmin[ReviewSession]):
    """Operators read sessions and end them (a support request, abuse); they never start one."""

    list_display = ["code", "workspace", "started_by_name", "created_at", "ends_at", "ended_at", "end_reason"]
    list_filter = ["end_reason", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "started_by_name"]
    list_select_related = ["workspace"]
    exclude = ["started_by_key_digest"]
    readonly_fields = [
        field.name
        for field in ReviewSession._meta.get_fields()
        if field.concrete and field.name != "started_by_key_digest"
    ]
    inlines = [ParticipantInline]
    actions = ["end"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="End the selected sessions now", permissions=["change"])
    def end(self, request: HttpRequest, queryset: QuerySet[ReviewSession]) -> None:
        for pk in queryset.filter(ended_at__isnull=True).values_list("pk", flat=True):
            session_end(session_id=pk, reason=ReviewSession.EndReason.ENDED)
        self.message_user(request, "Ended.", messages.SUCCESS)
