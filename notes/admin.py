from __future__ import annotations

from django.contrib import admin

from notes.models import Note
from sage.formatting import clock_range


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin[Note]):
    list_display = ["short_text", "owner", "video", "at", "ai_generated", "ai_status", "created_at"]
    list_filter = ["ai_generated", "ai_status"]
    list_select_related = ["owner", "video"]
    search_fields = ["text", "owner__email", "video__title"]
    raw_id_fields = ["owner", "video"]
    readonly_fields = ["frame_key", "created_at", "updated_at"]
    date_hierarchy = "created_at"

    @admin.display(description="Text")
    def short_text(self, note: Note) -> str:
        text = " ".join(note.text.split())
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description="At", ordering="start")
    def at(self, note: Note) -> str:
        return clock_range(note.start, note.end, keep_empty=True)
