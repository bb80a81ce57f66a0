from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.decorators import sync_and_async_middleware
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from sage.api.errors import body_too_large, error_body, error_response
from sage.availability import noted_unavailability, unavailable_response, wants_json
from sage.errors import not_found_message
from sage.health import health_report, liveness_report, readiness_report


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return _health_response(health_report())


@require_GET
@never_cache
def healthz_live(request: HttpRequest) -> JsonResponse:
    return _health_response(liveness_report())


@require_GET
@never_cache
def healthz_ready(request: HttpRequest) -> JsonResponse:
    return _health_response(readiness_report())


def _health_response(result: tuple[bool, dict[str, object]]) -> JsonResponse:
    healthy, report = result
    return JsonResponse(report, status=200 if healthy else 503, headers=None if healthy else {"Retry-After": "5"})


@cache
def _favicon_bytes() -> bytes:
    return (settings.BASE_DIR / "static" / "img" / "favicon.ico").read_bytes()


@require_GET
@cache_control(public=True, max_age=86_400)
def favicon(request: HttpRequest) -> HttpResponse:
    """The brand mark at the address browsers and feed readers ask for without looking at the page
    (16, 32 and 48 px; pages link the SVG, static/img/favicon.svg)."""
    return HttpResponse(_favicon_bytes(), content_type="image/x-icon")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return render(request, "sage/dashboard.html")
    return render(request, "sage/landing.html")


BAD_REQUEST_MESSAGE = "The request could not be read (for example, its Host header does not name this site)."
MULTIPART_MESSAGE = "The form's multipart/form-data body could not be read; send the form again."


def _bad_request_message(exception: Exception | None) -> str:
    return MULTIPART_MESSAGE if isinstance(exception, MultiPartParserError) else BAD_REQUEST_MESSAGE


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refuses as suspicious (a Host not in ALLOWED_HOSTS, too many fields…) or cannot
    read (a broken multipart body). The page stands alone and is rendered without the request: its
    context processors may be what refuses it (a bad Host).

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE is one of these (RequestDataTooBig), read by a
    middleware or a plain view: 413, as DRF's views answer it (sage.api.errors)."""
    if isinstance(exception, RequestDataTooBig):
        return _too_large(request)
    message = _bad_request_message(exception)
    if wants_json(request):
        return JsonResponse(error_body("bad_request", message), status=400)
    return HttpResponseBadRequest(render_to_string("400.html", {"message": message}))


def _too_large(request: HttpRequest) -> HttpResponse:
    refusal = body_too_large()
    if wants_json(request):
        return error_response(refusal)
    page = render_to_string("413.html", {"message": refusal.message})
    return HttpResponse(page, status=refusal.status)


def _refused_api_host(request: HttpRequest) -> HttpResponse | None:
    if not wants_json(request):
        return None
    try:
        request.get_host()
    except DisallowedHost as refused:
        # Logged where Django logs it, so operators' filters for it still apply.
        logging.getLogger("django.security.DisallowedHost").error(str(refused))
        return bad_request(request, refused)
    return None


@sync_and_async_middleware
def api_host_check_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Checks the Host of /api/ requests first, so a bad one is the API's JSON 400 in every mode.

    Django raises DisallowedHost inside CommonMiddleware, and with DEBUG on it answers any
    suspicious request with its HTML debug page before `handler400` is asked; pages keep that."""
    if iscoroutinefunction(get_response):

        async def check_async(request: HttpRequest) -> HttpResponse:
            return _refused_api_host(request) or await get_response(request)

        return check_async

    def check(request: HttpRequest) -> HttpResponse:
        return _refused_api_host(request) or get_response(request)

    return check


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A refusal's page: the policy's sentence, and a way back to the page the refused form was on
    (a viewer who pressed a button they may not use is not sent to the start)."""
    sentence = str(exception) if exception is not None and str(exception) else "You may not do this."
    if wants_json(request):
        return JsonResponse(error_body("permission_denied", sentence), status=403)
    referer = request.headers.get("referer", "")
    ours = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    back = referer if ours and referer != request.build_absolute_uri() else None
    return render(request, "403.html", {"exception": sentence, "back": back}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(error_body("not_found", not_found_message(request, "Not found.")), status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # An outage or a full pool met on the way in (loading the session, say): the 500 page's context
    # would ask the database again and fail inside this handler, which daphne answers with a bare 500.
    if (problem := noted_unavailability(request)) is not None:
        return unavailable_response(request, problem)
    if wants_json(request):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return render(request, "500.html", status=500)
