"""Pages write moments in the viewer's own time zone, which the browser names in the `tz` cookie
(static/js/shared/dates.js sets it). Without it, or with a name that is no time zone, UTC.

Server-side too, not only in the script: a page works before its script runs (or without one), and
parts a script fetches and swaps in are already right."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.decorators import sync_and_async_middleware

COOKIE = "tz"


@functools.cache
def _zone_names() -> frozenset[str]:
    # Read once: the list comes from the system's (or tzdata's) files.
    return frozenset(zoneinfo.available_timezones())


def viewer_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    name = request.COOKIES.get(COOKIE, "")
    return zoneinfo.ZoneInfo(name) if name in _zone_names() else None


@sync_and_async_middleware
def viewer_time_zone_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    if iscoroutinefunction(get_response):

        async def in_zone_async(request: HttpRequest) -> HttpResponseBase:
            with timezone.override(viewer_zone(request)):
                return await get_response(request)  # type: ignore[no-any-return]

        return in_zone_async

    def in_zone(request: HttpRequest) -> HttpResponseBase:
        with timezone.override(viewer_zone(request)):
            return get_response(request)  # type: ignore[no-any-return]

    return in_zone
