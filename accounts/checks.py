"""System checks of the accounts' settings that `manage.py check --deploy` runs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def fast_password_hashing_is_off(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """MD5 hashes (FAST_PASSWORD_HASHING, for the test suite) are cracked at billions a second."""
    if not settings.FAST_PASSWORD_HASHING:
        return []
    return [
        Error(
            "FAST_PASSWORD_HASHING is on: new passwords would be stored as MD5 hashes.",
            hint="Unset FAST_PASSWORD_HASHING; it is for the test suite only.",
            id="accounts.E001",
        )
    ]
