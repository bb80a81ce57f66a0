"""The site stays up: connections given back before a response goes out, and 503s for outages.

Two things every request passes through, outermost (`stays_up_middleware`, first in MIDDLEWARE):

- **Borrow, return, never hold.** Under ASGI a request's ORM code runs on a thread of its own, and
  Django gives that thread's database connection back only when the response has been sent whole
  (`request_finished`). A streamed answer, or any response a slow client reads slowly, would hold one
  of the pool's connections for as long as that takes, and the answer's own steps need connections
  from the same pool: sixteen streaming answers once took all sixteen and waited for ever for a
  seventeenth (and a stream that failed never fired `request_finished`: the connections leaked for
  good). So once the view and every middleware have run, the thread's connections go back here.
- **Saturation and outages are 503, not 500.** A pool with no connection to lend in time (`busy`), a
  database or Redis that cannot be reached (`database_unavailable`, `cache_unavailable`; a pool that
  lent nothing to anyone while a request waited is a database out of reach): the request is
  answered 503 with `Retry-After`, in the API's JSON shape or as a page, and is not logged as a bug.
  `unavailability()` says whether an exception is one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.utils.decorators import sync_and_async_middleware
from psycopg_pool import PoolTimeout, TooManyRequests

from sage.errors import ServiceUnavailable
from sage.postgres.base import PoolLendsNothing

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait: a busy pool frees a connection within a request's time; a
# database or Redis that went away usually takes a restart's time to come back.
BUSY_RETRY_SECONDS = 2
OUTAGE_RETRY_SECONDS = 5


@dataclass(frozen=True)
class Unavailable:
    """Why a request cannot be served now, and when to try again."""

    code: str
    message: str
    retry_after: int

    def as_error(self) -> ServiceUnavailable:
        return ServiceUnavailable(self.message, code=self.code, retry_after=self.retry_after)


BUSY = Unavailable("busy", "The site is busy right now: try again in a moment.", BUSY_RETRY_SECONDS)
DATABASE_DOWN = Unavailable(
    "database_unavailable", "The site cannot reach its database right now: try again shortly.", OUTAGE_RETRY_SECONDS
)
REDIS_DOWN = Unavailable(
    "cache_unavailable", "The site cannot reach its cache right now: try again shortly.", OUTAGE_RETRY_SECONDS
)


def unavailability(error: BaseException) -> Unavailable | None:
    """What `error` says about the site's services: None for an ordinary failure (a bug is a 500).
    Django wraps the driver's errors, so the chain of causes is read too."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ServiceUnavailable):
            return Unavailable(current.code, current.message, current.retry_after)
        if isinstance(current, PoolLendsNothing):
            return DATABASE_DOWN
        if isinstance(current, PoolTimeout | TooManyRequests):
            return BUSY
        if isinstance(current, redis.exceptions.MaxConnectionsError):
            return BUSY
        if isinstance(current, redis.ConnectionError | redis.TimeoutError | redis.BusyLoadingError):
            return REDIS_DOWN
        current = current.__cause__ or current.__context__
    # A database error that is not about the SQL (a constraint, a syntax error) but the connection.
    if isinstance(error, OperationalError | InterfaceError) and not _is_query_error(error):
        return DATABASE_DOWN
    return None


def _is_query_error(error: Exception) -> bool:
    # An OperationalError with an SQLSTATE of its own came from the server about this query (a
    # statement timeout, a lock not granted): the database is there. Connection failures have none.
    cause = error.__cause__
    sqlstate = getattr(getattr(cause, "diag", None), "sqlstate", None) or getattr(cause, "sqlstate", None)
    return bool(sqlstate) and not str(sqlstate).startswith("08")  # class 08: connection exception


# Paths answered in the API's JSON error shape, pages and all: the API, and Stripe's webhook (a
# machine reads its answers, and Stripe shows them in its dashboard).
JSON_PATH_PREFIXES = ("/api/", "/billing/stripe/webhook/")


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PATH_PREFIXES)


def unavailable_response(request: HttpRequest, problem: Unavailable) -> HttpResponse:
    """The 503 a request gets: the API's JSON error shape under JSON paths, a page elsewhere."""
    # Here, not at the top: a cycle, as the API's error handler imports this module.
    from sage.api.errors import error_body

    headers = {"Retry-After": str(problem.retry_after), "Cache-Control": "no-store"}
    if wants_json(request):
        return JsonResponse(error_body(problem.code, problem.message), status=503, headers=headers)
    page = render_to_string("503.html", {"message": problem.message, "retry_after": problem.retry_after})
    return HttpResponse(page, status=503, headers=headers)


class OutageLogFilter(logging.Filter):
    """On `django.request`: outages are warnings, not errors. Django logs the uncaught exception as
    an "Internal Server Error" with a traceback before this module's middleware turns the response
    into a 503, then logs the 503 itself: the first becomes one line naming the cause, the second a
    warning (neither mailed to the admins as a crash)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if record.levelno >= logging.ERROR and error is not None and (problem := unavailability(error)):
            record.msg, record.args = (
                "Unavailable, answered 503 (%s: %s): %s",
                (
                    problem.code,
                    error,
                    record.getMessage(),
                ),
            )
            record.exc_info, record.exc_text = None, None
            _warning(record)
        elif getattr(record, "status_code", None) == 503:
            _warning(record)
        return True


def _warning(record: logging.LogRecord) -> None:
    record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)


_PROBLEM_ATTRIBUTE = "_sage_unavailable"


@receiver(got_request_exception)
def _note_unavailability(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django turns an uncaught exception into its 500 inside each middleware's wrapper, before the
    outer middleware sees anything: the exception is read here, while it is being handled, and left
    on the request for `stays_up_middleware` to answer 503 instead."""
    error = sys.exc_info()[1]
    if request is not None and error is not None and (problem := unavailability(error)) is not None:
        setattr(request, _PROBLEM_ATTRIBUTE, problem)


def noted_unavailability(request: HttpRequest) -> Unavailable | None:
    """The outage or saturation `_note_unavailability` found behind this request's exception, if any."""
    problem: Unavailable | None = getattr(request, _PROBLEM_ATTRIBUTE, None)
    return problem


def release_connections() -> None:
    """Give this thread's database connections back to the pool (or close them) now. A connection
    inside a transaction is left alone: whoever opened the transaction ends it."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.in_atomic_block:
            try:
                connection.close()
            except DatabaseError:
                logger.warning("a connection could not be given back", exc_info=True)


@sync_and_async_middleware
def stays_up_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """First in MIDDLEWARE: gives the request thread's connections back once every other middleware
    has run, and turns an outage or saturation met anywhere inside into a 503 with `Retry-After`."""
    if iscoroutinefunction(get_response):

        async def stay_up_async(request: HttpRequest) -> HttpResponseBase:
            response = await get_response(request)
            # On the request's own thread (its sync code ran there), where its connections live.
            await sync_to_async(release_connections, thread_sensitive=True)()
            return _answer(request, response)

        return stay_up_async

    def stay_up(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        release_connections()
        return _answer(request, response)

    return stay_up


def _answer(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    problem = noted_unavailability(request)
    if problem is None or response.status_code != 500:
        return response
    response.close()
    return unavailable_response(request, problem)
