"""Timestamped notes on videos: typed by a person, or written from the transcript (AI notes)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

MAX_TEXT_LENGTH = 10_000


class Note(models.Model):
    class AiStatus(models.TextChoices):
        NONE = "", "Not an AI note"
        WAITING = "waiting", "Waiting for the transcript"
        GENERATING = "generating", "Being written"
        DONE = "done", "Written"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes")
    # The workspace it lives in (issue 52): who may see and change it goes by membership there;
    # `owner` is who made it, and stays when they leave.
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="notes")
    start = models.FloatField(help_text="Seconds into the video.")
    end = models.FloatField(null=True, blank=True, help_text="Seconds; set for a note about a range.")
    # A safe Markdown subset (notes.markdown), rendered escaped.
    text = models.TextField(blank=True, max_length=MAX_TEXT_LENGTH)
    ai_generated = models.BooleanField("AI-generated", default=False)
    ai_status = models.CharField(max_length=10, choices=AiStatus.choices, blank=True, default=AiStatus.NONE)
    # A JPEG still of the uploaded video at `start`; blank until made (never for YouTube videos).
    frame_key = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [
            models.Index(fields=["workspace", "video", "start"], name="note_workspace_video_start"),
            models.Index(fields=["workspace", "-created_at"], name="note_workspace_newest"),
            models.Index(fields=["ai_status"], name="note_ai_pending", condition=~Q(ai_status="")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="note_start_not_negative"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="note_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"note {self.pk} at {self.start:.1f}s on video {self.video_id}"

    @property
    def ai_pending(self) -> bool:
        return self.ai_status in (self.AiStatus.WAITING, self.AiStatus.GENERATING)
