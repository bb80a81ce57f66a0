from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from videos.models import Upload, UploadPart, Video


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin[Video]):
    list_display = ["title", "owner", "source", "status", "stage", "percent", "duration", "size", "created_at"]
    list_filter = ["status", "source"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__email"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at", "ready_at", "storage_key", "size", "backends"]


class UploadPartInline(admin.TabularInline[UploadPart, Upload]):
    model = UploadPart
    extra = 0
    can_delete = False
    readonly_fields = ["number", "size", "etag", "received_at"]

    def has_add_permission(self, request: HttpRequest, obj: Upload | None = None) -> bool:
        return False


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin[Upload]):
    list_display = ["filename", "owner", "status", "store", "size", "part_count", "created_at", "last_activity_at"]
    list_filter = ["status", "store"]
    list_select_related = ["owner"]
    search_fields = ["filename", "owner__email"]
    inlines = [UploadPartInline]
    readonly_fields = [
        "id", "owner", "video", "filename", "content_type", "size", "part_size", "part_count", "store",
        "s3_upload_id", "status", "created_at", "last_activity_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
