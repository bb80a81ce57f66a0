"""Conversations about one video (or a whole library) and their messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from videos.models import TEXT_EMBEDDING_DIM

TITLE_MAX_CHARS = 120


class Conversation(models.Model):
    """Owned by a user, or by a guest (an anonymous id): exactly one of the two.

    Without `video` the conversation is about the owner's whole library. Deleting moves it to the
    trash (`deleted_at`); a beat task purges what has been in the trash for CHAT_TRASH_DAYS."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="conversations"
    )
    guest_id = models.UUIDField(null=True, blank=True, db_index=True)
    # A member's conversation lives in the workspace it was started in (issue 52): a conversation over
    # the library asks that workspace's videos. A guest's has none (it is about one shared video).
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    video = models.ForeignKey(
        "videos.Video", null=True, blank=True, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=TITLE_MAX_CHARS, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["owner", "deleted_at", "-updated_at"], name="conversation_owner_list"),
            models.Index(fields=["workspace", "deleted_at", "-updated_at"], name="conversation_workspace_list"),
            models.Index(fields=["deleted_at"], name="conversation_trash"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(owner__isnull=False, guest_id__isnull=True))
                | (models.Q(owner__isnull=True, guest_id__isnull=False)),
                name="conversation_has_one_owner",
            ),
            # A member's conversation is in a workspace, always (a guest's is about one shared video):
            # a row saved without one is refused, not put somewhere.
            models.CheckConstraint(
                condition=models.Q(owner__isnull=True) | models.Q(workspace__isnull=False),
                name="member_conversation_in_a_workspace",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    class Status(models.TextChoices):
        STREAMING = "streaming", "Streaming"
        COMPLETE = "complete", "Complete"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Cancelled"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    # Plain text as typed or generated (Markdown for answers): pages must escape it when rendering.
    content = models.TextField(blank=True)
    # [{"video_id", "start", "end", "text"}]: the transcript passages the answer cites.
    citations = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETE)
    error_message = models.CharField(max_length=500, blank=True)
    cost = models.PositiveIntegerField(default=0, help_text="Tokens charged for this answer.")
    # The sender's id for a question: sending it again (a retry, a reconnect) returns the first one.
    client_id = models.CharField(max_length=64, blank=True)
    # An answer points at its question: one answer per question.
    reply_to = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="answer",
        limit_choices_to={"role": "user"},
    )
    # A billing hold key lives on the message id; kept so a settle/release can find the hold.
    hold = models.ForeignKey("billing.Hold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    embedding = VectorField(dimensions=TEXT_EMBEDDING_DIM, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["conversation_id", "pk"]  # by the column: "conversation" would join its table to sort
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=~models.Q(client_id=""),
                name="one_message_per_client_id",
            ),
            # One answer at a time per conversation, enforced by the database too.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=models.Q(role="assistant", status="streaming"),
                name="one_streaming_answer_per_conversation",
            ),
        ]
        indexes = [
            HnswIndex(
                name="message_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} message {self.pk} in conversation {self.conversation_id}"
