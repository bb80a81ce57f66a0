"""Answers a request whose path holds a NUL character 404, before any view (or the ORM) sees it.

No address of this site contains U+0000, and Postgres refuses it in any text it is given: a `%00` in
a path segment that a `<str:…>` route passed to a lookup was a 500 (`GET /billing/payments/%00/`).
Such a path is answered as any path no route matches, in the site's shape (JSON under /api/, the 404
page otherwise), with no traceback. Query values are left to their views, which already refuse a NUL
by field (the API's 400 names it) or ignore it (a page's filter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.decorators import sync_and_async_middleware

from sage.views import not_found


@sync_and_async_middleware
def nul_guard_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    if iscoroutinefunction(get_response):

        async def guard_async(request: HttpRequest) -> HttpResponseBase:
            if "\x00" in request.path:
                return not_found(request)
            return await get_response(request)  # type: ignore[no-any-return]

        return guard_async

    def guard(request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.path:
            return not_found(request)
        return get_response(request)  # type: ignore[no-any-return]

    return guard
