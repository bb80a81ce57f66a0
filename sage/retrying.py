"""Retries of calls to outside services (Gemini, YouTube, Twelve Labs): one policy, through tenacity.

A call that fails for a passing reason (the caller's `transient` says which: the service answered
429 or 5xx, timed out, or could not be reached) is tried again after a random wait of
0..min(OUTSIDE_RETRY_MAX_WAIT_SECONDS, OUTSIDE_RETRY_FIRST_WAIT_SECONDS × 2^n) seconds ("full
jitter": the workers one outage hit do not all come back at the same instant), up to
OUTSIDE_RETRY_ATTEMPTS tries in all. Then the last error is raised and the caller fails the work
and refunds it as before. Any other error is raised at once: asking again would get the same answer.

`on_retry` hears of every wait before it starts, so the page can say "retrying in 8 s".

Our own services (the database, Redis) coming back after an outage are waited for by time, not tries
(`acall_until_back`): what must be written once they are back (a refund) is tried until it is.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

logger = logging.getLogger(__name__)

_Result = TypeVar("_Result")

# HTTP answers that mean "not now" (timeout, rate limit, the service down or overloaded).
TRANSIENT_HTTP_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryNotice:
    """A try failed for a passing reason and another comes after `wait_seconds`."""

    service: str  # as users know it: "Gemini", "YouTube", "Twelve Labs"
    failed_attempt: int  # 1-based
    attempts: int  # the cap
    wait_seconds: float
    error: BaseException

    @property
    def message(self) -> str:
        """What the page says meanwhile, e.g. "Gemini is busy; retrying in 8 s (try 2 of 5)."."""
        seconds = math.ceil(self.wait_seconds)
        when = f"in {seconds} s" if seconds >= 1 else "now"
        return f"{self.service} is busy; retrying {when} (try {self.failed_attempt + 1} of {self.attempts})."

    @property
    def stage(self) -> str:
        """The same in a video's stage (30 characters at most), e.g. "YouTube busy; retry in 8s"."""
        return f"{self.service} busy; retry in {math.ceil(self.wait_seconds)}s"[:30]


RetryListener = Callable[[RetryNotice], None]
# For `acall_with_retries`: a listener may be a coroutine function (e.g. one that publishes to a
# socket), awaited before the wait starts so what it says arrives before the next try's answer.
AsyncRetryListener = Callable[[RetryNotice], Awaitable[None] | None]


def _notice(service: str, state: RetryCallState) -> RetryNotice:
    error = state.outcome.exception() if state.outcome is not None else None
    assert error is not None  # only failed tries are retried
    notice = RetryNotice(
        service=service,
        failed_attempt=state.attempt_number,
        attempts=settings.OUTSIDE_RETRY_ATTEMPTS,
        wait_seconds=state.upcoming_sleep,
        error=error,
    )
    logger.warning("%s failed (%r); %s", service, error, notice.message)
    return notice


def _announcer(service: str, on_retry: RetryListener | None) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        notice = _notice(service, state)
        if on_retry is not None:
            on_retry(notice)

    return before_sleep


def _async_announcer(service: str, on_retry: AsyncRetryListener | None) -> Callable[[RetryCallState], Awaitable[None]]:
    async def before_sleep(state: RetryCallState) -> None:
        notice = _notice(service, state)
        if on_retry is not None:
            heard = on_retry(notice)
            if inspect.isawaitable(heard):
                await heard

    return before_sleep


def _wait() -> wait_random_exponential:
    return wait_random_exponential(
        multiplier=settings.OUTSIDE_RETRY_FIRST_WAIT_SECONDS, max=settings.OUTSIDE_RETRY_MAX_WAIT_SECONDS
    )


def call_with_retries(
    call: Callable[[], _Result],
    *,
    service: str,
    transient: Callable[[BaseException], bool],
    on_retry: RetryListener | None = None,
) -> _Result:
    """`call()`'s result, trying again after transient failures (see the module's docstring)."""
    retrying = Retrying(
        stop=stop_after_attempt(settings.OUTSIDE_RETRY_ATTEMPTS),
        wait=_wait(),
        retry=retry_if_exception(transient),
        before_sleep=_announcer(service, on_retry),
        reraise=True,  # the caller sees the service's own last error, not tenacity's RetryError
    )
    return retrying(call)


async def acall_with_retries(
    call: Callable[[], Awaitable[_Result]],
    *,
    service: str,
    transient: Callable[[BaseException], bool],
    on_retry: AsyncRetryListener | None = None,
) -> _Result:
    """The same for a coroutine: the waits are `asyncio.sleep`, so the event loop goes on meanwhile."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(settings.OUTSIDE_RETRY_ATTEMPTS),
        wait=_wait(),
        retry=retry_if_exception(transient),
        before_sleep=_async_announcer(service, on_retry),
        reraise=True,
    )
    return await retrying(call)


# While one of our own services is away: tries a few hundred ms apart at first, then every few seconds.
UNTIL_BACK_FIRST_WAIT_SECONDS = 0.25
UNTIL_BACK_MAX_WAIT_SECONDS = 5.0


def _until_back_policy(what: str, transient: Callable[[BaseException], bool], within_seconds: float) -> dict[str, Any]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        logger.warning("%s failed (%r); trying again in %.1f s", what, error, state.upcoming_sleep)

    return {
        "stop": stop_after_delay(within_seconds),
        "wait": wait_random_exponential(multiplier=UNTIL_BACK_FIRST_WAIT_SECONDS, max=UNTIL_BACK_MAX_WAIT_SECONDS),
        "retry": retry_if_exception(transient),
        "before_sleep": before_sleep,
        "reraise": True,
    }


async def acall_until_back(
    call: Callable[[], Awaitable[_Result]],
    *,
    what: str,
    transient: Callable[[BaseException], bool],
    within_seconds: float,
) -> _Result:
    """`call()`'s result, tried again while it fails for a passing reason (`transient`: a database
    or cache that is away) for up to `within_seconds`; then the last error is raised."""
    return await AsyncRetrying(**_until_back_policy(what, transient, within_seconds))(call)


def call_until_back(
    call: Callable[[], _Result],
    *,
    what: str,
    transient: Callable[[BaseException], bool],
    within_seconds: float,
) -> _Result:
    """The same in a thread (the waits block it): for a worker thread of its own."""
    return Retrying(**_until_back_policy(what, transient, within_seconds))(call)
