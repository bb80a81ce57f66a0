"""A live review session and the people in it.

The session's playback state lives in its row (one UPDATE per presenter state, a few a second at
most), so any web process can serve any participant: sockets fan out through a channel-layer group
per session (`review_sessions.live`), never through memory of one process."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from reviews.models import ShareLink
from videos.models import Comparison, Video, VideoStack

CODE_LENGTH = 22


def new_code() -> str:
    """22 URL-safe characters (128 bits): the join link carries it, so it must not be guessable."""
    return secrets.token_urlsafe(16)


class ReviewSession(models.Model):
    """One live session on one comparison, video or stack (a stack's shows its newest version against
    the one before, as a stack's link does). Target columns and their check constraint as ShareLink's."""

    class EndReason(models.TextChoices):
        ENDED = "ended", "Ended by its presenter, starter or an admin"
        IDLE = "idle", "Nobody was connected"
        LIMIT = "limit", "Reached its time limit"
        GONE = "gone", "Its object went"

    code = models.CharField(max_length=CODE_LENGTH, unique=True, default=new_code)
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    comparison = models.ForeignKey(
        Comparison, null=True, blank=True, on_delete=models.CASCADE, related_name="review_sessions"
    )
    video = models.ForeignKey(Video, null=True, blank=True, on_delete=models.CASCADE, related_name="review_sessions")
    stack = models.ForeignKey(
        VideoStack, null=True, blank=True, on_delete=models.CASCADE, related_name="review_sessions"
    )
    # Set when started from a link, or when the starter lets that link's guests in.
    link = models.ForeignKey(
        ShareLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_sessions"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by_name = models.CharField(max_length=150)
    # A guest who started it from a link (SHA-256 of their reviewer key): the starter's rights are theirs.
    started_by_key_digest = models.CharField(max_length=64, blank=True)
    presenter = models.ForeignKey("Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The presenter's state: where the page's timeline was (`position`, seconds) at server time
    # `state_at` (epoch ms), playing or not, at `rate`; the compare page's current difference and
    # threshold. `seq` counts the changes, so a follower can drop a late one.
    playing = models.BooleanField(default=False)
    position = models.FloatField(default=0.0)
    rate = models.FloatField(default=1.0)
    difference = models.IntegerField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    state_at = models.BigIntegerField(default=0)
    # The compare page's two players each at its own place, a move shown apart (review_sessions.apart):
    # {"a", "b", "ends"} at `state_at`, or null while they play in step along the timeline.
    apart = models.JSONField(null=True, blank=True)
    seq = models.PositiveIntegerField(default=0)
    # The presenter's last socket closed (the session paused there), and whether it was playing then:
    # it plays on when they come back.
    presenter_away_at = models.DateTimeField(null=True, blank=True)
    resume_playing = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    ends_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="review_session_exactly_one_object",
                condition=(
                    Q(comparison__isnull=False, video__isnull=True, stack__isnull=True)
                    | Q(comparison__isnull=True, video__isnull=False, stack__isnull=True)
                    | Q(comparison__isnull=True, video__isnull=True, stack__isnull=False)
                ),
            ),
        ]
        indexes = [models.Index(fields=["ends_at"], condition=Q(ended_at__isnull=True), name="review_session_live")]

    def __str__(self) -> str:
        return f"Session {self.code}"

    @property
    def target(self) -> Comparison | Video | VideoStack:
        target = self.comparison or self.video or self.stack
        assert target is not None  # the check constraint
        return target

    @property
    def live(self) -> bool:
        return self.ended_at is None


class Participant(models.Model):
    """One person in one session: a member (`user`) or a link's guest (`reviewer_key_digest`, the
    SHA-256 of their browser's reviewer key, as comments keep it). A reconnect reuses the row.

    `open_sockets` counts the person's open sockets (two tabs are one participant, connected while
    either is open). A web process that crashes never counts its sockets down; `last_seen_at`
    (refreshed every 10 s by the process holding their sockets, review_sessions.heartbeat) lets such
    rows age out instead."""

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reviewer_key_digest = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=150)
    following = models.BooleanField(default=True)
    open_sockets = models.PositiveIntegerField(default=0)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="participant_member_or_guest",
                condition=Q(user__isnull=False, reviewer_key_digest="")
                | Q(user__isnull=True) & ~Q(reviewer_key_digest=""),
            ),
            models.UniqueConstraint(
                fields=["session", "user"], condition=Q(user__isnull=False), name="one_participant_per_member"
            ),
            models.UniqueConstraint(
                fields=["session", "reviewer_key_digest"],
                condition=Q(user__isnull=True),
                name="one_participant_per_guest",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def guest(self) -> bool:
        return self.user_id is None
