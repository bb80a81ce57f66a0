"""Videos and their resumable uploads."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# What the upload page and the API accept; the probe enforces the real container allow-list.
ALLOWED_EXTENSIONS = (".mp4", ".mov", ".m4v", ".webm", ".mkv")


class Video(models.Model):
    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        YOUTUBE = "youtube", "YouTube"

    class Status(models.TextChoices):
        UPLOADING = "uploading", "Uploading"
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    youtube_id = models.CharField(max_length=11, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADING)
    stage = models.CharField(max_length=30, blank=True, help_text="The pipeline step running now.")
    percent = models.PositiveSmallIntegerField(default=0)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    video_codec = models.CharField(max_length=30, blank=True)
    audio_codec = models.CharField(max_length=30, blank=True)
    has_audio = models.BooleanField(null=True, blank=True)
    size = models.BigIntegerField(null=True, blank=True, help_text="Bytes.")
    storage_key = models.CharField(max_length=500, blank=True)
    poster_key = models.CharField(max_length=500, blank=True)
    # An outside poster (YouTube's thumbnail), used when there is no poster of our own.
    poster_url = models.URLField(max_length=500, blank=True)
    sprite_key = models.CharField(max_length=500, blank=True)
    # Tile geometry of the sprite: {"columns", "rows", "tile_width", "tile_height", "interval"}.
    sprite_meta = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # Which backend produced each kind of derived data, e.g. {"clips": "local", "transcript": "sidecar"}.
    backends = models.JSONField(default=dict, blank=True)
    # Tokens held while processing; settled when ready, released when it fails or is cancelled.
    hold = models.ForeignKey("billing.Hold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Processing runs started (a retry or a requeue after a crash adds one); keys the hold per run.
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=50, blank=True, help_text="The Celery task processing it now.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "status", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "youtube_id"],
                condition=models.Q(source="youtube"),
                name="one_video_per_youtube_id_per_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Upload(models.Model):
    """A resumable upload in parts; it becomes the video's file when every part has arrived."""

    class Store(models.TextChoices):
        LOCAL = "local", "Local storage"
        S3 = "s3", "S3"

    class Status(models.TextChoices):
        ACTIVE = "active", "Receiving parts"
        COMPLETED = "completed", "Completed"
        ABORTED = "aborted", "Aborted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    video = models.OneToOneField(Video, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(help_text="Bytes announced when the upload was created.")
    part_size = models.PositiveIntegerField()
    part_count = models.PositiveIntegerField()
    store = models.CharField(max_length=5, choices=Store.choices)
    s3_upload_id = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "last_activity_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    def expected_part_size(self, number: int) -> int:
        """Every part is `part_size` bytes except the last, which holds the rest."""
        if number < self.part_count:
            return self.part_size
        return self.size - self.part_size * (self.part_count - 1)


class UploadPart(models.Model):
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    etag = models.CharField(max_length=100, blank=True, help_text="S3's ETag, or the part's SHA-256 locally.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["upload", "number"], name="one_row_per_upload_part")]

    def __str__(self) -> str:
        return f"part {self.number} of {self.upload_id}"
