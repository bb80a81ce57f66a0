"""Writes for accounts: profile, API tokens, the development demo account."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, User
from sage.errors import ApplicationError

# Updating last_used_at on every request would turn each API read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)
_VALID_SCOPES = frozenset(ApiToken.Scope.values)


class ApiTokenError(ApplicationError):
    """Why a presented token was refused (401); the message is safe to show to the caller, `code`
    names the reason (`token_invalid`, `token_revoked`, `token_expired`, `account_disabled`)."""

    code = "token_invalid"
    status = 401
    default_message = "Invalid API token."

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)


def hash_token_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def user_update_profile(*, user: User, display_name: str, ai_notes_enabled: bool) -> User:
    user.display_name = display_name.strip()
    user.ai_notes_enabled = ai_notes_enabled
    user.save(update_fields=["display_name", "ai_notes_enabled"])
    return user


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never retrievable again."""
    unknown = set(scopes) - _VALID_SCOPES
    if unknown or not scopes:
        raise ValueError(f"Unknown or missing scopes: {sorted(unknown) or 'none given'}")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValueError("The expiry must be in the future.")
    secret = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=secret[: len(settings.API_TOKEN_PREFIX) + 6],
        secret_hash=hash_token_secret(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke once; revoking again keeps the first revocation time."""
    # The filtered update makes concurrent revocations agree on one time, with no lock.
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_tokens_revoke(*, tokens: QuerySet[ApiToken]) -> int:
    """Revoke every still-active token in `tokens` (operators, in bulk); returns how many were revoked."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_authenticate(secret: str) -> ApiToken:
    """The active token for `secret`, or ApiTokenError saying why not."""
    if not secret.startswith(settings.API_TOKEN_PREFIX):  # not one of ours: no need to ask the database
        raise ApiTokenError("Invalid API token.", code="token_invalid")
    try:
        token = ApiToken.objects.select_related("user").get(secret_hash=hash_token_secret(secret))
    except ApiToken.DoesNotExist:
        raise ApiTokenError("Invalid API token.", code="token_invalid") from None
    if token.revoked_at is not None:
        raise ApiTokenError("This API token has been revoked.", code="token_revoked")
    if token.is_expired:
        raise ApiTokenError("This API token has expired.", code="token_expired")
    if not token.user.is_active:
        raise ApiTokenError("This account is disabled.", code="account_disabled")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    created: bool


DEMO_EMAIL = "demo@sage.localhost"


def demo_account_ensure(*, credentials_file: Path) -> DemoAccount:
    """Create the development demo account once; its password is kept in a git-ignored file."""
    if not settings.DEBUG:
        raise RuntimeError("The demo account exists in development only (DEBUG on).")
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is not None and credentials_file.exists():
        return DemoAccount(email=DEMO_EMAIL, password=credentials_file.read_text().strip(), created=False)
    password = secrets.token_urlsafe(12)
    if user is None:
        user = User.objects.create_user(DEMO_EMAIL, password, display_name="Demo")
        created = True
    else:  # the password file was lost: set a new password so it can be printed again
        user.set_password(password)
        user.save(update_fields=["password"])
        created = False
    _mark_email_verified(user)
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.write_text(password + "\n")
    credentials_file.chmod(0o600)
    return DemoAccount(email=DEMO_EMAIL, password=password, created=created)


def _mark_email_verified(user: User) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
