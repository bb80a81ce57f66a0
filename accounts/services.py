"""Writes for accounts: profile, API tokens, a browser extension's connect request, the development
demo account."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import dateformat, timezone

from accounts.models import ApiToken, ExtensionConnect, User
from activity.services import Action, audit_record
from sage.errors import ApplicationError, Conflict, FieldInvalid, NotFound
from sage.text import NAME_BIDI_MESSAGE, has_bidi_controls

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
def user_update_profile(
    *, user: User, display_name: str, ai_notes_enabled: bool, review_digest_emails: bool | None = None
) -> User:
    """`review_digest_emails` None: as it was."""
    user.display_name = display_name.strip()
    user.ai_notes_enabled = ai_notes_enabled
    if review_digest_emails is not None:
        user.review_digest_emails = review_digest_emails
    user.save(update_fields=["display_name", "ai_notes_enabled", "review_digest_emails"])
    return user


@transaction.atomic
def _one_of_my_workspaces(user: User, workspace_id: int) -> int:
    """`workspace_id` when `user` belongs to it; NotFound (the same for another's and none) if not.
    (Read through the account's memberships: accounts sits below workspaces.)"""
    if not user.memberships.filter(workspace_id=workspace_id).exists():
        raise NotFound("No such workspace.")
    return workspace_id


def _personal_workspace_id(user: User) -> int:
    if user.personal_workspace_id is None:  # made with the account (workspaces.signals)
        raise NotFound("No such workspace.")
    return user.personal_workspace_id


def api_token_create(
    *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None, workspace_id: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never retrievable again. It acts in
    `workspace_id` (one of the user's), else in their personal workspace: pages and the API pass the
    workspace the request acts in."""
    unknown = set(scopes) - _VALID_SCOPES
    if unknown or not scopes:
        raise ValueError(f"Unknown or missing scopes: {sorted(unknown) or 'none given'}")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValueError("The expiry must be in the future.")
    chosen = _one_of_my_workspaces(user, workspace_id) if workspace_id is not None else _personal_workspace_id(user)
    secret = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        workspace_id=chosen,
        name=name.strip(),
        prefix=secret[: len(settings.API_TOKEN_PREFIX) + 6],
        secret_hash=hash_token_secret(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    _audit_token(token, Action.TOKEN_CREATED)
    return token, secret


def _audit_token(token: ApiToken, action: str, *, by: User | None = None) -> None:
    """In the workspace the token's owner acts in (an operator's revocation: in theirs, naming the
    operator)."""
    details: dict[str, object] = {"token_id": token.pk, "scopes": list(token.scopes)}
    if by is not None:
        details["by_operator"] = True
    audit_record(
        workspace_id=token.workspace_id,
        actor=by or token.user,
        action=action,
        target_label=f"{token.name} ({token.prefix}…)",
        details=details,
    )


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke once; revoking again keeps the first revocation time."""
    # The filtered update makes concurrent revocations agree on one time, with no lock.
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    if revoked:
        _audit_token(token, Action.TOKEN_REVOKED)
    return token


@transaction.atomic
def api_tokens_revoke(*, tokens: QuerySet[ApiToken], by: User | None = None) -> int:
    """Revoke every still-active token in `tokens` (operators, in bulk: `by`, who the audit log
    names); returns how many were revoked."""
    live = list(tokens.filter(revoked_at__isnull=True).select_for_update().values_list("pk", flat=True))
    revoked = ApiToken.objects.filter(pk__in=live, revoked_at__isnull=True).update(revoked_at=timezone.now())
    for token in ApiToken.objects.filter(pk__in=live).select_related("user"):
        _audit_token(token, Action.TOKEN_REVOKED, by=by)
    return revoked


def api_token_authenticate(secret: str) -> ApiToken:
    """The active token for `secret`, or ApiTokenError saying why not. Whether its user still belongs
    to its workspace, and acting there, is the access layer's (workspaces.authentication), which
    then marks it used (`api_token_used`)."""
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
    return token


def api_token_used(token: ApiToken) -> None:
    """Note that `token` opened a request (to the minute: not a write on every read)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- connecting the browser extension (docs/api.md, "Connecting the extension") ----------------

# What the extension's token may do: everything on the watch page, nothing about money or settings.
EXTENSION_SCOPES = [ApiToken.Scope.READ, ApiToken.Scope.VIDEOS_WRITE, ApiToken.Scope.NOTES_WRITE, ApiToken.Scope.CHAT]
EXTENSION_BROWSER_MAX = 60
# base64url of 32 bytes (the verifier) or of a SHA-256 digest (the challenge), without padding.
_B64URL_43 = re.compile(r"[A-Za-z0-9_-]{43}")
_BROWSER_NAME = re.compile(r"[^\x00-\x1f\x7f]+")


class ConnectUnknown(ApplicationError):
    """No request for this verifier or challenge that the caller may see: never shown, expired, or
    another account's. One answer for all, so nothing tells them apart."""

    code = "connect_unknown"
    status = 404
    default_message = "No such connect request: start again from the extension."


class ConnectDenied(ApplicationError):
    code = "connect_denied"
    status = 403
    default_message = "The connection was cancelled on the site."


class ConnectUsed(ApplicationError):
    code = "connect_used"
    status = 410
    default_message = "This connect request has already given its token: start again from the extension."


class ConnectDecided(Conflict):
    code = "connect_decided"
    default_message = "This connect request has already been decided."


@dataclass(frozen=True)
class ConnectRedeemed:
    """What a redeem gives: `token` is None while the request waits for a decision."""

    token: ApiToken | None = None
    secret: str | None = None


def connect_challenge_clean(challenge: str) -> str:
    if not _B64URL_43.fullmatch(challenge or ""):
        raise FieldInvalid("Not a connect challenge: open this page from the extension.", field="challenge")
    return challenge


def connect_browser_clean(browser: str) -> str:
    name = " ".join((browser or "").split())
    if not name or len(name) > EXTENSION_BROWSER_MAX or not _BROWSER_NAME.fullmatch(name):
        raise FieldInvalid(
            f"The browser's name must be 1 to {EXTENSION_BROWSER_MAX} printable characters.", field="browser"
        )
    if has_bidi_controls(name):
        raise FieldInvalid(NAME_BIDI_MESSAGE, field="browser")
    return name


def connect_challenge_for_verifier(verifier: str) -> str:
    """base64url(SHA-256(verifier)) without padding: what the extension put in the page's URL."""
    if not _B64URL_43.fullmatch(verifier or ""):
        raise FieldInvalid("The verifier must be 43 base64url characters.", field="verifier")
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")


def connect_check_code(challenge: str) -> str:
    """Eight characters the page and the extension both show, so a person can see that the request
    they approve is the one their own extension made (and not a link someone sent them)."""
    digest = hashlib.sha256(f"sage-connect:{challenge}".encode()).digest()
    code = base64.b32encode(digest).decode()[:8]
    return f"{code[:4]}-{code[4:]}"


def connect_expires_at(request: ExtensionConnect) -> datetime:
    return request.created_at + timedelta(seconds=settings.EXTENSION_CONNECT_SECONDS)


def connect_is_expired(request: ExtensionConnect) -> bool:
    return connect_expires_at(request) <= timezone.now()


def extension_token_name(*, browser: str, approved_at: datetime) -> str:
    return f"{browser} extension, {dateformat.format(timezone.localtime(approved_at), 'j M Y')}"


@transaction.atomic
def extension_connect_show(*, user: User, challenge: str, browser: str) -> ExtensionConnect:
    """The request for `challenge`, opened for `user` the first time a page shows it (its life starts
    then). Another account's request is ConnectUnknown: whoever opened it first owns it."""
    challenge = connect_challenge_clean(challenge)
    request = ExtensionConnect.objects.filter(challenge=challenge).first()
    if request is None:  # the first showing: the browser's name is needed (and kept) only now
        request, _ = ExtensionConnect.objects.get_or_create(
            challenge=challenge, defaults={"user": user, "browser": connect_browser_clean(browser)}
        )
    if request.user_id != user.pk:
        raise ConnectUnknown()
    return request


@transaction.atomic
def extension_connect_decide(
    *, user: User, challenge: str, approve: bool, workspace_id: int | None = None
) -> ExtensionConnect:
    """Approve or cancel `user`'s pending request, once. No token yet: it is made when the extension
    collects it, so its secret exists only in that one response. The token will act in
    `workspace_id` (one of the user's; NotFound otherwise), else in their personal workspace (the page
    passes the one it acts in)."""
    workspace = _one_of_my_workspaces(user, workspace_id) if workspace_id is not None else None
    request = (
        ExtensionConnect.objects.select_for_update()
        .filter(challenge=connect_challenge_clean(challenge), user=user)
        .first()
    )
    if request is None:
        raise ConnectUnknown()
    if request.outcome != ExtensionConnect.Outcome.PENDING:
        raise ConnectDecided()
    if connect_is_expired(request):
        raise ConnectUnknown("This connect request has expired: start again from the extension.")
    request.outcome = ExtensionConnect.Outcome.APPROVED if approve else ExtensionConnect.Outcome.DENIED
    request.decided_at = timezone.now()
    request.workspace_id = (workspace or _personal_workspace_id(user)) if approve else None
    request.save(update_fields=["outcome", "decided_at", "workspace"])
    return request


@transaction.atomic
def extension_connect_redeem(*, verifier: str) -> ConnectRedeemed:
    """The extension's poll: nothing while the request waits, the token once it is approved (made now,
    and only once: the row lock makes two concurrent redeems agree on who gets it)."""
    challenge = connect_challenge_for_verifier(verifier)
    request = ExtensionConnect.objects.select_for_update().select_related("user").filter(challenge=challenge).first()
    if request is None:
        raise ConnectUnknown()
    if request.redeemed_at is not None:
        raise ConnectUsed()
    if request.outcome == ExtensionConnect.Outcome.DENIED:
        raise ConnectDenied()
    if connect_is_expired(request) or not request.user.is_active:
        raise ConnectUnknown()
    if request.outcome == ExtensionConnect.Outcome.PENDING:
        return ConnectRedeemed()
    assert request.decided_at is not None  # approved (a check constraint holds it)
    token, secret = api_token_create(
        user=request.user,
        name=extension_token_name(browser=request.browser, approved_at=request.decided_at),
        scopes=list(EXTENSION_SCOPES),
        workspace_id=request.workspace_id,
    )
    request.token = token
    request.redeemed_at = timezone.now()
    request.save(update_fields=["token", "redeemed_at"])
    return ConnectRedeemed(token=token, secret=secret)


def extension_connects_prune() -> int:
    """Delete connect requests that ended without giving a token (cancelled, expired, never
    collected); returns how many. Those that gave one stay: they say where a token came from."""
    ended_before = timezone.now() - timedelta(seconds=settings.EXTENSION_CONNECT_SECONDS)
    deleted, _ = ExtensionConnect.objects.filter(redeemed_at__isnull=True, created_at__lt=ended_before).delete()
    return deleted


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
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
