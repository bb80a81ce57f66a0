"""The application's errors: one vocabulary for the API and the sockets.

An `ApplicationError` is a refusal the code means to give: a stable `code` for machines, a `message`
safe to show people, and the HTTP `status` that says it. The API's exception handler
(`sage.api.errors`) answers one as `{"error": {"code", "message", "fields"}}` with its status; the
socket consumers send it as an error frame with the same code and message. Anything else that is
raised is a bug or an outage: it is logged and answered as a server error, never re-labelled.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied


class ApplicationError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    default_message: ClassVar[str] = "The request cannot be done."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, fields: dict[str, list[str]] | None = None
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code  # type: ignore[misc]  # an instance may name a finer code than its class
        # Per input field, its messages: which part of the input was refused (empty: the whole request).
        self.fields = fields or {}
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        """HTTP headers that go with the answer (e.g. `Retry-After`)."""
        return {}

    def as_frame(self) -> dict[str, Any]:
        """What a socket error frame carries: the same code and message the API would give."""
        return {"code": self.code, "message": self.message}


class Invalid(ApplicationError):
    code = "invalid"
    status = 400
    default_message = "Invalid input."


# The `fields` key for input the whole request is at fault for, as DRF's serializers name it.
NON_FIELD = "non_field_errors"


class FieldInvalid(Invalid):
    """Invalid input that one part of the request (`field`, or NON_FIELD) is at fault for, found by a
    service rather than a serializer. Answered exactly as a serializer's ValidationError for that
    field would be: `fields` = {field: [reason]}, the message prefixed with the field's name. `reason`
    (also `str(error)`) is the bare sentence, for pages that show it by their own form field."""

    def __init__(self, reason: str, *, field: str = NON_FIELD) -> None:
        self.field = field
        self.reason = reason
        super().__init__(reason if field == NON_FIELD else f"{field}: {reason}", fields={field: [reason]})
        self.args = (reason,)


class MalformedJson(ApplicationError):
    """A body or frame that is not JSON this site accepts (see `sage.json_input`)."""

    code = "parse_error"
    status = 400
    default_message = "Malformed JSON."


class BodyTooLarge(ApplicationError):
    """A request body over DATA_UPLOAD_MAX_MEMORY_SIZE (files aside): Django refuses to read it
    (RequestDataTooBig); every door answers this, 413 (sage.views.bad_request, sage.api.errors)."""

    code = "too_large"
    status = 413
    default_message = "The request's body is larger than this site accepts."

    def __init__(self, limit_bytes: int | None = None) -> None:
        if limit_bytes is None:
            super().__init__()
        else:
            super().__init__(f"The request's body is larger than this site accepts ({limit_bytes:,} bytes at most).")


class BodyTooLargeLogFilter(logging.Filter):
    """On `django.security.RequestDataTooBig`: Django logs the refusal as an error with a traceback
    (mailed to the admins); a body too large is the sender's mistake, so one warning line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info, record.exc_text = None, None
        return True


class RefusalLogFilter(logging.Filter):
    """On `django.request`: a page refused by a role or the access policy (PermissionDenied, a 403)
    is the policy working, not a bug: Django logs it as "Forbidden (Permission denied)" with the
    exception's traceback. One warning line instead, naming the path and the refusal's sentence."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, PermissionDenied):
            path = getattr(getattr(record, "request", None), "path", "")
            record.msg, record.args = "Refused (403): %s: %s", (path, str(error) or "permission denied")
            record.exc_info, record.exc_text = None, None
        return True


class NotSignedIn(ApplicationError):
    """A plain JSON view's answer to a visitor who is not signed in (the API's own is DRF's)."""

    code = "not_authenticated"
    status = 401
    default_message = "Sign in first."


class NotFound(ApplicationError):
    """No such object, or not the caller's: the same answer, so nothing leaks about others' objects."""

    code = "not_found"
    status = 404
    default_message = "Not found."


# Where the pages' door notes the workspace a person was acting in and is no longer a member of (its
# name: workspaces.current), so that a "not found" on that request says why.
WORKSPACE_LOST_ATTRIBUTE = "workspace_lost"


def not_found_message(request: Any, message: str) -> str:
    """`message`, and why when the request came from a workspace its person was removed from: their
    open page still links to its objects ("No such comparison." alone reads like a bug)."""
    lost = getattr(getattr(request, "_request", request), WORKSPACE_LOST_ATTRIBUTE, None)
    return f"{message} You are no longer a member of “{lost}”." if lost else message


class Forbidden(ApplicationError):
    """Allowed to see it, not to do this (a workspace role that does not reach)."""

    code = "permission_denied"
    status = 403
    default_message = "You may not do this."


class Conflict(ApplicationError):
    """The request is fine but the object's state does not allow it now."""

    code = "conflict"
    status = 409
    default_message = "Not possible in the current state."


class TooManyRequests(ApplicationError):
    code = "throttled"
    status = 429
    default_message = "Too many requests: wait a little and try again."


class ServiceUnavailable(ApplicationError):
    """The site cannot do this now (busy, or a service it needs is down: Redis, the database): try again after
    `retry_after` seconds. Never a bug: nothing was done, nothing is charged."""

    code = "unavailable"
    status = 503
    default_message = "The site is busy right now: try again in a moment."

    def __init__(self, message: str | None = None, *, code: str | None = None, retry_after: int = 2) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
