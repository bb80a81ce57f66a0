"""One error shape for every API error: {"error": {"code", "message", "fields"}}.

`exception_handler` (DRF's EXCEPTION_HANDLER) turns every API exception into that shape;
`error_responses(400, 404, ...)` documents it on an operation for the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from accounts.guests import GUEST_HEADER, InvalidGuestSession
from billing.services import InsufficientTokens, QuotaExceeded


class Conflict(exceptions.APIException):
    """The request is fine but the object's state does not allow it now (HTTP 409)."""

    status_code = 409
    default_detail = "Not possible in the current state."
    default_code = "conflict"


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidGuestSession):
        # A header, not a body field: the message already names it.
        set_rollback()
        return Response(error_body("invalid", str(exc), {GUEST_HEADER: [str(exc)]}), status=400)
    if isinstance(exc, InsufficientTokens):
        set_rollback()
        return Response(error_body("insufficient_tokens", str(exc)), status=402)
    if isinstance(exc, QuotaExceeded):
        set_rollback()
        retry_after = max(int((exc.resets_at - timezone.now()).total_seconds()), 1)
        return Response(error_body("quota_exceeded", str(exc)), status=429, headers={"Retry-After": str(retry_after)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling (and logging) takes over
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


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable, machine-readable: `invalid`, `not_found`, `token_expired`, …")
    message = serializers.CharField(help_text="For people: safe to show as is.")
    # DRF's serializer metaclass moves declared fields off the class, so this does not shadow
    # `Serializer.fields`; the stubs cannot know that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per input field, its messages (`invalid` errors only; otherwise empty).",
    )


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()


_ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` names each bad field.",
    401: "No credentials, or a wrong, revoked or expired API token.",
    402: "Not enough tokens: the message says how many are needed and how many are available.",
    403: "Not allowed: an API token without the needed scope, a session-only operation, or a CSRF failure.",
    404: "No such object (or it belongs to someone else).",
    409: "Not possible in the object's current state (e.g. a video still processing): the message says why.",
    429: "Too many requests, or today's chat quota is used up: wait for the seconds in `Retry-After`.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error statuses, all with the one error shape.

    401 and 429 are added to every call: any authenticated, throttled operation can answer them.
    """
    wanted = sorted({*statuses, 401, 429})
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=_ERROR_DESCRIPTIONS.get(status, "Error."))
        for status in wanted
    }
