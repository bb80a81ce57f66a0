"""allauth adapters: SAGE's user fields and the signup switch."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from sage.client_address import client_address
from sage.text import without_bidi_controls


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True))

    def get_client_ip(self, request: HttpRequest) -> str:
        # Login, sign-up and reset rate limits count the same client address as the API's throttle.
        return client_address(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> Any:
        user = super().populate_user(request, sociallogin, data)
        # Google's common fields (`data`) carry only given and family name; its "name" claim, kept in
        # extra_data, is the full name in the person's own order (family first in e.g. Japanese).
        full_name = sociallogin.account.extra_data.get("name") or data.get("name")
        name = str(full_name or " ".join(filter(None, [data.get("first_name"), data.get("last_name")])))
        name = without_bidi_controls(name).strip()
        if name and not user.display_name:
            user.display_name = name[:80]
        return user
