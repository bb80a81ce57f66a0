"""Answers a request whose path holds a NUL character 404, before any view (or the ORM) sees it.

No address of this site contains U+0000, and Postgres refuses it in any text it is given: a `%00` in
a path segment that a `<str:…>` route passed to a lookup was a 500 (`GET /billing/payments/%00/`).
Such a path is answered as any path no route matches, in the site's shape (JSON under /api/, the 404
page otherwise), with no traceback. Query values are left to their views, which already refuse a NUL
by field (the API's 400 names it) or ignore it (a page's filter).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from sage.views import not_found


class NulGuardMiddleware:
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
        if "\x00" in request.path:
            return not_found(request)
        return self.get_response(request)  # type: ignore[no-any-return]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.path:
            return not_found(request)
        return await self.get_response(request)  # type: ignore[no-any-return]
