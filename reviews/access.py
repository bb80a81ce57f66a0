"""Who is holding a share link: the one place a request or a socket turns a token into a live link.

A link with a password is unlocked once per browser: the correct password (the shared page's form,
or an API client's `X-Share-Password` header) puts the link's id in the session, and later requests
and the page's socket from that browser carry the session cookie instead of the password. Revoking or
expiring the link still closes it at once: `share_link_resolve` checks both on every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from rest_framework.request import Request

from reviews.models import ShareLink
from reviews.selectors import share_link_resolve
from sage.client_address import address_bucket, client_address, client_address_from_scope

UNLOCKED_SESSION_KEY = "reviews.unlocked_links"
PASSWORD_HEADER = "X-Share-Password"  # noqa: S105 (a header name)


def _unlocked(session: SessionBase | None) -> list[int]:
    if session is None:
        return []
    value = session.get(UNLOCKED_SESSION_KEY, [])
    return [pk for pk in value if isinstance(pk, int)] if isinstance(value, list) else []


def _remember_unlocked(session: SessionBase, link: ShareLink) -> None:
    unlocked = _unlocked(session)
    if link.pk not in unlocked:
        session[UNLOCKED_SESSION_KEY] = [*unlocked, link.pk]


def share_link_for_request(request: HttpRequest | Request, token: str, *, password: str | None = None) -> ShareLink:
    """The live link `token` opens for this request (NotFound, PasswordRequired, or
    PasswordAttemptsExceeded otherwise). `password` (a form's) or the `X-Share-Password` header
    unlocks a protected link, and the session remembers it."""
    session: SessionBase | None = getattr(request, "session", None)
    offered = password if password is not None else request.headers.get(PASSWORD_HEADER)
    link = share_link_resolve(
        token,
        offered,
        client=address_bucket(client_address(request)),
        unlocked=_unlocked(session),
    )
    if link.has_password and session is not None:
        _remember_unlocked(session, link)
    return link


def share_link_for_scope(scope: Mapping[str, Any], token: str) -> ShareLink:
    """The same for a socket (call it from a sync thread: the session is read from the database).
    A socket never offers a password: the page that opens it was unlocked first."""
    return share_link_resolve(
        token,
        None,
        client=address_bucket(client_address_from_scope(scope)),
        unlocked=_unlocked(scope.get("session")),
    )
