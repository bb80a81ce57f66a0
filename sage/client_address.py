"""The client's address: the one answer used by throttles, login rate limits, guest quotas and logs.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only as far as the
operator says proxies of their own append to it (`TRUSTED_PROXY_COUNT`): with N trusted proxies the
client is the N-th address from the right, the one the outermost of our proxies saw. Anything left of
it was made up by the client. With 0 (the default) the header is ignored and the address is the TCP
peer (`REMOTE_ADDR`, or the socket's `scope["client"]`).
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.decorators import sync_and_async_middleware

if TYPE_CHECKING:  # the log filter below is loaded while logging is configured, before DRF is needed
    from rest_framework.request import Request

# A guest on IPv6 is usually handed a whole /64 and can pick any address in it: limits keyed on an
# address count the network instead.
IPV6_LIMIT_PREFIX = 64

_UNKNOWN = "unknown"
_current_client_address: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sage_client_address", default=None
)


def resolve_client_address(*, peer: str | None, forwarded_for: str | None, trusted_proxies: int) -> str:
    """The client's address from the TCP peer and `X-Forwarded-For`, trusting `trusted_proxies` hops.

    A header with fewer entries than trusted proxies did not come through all of them (or the count
    is wrong); an entry that is not an address is a client's invention. Both fall back to the peer:
    at worst everyone behind a misconfigured proxy shares one limit, never each picks their own.
    """
    fallback = _normalised(peer) or _UNKNOWN
    if trusted_proxies <= 0 or not forwarded_for:
        return fallback
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    if len(hops) < trusted_proxies:
        return fallback
    return _normalised(hops[-trusted_proxies]) or fallback


def client_address(request: HttpRequest | Request) -> str:
    """The address of whoever sent this HTTP request (see the module's docstring)."""
    meta = request.META
    return resolve_client_address(
        peer=meta.get("REMOTE_ADDR"),
        forwarded_for=meta.get("HTTP_X_FORWARDED_FOR"),
        trusted_proxies=int(settings.TRUSTED_PROXY_COUNT),
    )


def client_address_from_scope(scope: Mapping[str, Any]) -> str:
    """The same for an ASGI scope (WebSocket connections, which no Django middleware sees)."""
    peer = scope.get("client")
    forwarded = [value.decode("latin-1") for name, value in scope.get("headers") or [] if name == b"x-forwarded-for"]
    return resolve_client_address(
        peer=str(peer[0]) if peer else None,
        forwarded_for=",".join(forwarded) or None,
        trusted_proxies=int(settings.TRUSTED_PROXY_COUNT),
    )


def current_client_address() -> str | None:
    """The address of the request being served in this context (set by `ClientAddressMiddleware`),
    or None outside one (a task, the shell) or when it could not be told."""
    address = _current_client_address.get()
    return None if address in (None, _UNKNOWN) else address


def address_bucket(address: str) -> str:
    """What a per-address limit counts: the address itself for IPv4, its /64 network for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_LIMIT_PREFIX), strict=False))
    return str(parsed)


def _normalised(value: str | None) -> str | None:
    """The address in canonical form, or None for anything that is not one (ports are not expected)."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


@sync_and_async_middleware
def client_address_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Remembers the request's client address for log lines written while it is served."""
    if iscoroutinefunction(get_response):

        async def remember_async(request: HttpRequest) -> HttpResponseBase:
            token = _current_client_address.set(client_address(request))
            try:
                return await get_response(request)  # type: ignore[no-any-return]
            finally:
                _current_client_address.reset(token)

        return remember_async

    def remember(request: HttpRequest) -> HttpResponseBase:
        token = _current_client_address.set(client_address(request))
        try:
            return get_response(request)  # type: ignore[no-any-return]
        finally:
            _current_client_address.reset(token)

    return remember


class ClientAddressLogFilter(logging.Filter):
    """Adds ` client=<address>` (`%(client)s`) to records written while a request is served, else ''."""

    def filter(self, record: logging.LogRecord) -> bool:
        address = _current_client_address.get()
        record.client = f" client={address}" if address else ""
        return True
