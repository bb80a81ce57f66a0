"""One error shape for every API error: {"error": {"code", "message", "fields"}}.

`exception_handler` (DRF's EXCEPTION_HANDLER) turns every API exception into that shape;
`error_response` answers an ApplicationError in it from a plain Django JSON view (the billing page's
card, pack and plan endpoints, the Stripe webhook, the chat panel); `error_responses(400, 404, ...)`
documents it on an operation for the OpenAPI schema.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.log import log_response
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from sage.availability import unavailability
from sage.errors import ApplicationError, BodyTooLarge, NotFound, not_found_message

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=ApplicationError)

# What a kind of refusal adds to its error beyond code, message and fields, registered by the app
# that raises it (billing: a 402's token figures and the pack to buy), which sits above this module.
_error_details: list[tuple[type[ApplicationError], Callable[[Any], dict[str, Any]]]] = []

SERVER_ERROR_MESSAGE = "Something went wrong on our side."


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def register_error_details(error_class: type[E], details: Callable[[E], dict[str, Any]]) -> None:
    """Add `details(exc)` to the body of every `error_class` error (called from an AppConfig.ready)."""
    _error_details.append((error_class, details))


def _application_error_body(exc: ApplicationError, request: Any) -> dict[str, Any]:
    """The error's body, with the details registered for its kind (a lack of tokens: its figures
    and what to buy; `request`, a Django or DRF request, makes a `buy_url` absolute)."""
    message = not_found_message(request, exc.message) if isinstance(exc, NotFound) else exc.message
    body = error_body(exc.code, message, exc.fields)
    for error_class, details in _error_details:
        if isinstance(exc, error_class):
            added = details(exc)
            if "buy_url" in added and request is not None:
                added["buy_url"] = request.build_absolute_uri(added["buy_url"])
            body["error"].update(added)
    return body


def body_too_large() -> BodyTooLarge:
    """What any door answers a body over DATA_UPLOAD_MAX_MEMORY_SIZE, saying the limit."""
    return BodyTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def error_response(
    exc: ApplicationError,
    *,
    request: HttpRequest | None = None,
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """A plain JSON view's answer to a refusal, in the API's shape, with its status and headers.
    `status` and `headers` override the error's own where a protocol asks for another (the webhook's
    405 with `Allow`, say)."""
    return JsonResponse(
        _application_error_body(exc, request),
        status=status or exc.status,
        headers={**exc.headers(), **(headers or {})},
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, RequestDataTooBig):
        # A body DRF reads in the view (`request.data`); a body read earlier is sage.views.bad_request's.
        exc = body_too_large()
    if isinstance(exc, ApplicationError):
        set_rollback()
        body = _application_error_body(exc, context.get("request"))
        return Response(body, status=exc.status, headers=exc.headers())
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(
            not_found_message(context.get("request"), str(exc.args[0]) if exc.args else "Not found.")
        )
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if (problem := unavailability(exc)) is not None:
        # Saturation or an outage, not a bug: 503 with Retry-After, and nothing logged as an error.
        set_rollback()
        error = problem.as_error()
        return Response(error_body(error.code, error.message), status=error.status, headers=error.headers())
    response = drf_exception_handler(exc, context)
    if response is None:
        return _server_error(exc, context)
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        message = _first_message(fields) or "Invalid input."
        response.data = error_body("invalid", message, fields)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, _message(exc.detail))
    return response


def _server_error(exc: Exception, context: dict[str, Any]) -> Response:
    """A bug or an outage: the JSON 500, in DEBUG too (Django's debug page is HTML), logged and
    signalled exactly as Django does for a crashed view, so error reporting and the test client's
    re-raise still see it. Nothing of the exception reaches the client."""
    set_rollback()
    response = Response(error_body("server_error", SERVER_ERROR_MESSAGE), status=500)
    request = getattr(context.get("request"), "_request", None)
    if request is not None:
        # Called inside DRF's `except` block: sys.exc_info() is this exception, as the receivers expect.
        got_request_exception.send(sender=None, request=request)
        log_response("Internal Server Error: %s", request.path, response=response, request=request, exception=exc)
    else:
        logger.error("API error outside a request", exc_info=exc)
    return response


def _message(detail: Any) -> str:
    # Only ValidationError is meant to carry a list or dict, but any APIException may.
    flattened = _flatten(detail)
    return flattened[0] if flattened else "Error."


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(name): _flatten(messages) for name, messages in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, list):
        return [text for item in messages for text in _flatten(item)]
    if isinstance(messages, dict):
        return [f"{key}: {text}" for key, value in messages.items() for text in _flatten(value)]
    return [str(messages)]


def _first_message(fields: dict[str, list[str]]) -> str | None:
    for name, messages in fields.items():
        if messages:
            return messages[0] if name == "non_field_errors" else f"{name}: {messages[0]}"
    return None


# --- the shape in the OpenAPI schema ------------------------------------------------------------


class TokensRefusalSerializer(serializers.Serializer[Any]):
    needed = serializers.IntegerField(help_text="Tokens the refused work costs.")
    available = serializers.IntegerField(help_text="Tokens in the balance now.")
    owed = serializers.IntegerField(help_text="Tokens owed from a refund or dispute (paid off first by any credit).")
    short = serializers.IntegerField(help_text="Tokens to buy before the work can go ahead: owed + what is lacking.")


class BuyPackSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="The token pack, as the billing page names it.")
    tokens = serializers.IntegerField(help_text="Tokens it adds.")
    price = serializers.CharField(help_text='Its price as people read it, e.g. "€4.99".')


class AskBuyerSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="Their name, as the team's members page shows it.")
    role = serializers.CharField(help_text="`owner` or `admin`.")


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable, machine-readable: `invalid`, `not_found`, `token_expired`, …")
    message = serializers.CharField(help_text="For people: safe to show as is.")
    # DRF's serializer metaclass moves declared fields off the class, so this does not shadow
    # `Serializer.fields`; the stubs cannot know that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per input field, its messages (`invalid` errors only; otherwise empty).",
    )
    tokens = TokensRefusalSerializer(
        required=False,
        help_text="402 only: the figures of the refusal.",
    )
    buy_url = serializers.URLField(
        required=False,
        help_text="402 only, when the site sells tokens: the billing page opened on the payment of the smallest "
        "token pack that covers `tokens.short` (or on its token packs when none is on sale).",
    )
    buy_pack = BuyPackSerializer(
        required=False,
        help_text="402 only, when a pack is on sale: the pack `buy_url` opens.",
    )
    ask = AskBuyerSerializer(
        many=True,
        required=False,
        help_text="402 only, in place of `buy_url` and `buy_pack` to a team member who may not buy tokens (an "
        "editor, commenter or viewer): the team's owner and admins to ask, owner first. The message names them "
        "too; they have been told.",
    )


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()


_ERROR_DESCRIPTIONS = {
    400: (
        "Invalid input: `fields` names each bad field; or (`bad_request`) a request that could not be read, such as "
        "one whose Host header does not name this site."
    ),
    401: "No credentials, or a wrong, revoked or expired API token.",
    402: (
        "Not enough tokens (`insufficient_tokens`: the message says how many are needed and how many are "
        "available), or tokens owed from a refund or dispute (`tokens_owed`: paid work is paused until the next "
        "tokens credited pay them off; the message says how many). Both carry `tokens` (needed, available, owed, "
        "short) and, when the site sells tokens, `buy_url`: the payment of the smallest pack covering `short`; "
        "to a team member who may not buy tokens, `ask` instead (the team's owner and admins)."
    ),
    403: "Not allowed: an API token without the needed scope, a session-only operation, or a CSRF failure.",
    404: "No such object (or it belongs to someone else).",
    409: "Not possible in the object's current state (e.g. a video still processing): the message says why.",
    429: "Too many requests, or today's chat quota is used up: wait for the seconds in `Retry-After`.",
    503: "Not done: a service the site needs cannot answer now (`unavailable`); send it again after `Retry-After`.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error statuses, all with the one error shape.

    400, 401 and 429 are added to every call: any request can be unreadable (a Host that is not this
    site's), and any authenticated, throttled operation can answer the other two.
    """
    wanted = sorted({*statuses, 400, 401, 429})
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=_ERROR_DESCRIPTIONS.get(status, "Error."))
        for status in wanted
    }
