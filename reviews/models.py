"""Share links: a capability, by URL, to one of an owner's objects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from videos.models import Comparison, Project, ReviewStatus, Video, VideoStack


class ShareLink(models.Model):
    """A link that opens one comparison or one video to anyone who holds it, without an account.

    Scope is one nullable foreign key per kind of object, with a check constraint that exactly one
    is set (a version stack gets its own column and joins the constraint): the database holds the
    scope, and "the links of this comparison" or "may this link see that video" is a plain join —
    a GenericForeignKey would hold neither.

    The token is never stored as it is. `token_digest` (SHA-256 of the token, unique) is what a
    request is looked up by; `token_sealed` is the token encrypted with a key derived from
    SECRET_KEY (`reviews.tokens`), so the owner can copy a link again from the list, as review
    tools let them, while a copy of the database alone opens nothing.
    """

    class Permission(models.TextChoices):
        VIEW = "view", "View only"
        COMMENT = "comment", "View and comment"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links")
    # The workspace it lives in (issue 52): who may see and change it goes by membership there;
    # `owner` is who made it, and stays when they leave.
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    comparison = models.ForeignKey(
        Comparison, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links"
    )
    video = models.ForeignKey(Video, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links")
    # A version stack: the link shows its newest version against the one before.
    stack = models.ForeignKey(VideoStack, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links")
    # A project: the link opens each of its videos (a stack's newest version), and nothing else.
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links")
    name = models.CharField(max_length=100)
    permission = models.CharField(max_length=10, choices=Permission.choices, default=Permission.VIEW)
    show_owner_notes = models.BooleanField(default=False)
    # Guests may also set the review status (reviews.approvals); only with comment permission.
    allow_status = models.BooleanField(default=False)
    # Guests may join (and start) live review sessions of the link's object (review_sessions); only
    # with comment permission, like allow_status: a session's guests may present and draw.
    allow_sessions = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Django's password hashers (make_password); empty: no password.
    password_hash = models.CharField(max_length=128, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    token_sealed = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="share_link_exactly_one_object",
                condition=(
                    Q(comparison__isnull=False, video__isnull=True, stack__isnull=True, project__isnull=True)
                    | Q(comparison__isnull=True, video__isnull=False, stack__isnull=True, project__isnull=True)
                    | Q(comparison__isnull=True, video__isnull=True, stack__isnull=False, project__isnull=True)
                    | Q(comparison__isnull=True, video__isnull=True, stack__isnull=True, project__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shared_object(self) -> Comparison | Video | VideoStack | Project:
        shared = self.comparison or self.video or self.stack or self.project
        assert shared is not None  # the check constraint
        return shared

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)


class Comment(models.Model):
    """A reviewer's timecoded comment, made through a share link, or a reply under one.

    It belongs to the link it came through (a guest of one link never sees another link's comments;
    the owner sees them all) and to the object that was on screen when it was made: the comparison
    or the video. A link to a version stack shows the newest pair, so its comments stay on the
    comparison (the versions) they were made on. A reply (`parent`) repeats its parent's link,
    object, side and time, and is never itself replied to. The owner's replies carry no reviewer key.
    """

    class Side(models.TextChoices):
        A = "a", "A"
        B = "b", "B"
        VIDEO = "video", "The video"

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="comments")
    comparison = models.ForeignKey(
        Comparison, null=True, blank=True, on_delete=models.CASCADE, related_name="review_comments"
    )
    video = models.ForeignKey(Video, null=True, blank=True, on_delete=models.CASCADE, related_name="review_comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    side = models.CharField(max_length=5, choices=Side.choices)
    # Seconds on that side's video; `end` set for a range.
    start = models.FloatField()
    end = models.FloatField(null=True, blank=True)
    body = models.TextField()
    author_name = models.CharField(max_length=60)
    by_owner = models.BooleanField(default=False)
    # SHA-256 of the random key the reviewer's browser keeps: only that browser deletes the comment.
    author_key_digest = models.CharField(max_length=64, blank=True)
    # The sender's own id for this comment: a POST sent again with it (after a lost reply or a 503
    # whose commit went through) answers with the comment already stored instead of a second one.
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # When the owner's e-mail digest told them of it (empty: not yet; the owner's own: never needed).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="comment_on_comparison_or_video",
                condition=Q(comparison__isnull=False, video__isnull=True)
                | Q(comparison__isnull=True, video__isnull=False),
            ),
            models.CheckConstraint(
                name="comment_end_after_start", condition=Q(end__isnull=True) | Q(end__gte=F("start"))
            ),
            models.UniqueConstraint(
                fields=["link", "client_id"], condition=~Q(client_id=""), name="one_comment_per_client_id"
            ),
        ]
        indexes = [
            models.Index(fields=["link", "created_at"]),
            models.Index(
                fields=["created_at"], condition=Q(notified_at__isnull=True, by_owner=False), name="comment_to_notify"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_name} at {self.start:.1f}s"


class StatusChange(models.Model):
    """One change of a version's (video's) or a comparison's review status: from, to, by whom, when.

    Its target is one of two foreign keys, with a check constraint as ShareLink's. Who changed it is
    a member (`by_user`, NULL once the account goes) or a guest (`by_guest`, through `link`); either
    way `by_name` is the name as it read then, so the history still reads when either is gone."""

    video = models.ForeignKey(Video, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes")
    comparison = models.ForeignKey(
        Comparison, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=ReviewStatus.choices)
    to_status = models.CharField(max_length=20, choices=ReviewStatus.choices)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link = models.ForeignKey(ShareLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="status_changes")
    by_name = models.CharField(max_length=80)
    # Made by a guest of `link` (stays true when the link is deleted), not by a member.
    by_guest = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)
    # When the owner's e-mail digest told them of it (empty: not yet; the owner's own: never needed).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="status_change_on_video_or_comparison",
                condition=Q(comparison__isnull=False, video__isnull=True)
                | Q(comparison__isnull=True, video__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["at"], condition=Q(notified_at__isnull=True), name="status_change_to_notify"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status} by {self.by_name}"


class DigestNotice(models.Model):
    """One reviewer's comment or one review-status change to tell one person in their next e-mail
    digest (reviews.digest). The digest hands each new comment and change out to everyone due it (the
    object's maker and, in a team workspace, its admins and owner) once, then sends each person theirs:
    a row per person, so each gets every item once at their own pace, and a person removed or opted
    out meanwhile is dropped at sending time."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status_change = models.ForeignKey(StatusChange, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="digest_notice_of_comment_or_status_change",
                condition=Q(comment__isnull=False, status_change__isnull=True)
                | Q(comment__isnull=True, status_change__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["recipient", "comment"], condition=Q(comment__isnull=False), name="one_notice_per_comment"
            ),
            models.UniqueConstraint(
                fields=["recipient", "status_change"],
                condition=Q(status_change__isnull=False),
                name="one_notice_per_status_change",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient"], condition=Q(sent_at__isnull=True), name="digest_notice_to_send"),
        ]

    def __str__(self) -> str:
        return f"To {self.recipient_id}: {'comment ' + str(self.comment_id) if self.comment_id else 'status change'}"
