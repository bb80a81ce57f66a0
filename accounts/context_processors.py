from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "GOOGLE_LOGIN_ENABLED": bool(settings.GOOGLE_CLIENT_ID),
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
    }
