"""Reads of share links: the owner's lists, and resolving a token someone opened.

The shared page (next: an anonymous view at the link's URL) calls `share_link_resolve` on every
request, page and media alike, then `share_link_opened`; what it shows comes from the link's one
object (`link.shared_object`), never from the owner's other objects. Sockets resolve again on
connect and are closed when the link is revoked.
"""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from reviews.models import ShareLink
from reviews.tokens import digests_match, token_digest
from sage.errors import ApplicationError, NotFound, TooManyRequests
from videos.models import Comparison, Video, VideoStack

# Wrong passwords allowed per link and client address in a window, before a pause.
PASSWORD_ATTEMPTS = 10
PASSWORD_WINDOW_S = 15 * 60


class PasswordRequired(ApplicationError):
    """The link is live but has a password, and none or a wrong one was given."""

    code = "password_required"
    status = 403
    default_message = "This link needs its password."


class PasswordAttemptsExceeded(TooManyRequests):
    default_message = "Too many wrong passwords for this link: wait a few minutes and try again."

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(PASSWORD_WINDOW_S)}


def share_links_for_object(user: User, shared: Comparison | Video | VideoStack) -> QuerySet[ShareLink]:
    """The links `user` made to `shared`, newest first (revoked ones too: the owner sees what was)."""
    links = ShareLink.objects.filter(owner=user)
    if isinstance(shared, Comparison):
        return links.filter(comparison=shared)
    if isinstance(shared, VideoStack):
        return links.filter(stack=shared)
    return links.filter(video=shared)


def share_link_get_for_user(user: User, pk: int | str) -> ShareLink:
    try:
        return ShareLink.objects.filter(owner=user).get(pk=int(pk))
    except (ShareLink.DoesNotExist, ValueError, TypeError):
        raise Http404("No such link.") from None


def _password_attempts_key(link: ShareLink, client: str) -> str:
    return f"reviews:share-password:{link.pk}:{client}"


def password_attempt_allowed(link: ShareLink, client: str) -> bool:
    """The rate limit hook: whether `client` (an address bucket, `sage.client_address`) may try a
    password on `link` now."""
    return int(cache.get(_password_attempts_key(link, client), 0)) < PASSWORD_ATTEMPTS


def _password_failed(link: ShareLink, client: str) -> None:
    key = _password_attempts_key(link, client)
    # add() starts the window once; incr() counts within it without moving its end.
    cache.add(key, 0, timeout=PASSWORD_WINDOW_S)
    cache.incr(key)


def share_link_resolve(
    token: str, password: str | None = None, *, client: str = "", unlocked: Collection[int] = ()
) -> ShareLink:
    """The live link `token` opens, or NotFound — the same 404 for a wrong, revoked or expired
    token, so a guess learns nothing. A link with a password also needs `password`, unless its id is
    among `unlocked` (links this browser already gave the password for: `reviews.access`)
    (PasswordRequired; PasswordAttemptsExceeded after too many wrong ones from `client`)."""
    offered = token_digest(token)
    link = (
        ShareLink.objects.select_related("comparison", "video", "stack")
        .filter(token_digest=offered, revoked_at__isnull=True)
        .first()
    )
    # The row was found by its digest; comparing again in constant time keeps timing independent
    # of how much of the digest matched, whatever the database's index does.
    if link is None or not digests_match(link.token_digest, offered):
        raise NotFound("No such link.")
    if link.expires_at is not None and link.expires_at <= timezone.now():
        raise NotFound("No such link.")
    if link.has_password and link.pk not in unlocked:
        if not password_attempt_allowed(link, client):
            raise PasswordAttemptsExceeded()
        if not password or not check_password(password, link.password_hash):
            if password:
                _password_failed(link, client)
            raise PasswordRequired()
    return link
