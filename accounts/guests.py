"""Who is asking: a user (session or API token) or a guest with an anonymous id.

Guests are identified by a signed cookie (browsers) or an `X-Guest-Session-ID` header holding a
UUID (extensions and scripts). The chat app keys guest conversations on the guest id; their daily
quota counts the guest id and the client's address (`Viewer.address`), since a new id costs nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core import signing
from django.http import HttpRequest, HttpResponseBase
from rest_framework.request import Request

from accounts.models import User
from sage.client_address import address_bucket, client_address
from sage.errors import Invalid

GUEST_COOKIE = "sage_guest"
GUEST_HEADER = "X-Guest-Session-ID"
_COOKIE_SALT = "sage.guest-session"
_COOKIE_MAX_AGE_SECONDS = 30 * 24 * 3600


class InvalidGuestSession(Invalid, ValueError):
    """The request named a guest session that is not a UUID."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={GUEST_HEADER: [message]})  # a header, not a body field


@dataclass(frozen=True)
class Viewer:
    user: User | None
    guest_id: uuid.UUID | None
    # True when the guest id was minted for this request: the response must carry the cookie
    # (`viewer_remember`) or the next request is a stranger again.
    is_new_guest: bool = False
    # A guest's client address as per-address limits count it (an IPv6 /64); None for users, and for
    # guests rebuilt from stored rows rather than from a request.
    address: str | None = None
    # The workspace a user's request acts in, as its door resolved it (chat is kept per workspace);
    # None for guests, and where no workspace is read (a quota is the person's own).
    workspace_id: int | None = None

    @property
    def is_guest(self) -> bool:
        return self.user is None


def viewer_from_request(request: HttpRequest | Request, *, create_guest: bool = False) -> Viewer:
    """Resolve the viewer; raises InvalidGuestSession for a malformed guest header.

    With `create_guest`, a guest without an id gets a new one (`is_new_guest`); without it, such a
    guest has `guest_id=None`. Accepts a DRF request too, so token-authenticated users count.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        assert isinstance(user, User)
        return Viewer(user=user, guest_id=None)
    http_request = request._request if isinstance(request, Request) else request
    address = address_bucket(client_address(http_request))
    header = http_request.headers.get(GUEST_HEADER)
    if header is not None:
        return Viewer(user=None, guest_id=_parse_guest_id(header), address=address)
    guest_id = _guest_id_from_cookie(http_request)
    if guest_id is None and create_guest:
        return Viewer(user=None, guest_id=uuid.uuid4(), is_new_guest=True, address=address)
    return Viewer(user=None, guest_id=guest_id, address=address)


def viewer_remember(request: HttpRequest | Request, response: HttpResponseBase, viewer: Viewer) -> None:
    """Give a newly minted guest its cookie; does nothing for users and known guests."""
    if viewer.is_new_guest and viewer.guest_id is not None:
        guest_cookie_set(response, viewer.guest_id, secure=request.is_secure())


def guest_cookie_set(response: HttpResponseBase, guest_id: uuid.UUID, *, secure: bool) -> None:
    response.set_signed_cookie(
        GUEST_COOKIE,
        str(guest_id),
        salt=_COOKIE_SALT,
        max_age=_COOKIE_MAX_AGE_SECONDS,
        httponly=True,
        secure=secure,
        samesite="Lax",
    )


def _parse_guest_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidGuestSession(f"{GUEST_HEADER} must be a UUID.") from None


def _guest_id_from_cookie(request: HttpRequest) -> uuid.UUID | None:
    # A cookie that fails its signature (tampered, or signed with a rotated key) is treated as
    # absent: the browser simply becomes a new guest rather than being locked out with a 400.
    try:
        value = request.get_signed_cookie(GUEST_COOKIE, salt=_COOKIE_SALT, max_age=_COOKIE_MAX_AGE_SECONDS)
    except (KeyError, signing.BadSignature):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
