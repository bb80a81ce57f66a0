"""Share links: a capability, by URL, to one of an owner's objects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from videos.models import Comparison, Video


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
    comparison = models.ForeignKey(
        Comparison, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links"
    )
    video = models.ForeignKey(Video, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links")
    name = models.CharField(max_length=100)
    permission = models.CharField(max_length=10, choices=Permission.choices, default=Permission.VIEW)
    show_owner_notes = models.BooleanField(default=False)
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
                    Q(comparison__isnull=False, video__isnull=True) | Q(comparison__isnull=True, video__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shared_object(self) -> Comparison | Video:
        shared = self.comparison or self.video
        assert shared is not None  # the check constraint
        return shared

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)
