from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from sage.formatting import data_size
from videos.models import Comparison, RecutJob, Transcript, TranscriptSegment, Upload, UploadPart, Video, VideoStack
from videos.pipeline.retranscribe import video_retranscribe
from videos.screen_text.state import screen_text_read_again
from videos.services import video_cancel, video_reembed, video_retry


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin[Video]):
    list_display = [
        "title", "owner", "source", "status", "stage", "percent", "crash_recovery", "duration", "file_size",
        "created_at",
    ]  # fmt: skip
    list_filter = ["status", "source", ("owner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__email"]
    raw_id_fields = ["owner"]
    readonly_fields = [
        "created_at", "updated_at", "ready_at", "storage_key", "file_size", "backends", "hold", "attempts",
        "crash_recovery", "crashes", "lease_process",
    ]  # fmt: skip
    actions = ["retry_videos", "cancel_videos", "reembed_videos", "retranscribe_videos", "read_screen_again"]

    @admin.display(description="Crash recovery")
    def crash_recovery(self, video: Video) -> str:
        return video.resume_note

    @admin.display(description="Size", ordering="size")
    def file_size(self, video: Video) -> str:
        return data_size(video.size) if video.size is not None else "—"

    @admin.action(description="Retry processing (failed or cancelled videos)")
    def retry_videos(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        retried = sum(video_retry(video=video) for video in queryset)
        self.message_user(request, f"Queued {retried} video(s) for processing again.", messages.SUCCESS)

    @admin.action(description="Cancel processing (refunds the hold)")
    def cancel_videos(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        cancelled = sum(video_cancel(video=video) for video in queryset)
        self.message_user(request, f"Cancelled {cancelled} video(s).", messages.SUCCESS)

    @admin.action(description="Re-embed clips (ready uploads, with the configured backend)")
    def reembed_videos(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        queued = sum(video_reembed(video=video) for video in queryset)
        skipped = queryset.count() - queued
        note = f" Skipped {skipped} that are not ready uploads." if skipped else ""
        self.message_user(request, f"Queued {queued} video(s) for new clip embeddings.{note}", messages.SUCCESS)

    @admin.action(description="Re-transcribe (ready videos: transcript, search chunks and summary made again)")
    def retranscribe_videos(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        queued = sum(video_retranscribe(video=video) for video in queryset)
        skipped = queryset.count() - queued
        note = f" Skipped {skipped} that are not ready." if skipped else ""
        self.message_user(request, f"Queued {queued} video(s) for a new transcript.{note}", messages.SUCCESS)

    @admin.action(description="Read the screen again (ready uploads: the text shown, read and indexed again)")
    def read_screen_again(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        queued = sum(screen_text_read_again(video=video) for video in queryset)
        skipped = queryset.count() - queued
        note = f" Skipped {skipped} that are not ready uploads." if skipped else ""
        self.message_user(request, f"Queued {queued} video(s) to read the text on screen.{note}", messages.SUCCESS)


class UploadPartInline(admin.TabularInline[UploadPart, Upload]):
    model = UploadPart
    extra = 0
    can_delete = False
    fields = ("number", "part_bytes", "etag", "received_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Upload | None = None) -> bool:
        return False

    @admin.display(description="Size")
    def part_bytes(self, part: UploadPart) -> str:
        return data_size(part.size)


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin[Upload]):
    list_display = ["filename", "owner", "status", "store", "file_size", "part_count", "created_at", "last_activity_at"]
    list_filter = ["status", "store"]
    list_select_related = ["owner"]
    search_fields = ["filename", "owner__email"]
    inlines = [UploadPartInline]
    readonly_fields = [
        "id", "owner", "video", "filename", "content_type", "file_size", "part_bytes", "part_count", "store",
        "s3_upload_id", "status", "created_at", "last_activity_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Size", ordering="size")
    def file_size(self, upload: Upload) -> str:
        return data_size(upload.size)

    @admin.display(description="Part size")
    def part_bytes(self, upload: Upload) -> str:
        return data_size(upload.part_size)


class TranscriptSegmentInline(admin.TabularInline[TranscriptSegment, Transcript]):
    model = TranscriptSegment
    extra = 0
    can_delete = False
    fields = ("index", "start", "end", "text", "low_confidence")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Transcript | None = None) -> bool:
        return False


@admin.register(Transcript)
class TranscriptAdmin(admin.ModelAdmin[Transcript]):
    """Read-only: a transcript is made by the pipeline; the videos' "Re-transcribe" action makes it again."""

    list_display = ["video", "source", "language", "low_confidence", "created_at"]
    list_filter = ["source", "low_confidence"]
    list_select_related = ["video"]
    search_fields = ["video__title", "video__owner__email", "text"]
    readonly_fields = ["video", "source", "language", "low_confidence", "text", "created_at"]
    inlines = [TranscriptSegmentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Transcript | None = None) -> bool:
        return False


@admin.register(Comparison)
class ComparisonAdmin(admin.ModelAdmin[Comparison]):
    """Read-only: comparisons are made (and their threshold kept) by their owners."""

    list_display = ["__str__", "owner", "metric", "alignment", "threshold", "similarity", "updated_at"]
    # Which engine made a row, and whether its videos could be read: what is left to recompute.
    list_filter = ["engine", "unreadable", "metric", "alignment"]
    list_select_related = ["owner"]
    search_fields = ["owner__email", "video_a__title", "video_b__title"]
    fields = readonly_fields = (
        "owner", "video_a", "video_b", "metric", "alignment", "engine", "unreadable", "threshold", "similarity",
        "counts", "segments",
        "word_changes", "summary", "summary_backend", "created_at", "updated_at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Comparison | None = None) -> bool:
        return False


@admin.register(RecutJob)
class RecutJobAdmin(admin.ModelAdmin[RecutJob]):
    """Read-only: recut jobs are asked for by their owners and run by workers (docs/recut.md)."""

    list_display = ["__str__", "owner", "stem", "status", "percent", "created_at"]
    list_filter = ["status"]
    list_select_related = ["owner"]
    search_fields = ["owner__email", "stem", "file_name"]
    fields = readonly_fields = (
        "owner", "comparison", "stem", "file_name", "channels", "sample_format", "frames", "lead", "status",
        "percent", "error_message", "source_key", "result_key", "start_timecode", "time_reference", "silences",
        "null_test", "null_test_note", "hold", "created_at", "updated_at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RecutJob | None = None) -> bool:
        return False


class VersionInline(admin.TabularInline[Video, VideoStack]):
    """A stack's versions, read-only: versions are made by uploads, not by hand."""

    model = Video
    fk_name = "stack"
    fields = readonly_fields = ("version", "title", "status", "created_at", "ready_at")
    ordering = ["version"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: VideoStack | None = None) -> bool:
        return False


@admin.register(VideoStack)
class VideoStackAdmin(admin.ModelAdmin[VideoStack]):
    list_display = ["title", "owner", "version_count", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__email"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at"]
    inlines = [VersionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[VideoStack]:
        return super().get_queryset(request).annotate(version_total=Count("versions"))

    @admin.display(description="Versions", ordering="version_total")
    def version_count(self, stack: VideoStack) -> int:
        return int(getattr(stack, "version_total", 0))
