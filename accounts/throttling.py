"""Rate limits per API token, per signed-in user, or per client address for anonymous calls."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from accounts.models import ApiToken
from sage.api.throttling import AtomicRateThrottle
from sage.client_address import address_bucket, client_address


class PrincipalRateThrottle(AtomicRateThrottle):
    scope = "principal"

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request: Request) -> str:
        # DRF's own reading believes X-Forwarded-For as sent unless NUM_PROXIES is set; one function
        # answers "who is this" for every limit (see sage/client_address.py).
        return address_bucket(client_address(request))


class TokenCreateRateThrottle(PrincipalRateThrottle):
    """Minting tokens is rare; a burst of creations is a script gone wrong or an attack."""

    scope = "token_create"

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


class ExtensionConnectRateThrottle(PrincipalRateThrottle):
    """The extension's connect poll carries no credential: limited per client address (a verifier is
    256 random bits, so this is about load, not guessing)."""

    scope = "extension_connect"
