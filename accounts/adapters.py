"""allauth adapters: SAGE's user fields, the signup switch, and e-mail case handling."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from accounts.models import User


def _stored_email_in_other_case(email: str) -> str | None:
    """The e-mail as stored on a user whose address differs from `email` only in letter case.

    allauth lower-cases what people type and then looks users up by exact match, so it misses an
    account whose address was stored with capitals (by `create_user`, `createsuperuser` or the
    admin, which keep the local part's case). Such an account would otherwise be invisible to
    sign-up's uniqueness check and unreachable by a log-in typed in another case.
    """
    lowered = email.lower()
    return (
        User.objects.filter(email__iexact=lowered)
        .exclude(email=lowered)
        .values_list("email", flat=True)
        .first()
    )


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True))

    def validate_unique_email(self, email: str) -> str:
        # Called by allauth after its own (case-sensitive) uniqueness check, on sign-up and when an
        # address is added: refuse an address that an account already has in another case.
        stored = _stored_email_in_other_case(email)
        if stored is not None:
            current_user = getattr(context.request, "user", None)
            owner_is_current_user = getattr(current_user, "email", None) == stored
            if not owner_is_current_user:
                raise self.validation_error("email_taken")
        return super().validate_unique_email(email)

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        email = credentials.get("email")
        if email:
            # Django's ModelBackend matches the stored address exactly; hand it the stored spelling.
            credentials["email"] = _stored_email_in_other_case(email) or email
        user: AbstractBaseUser | None = super().authenticate(request, **credentials)
        return user


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> Any:
        user = super().populate_user(request, sociallogin, data)
        # Google's common fields (`data`) carry only given and family name; its "name" claim, kept in
        # extra_data, is the full name in the person's own order (family first in e.g. Japanese).
        full_name = sociallogin.account.extra_data.get("name") or data.get("name")
        name = str(full_name or " ".join(filter(None, [data.get("first_name"), data.get("last_name")]))).strip()
        if name and not user.display_name:
            user.display_name = name[:80]
        return user
