"""What `/api/` answers outside its operations.

One URL convention: operations are documented without a trailing slash, and the other form of any
path (with or without the slash) is answered by the same operation, directly: a redirect would drop a
POST's body (Django refuses to redirect one in DEBUG) and answer HTML. Anything else under `/api/` is
a JSON 404 in the error shape, in DEBUG too (Django's 404 there is its HTML debug page).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from sage.api.errors import error_body


# Exempt: an unknown path must be a 404 whatever the cookies, and an operation reached through the
# other form checks CSRF itself, as it does at its own path (DRF's session authentication).
@csrf_exempt
def api_fallback(request: HttpRequest) -> HttpResponse:
    path = request.path_info
    other_form = path[:-1] if path.endswith("/") else f"{path}/"
    try:
        match = resolve(other_form, urlconf=getattr(request, "urlconf", None))
    except Resolver404:
        return api_not_found(request)
    if match.func is api_fallback:
        return api_not_found(request)
    request.resolver_match = match
    response: HttpResponse = match.func(request, *match.args, **match.kwargs)
    return response


def api_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("not_found", "Not found."), status=404)
