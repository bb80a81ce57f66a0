"""Pages write moments in the viewer's own time zone, which the browser names in the `tz` cookie
(static/js/shared/dates.js sets it). Without it, or with a name that is no time zone, UTC.

Server-side too, not only in the script: a page works before its script runs (or without one), and
parts a script fetches and swaps in are already right."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone

COOKIE = "tz"


@functools.cache
def _zone_names() -> frozenset[str]:
    # Read once: the list comes from the system's (or tzdata's) files.
    return frozenset(zoneinfo.available_timezones())


def viewer_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    name = request.COOKIES.get(COOKIE, "")
    return zoneinfo.ZoneInfo(name) if name in _zone_names() else None


class ViewerTimeZoneMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        with timezone.override(viewer_zone(request)):
            return self.get_response(request)  # type: ignore[no-any-return]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        with timezone.override(viewer_zone(request)):
            return await self.get_response(request)  # type: ignore[no-any-return]
