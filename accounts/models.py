from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # The whole address is compared case-insensitively: allauth looks people up by the
        # lower-cased address, so storing anything else would make an account unreachable.
        return (email or "").strip().lower()

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: the e-mail address is the login."""

    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    ai_notes_enabled = models.BooleanField(
        "AI notes",
        default=True,
        help_text="Fill notes saved without text from the transcript around their time.",
    )
    # The e-mail digest of reviewers' comments and review-status changes (reviews.digest): to the
    # object's maker and, in a team workspace, its admins and owner; anyone may opt out.
    review_digest_emails = models.BooleanField(
        "Review digests",
        default=True,
        help_text="E-mail a digest of reviewers' comments and review-status changes.",
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # The site's own account that owns the shared sample (videos, comparison, notes, a conversation):
    # what it owns every signed-in user may view, read-only. It never signs in (inactive, no password)
    # and nothing a person does can set this flag.
    is_sample_owner = models.BooleanField(
        "owns the shared sample",
        default=False,
        editable=False,
        help_text="The site's own account: everyone may view what it owns, read-only.",
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # The account's personal workspace (issue 52), which never changes once made. Kept on the row
    # every request loads anyway, so a request acting in it costs no query for its membership
    # (workspaces.current). Null only between the account's INSERT and its workspace's.
    personal_workspace = models.OneToOneField(
        "workspaces.Workspace", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_any_case")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every path (sign-up, admin, createsuperuser, Google) stores the address the same way.
        self.email = User.objects.normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]


class ApiToken(models.Model):
    """A long-lived credential for an extension or script. Only a hash of the secret is stored."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        VIDEOS_WRITE = "videos:write", "Write videos"
        NOTES_WRITE = "notes:write", "Write notes"
        CHAT = "chat", "Chat"
        # Money is apart from `read`: the browser extension reads videos and notes, never billing.
        BILLING_READ = "billing:read", "Read billing"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    # The one workspace the token acts in (issue 52), chosen when it is made; it stops working when
    # its user leaves that workspace.
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    # The first characters of the secret, shown in lists so people can tell tokens apart.
    prefix = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices))
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "active"


class ExtensionConnect(models.Model):
    """A browser extension asking to be connected to an account (the site side of issue 35's connect
    protocol, docs/api.md "Connecting the extension").

    The extension holds a random verifier and opens the connect page with its SHA-256 `challenge`;
    the person who first sees the page owns the request and approves or cancels it once; the
    extension then proves it holds the verifier (`POST /api/v1/extension/connect`) and receives a
    token made at that moment, once. The challenge is not secret (it travels in a URL); the verifier
    never reaches the site before the redeem, and the token's secret is never stored.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Cancelled"

    challenge = models.CharField(max_length=43, unique=True)
    browser = models.CharField(max_length=60)
    # The account that first saw the page: only it may decide, so a link passed on to someone else
    # cannot make them approve a request another account opened.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="extension_connects")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    # The workspace the person chose on approving: the token acts in it.
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    token = models.OneToOneField(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="extension_connect"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "extension connect request"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome="pending", decided_at__isnull=True)
                | (~models.Q(outcome="pending") & models.Q(decided_at__isnull=False)),
                name="extension_connect_decided_when_not_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(redeemed_at__isnull=True) | models.Q(outcome="approved"),
                name="extension_connect_redeemed_only_when_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.browser} for {self.user_id} ({self.outcome})"
