from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.decorators import sync_and_async_middleware
from django.utils.deprecation import MiddlewareMixin
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from sage.api.errors import error_body, error_response
from sage.errors import ServiceUnavailable
from sage.health import health_report
from sage.ratelimit import REDIS_UNAVAILABLE

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


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


# Paths answered in the API's JSON error shape, pages and all: the API, and Stripe's webhook (a
# machine reads its answers, and Stripe shows them in its dashboard).
JSON_PATH_PREFIXES = ("/api/", "/billing/stripe/webhook/")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PATH_PREFIXES)


BAD_REQUEST_MESSAGE = "The request could not be read (for example, its Host header does not name this site)."
MULTIPART_MESSAGE = "The form's multipart/form-data body could not be read; send the form again."


def _bad_request_message(exception: Exception | None) -> str:
    return MULTIPART_MESSAGE if isinstance(exception, MultiPartParserError) else BAD_REQUEST_MESSAGE


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refuses as suspicious (a Host not in ALLOWED_HOSTS, too many fields…) or cannot
    read (a broken multipart body). The page stands alone and is rendered without the request: its
    context processors may be what refuses it (a bad Host)."""
    message = _bad_request_message(exception)
    if _wants_json(request):
        return JsonResponse(error_body("bad_request", message), status=400)
    return HttpResponseBadRequest(render_to_string("400.html", {"message": message}))


def _refused_api_host(request: HttpRequest) -> HttpResponse | None:
    if not _wants_json(request):
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


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return render(request, "500.html", status=500)


class ServiceUnavailableMiddleware(MiddlewareMixin):
    """A page or plain JSON view that could not be done because a service cannot answer (a rate
    limit that cannot be counted, or a Redis error no code caught: allauth keeps its sign-in limits
    in the cache) is answered 503 with `Retry-After`, in the API's shape on JSON paths; never a 500.
    DRF views answer it themselves (sage.api.errors)."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, REDIS_UNAVAILABLE):
            logger.warning("Redis cannot answer: %s", exception)
            error = ServiceUnavailable()
        elif isinstance(exception, ServiceUnavailable):
            error = exception
        else:
            return None
        if _wants_json(request):
            return error_response(error, request=request)
        # Stands alone, as the 500 page does: the full page's context may need what is down.
        page = render_to_string("503.html", {"message": error.message})
        return HttpResponse(page, status=503, headers=error.headers())
