"""Counting for every rate limit of the site, in one atomic step in Redis.

A limit is a sliding window, as DRF's throttles keep one: an event is allowed while fewer than
`limit` were allowed in the last `period` seconds, and a refusal says when the oldest of those leaves
the window (DRF's `wait()`). DRF's own throttles read the history, decide, and write it back: two
requests at once both read the same history and both get in (30 posts at once against "10/min" let
19 through). Here the read, the decision and the write are one Lua script, so N requests at once
never let more than `limit` through, on any number of web processes. The clock is Redis's, for the
same reason.

When Redis cannot answer (down, or the pool gave no connection in time) `count` raises
ServiceUnavailable (503, Retry-After): a limited write is refused rather than let through unlimited.
Reads that would rather pass than fail catch it (`sage.api.throttling`).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import cast

import redis
from django.core.cache import cache

from sage.cache_pool import cache_client, loop_client
from sage.errors import ServiceUnavailable

# What redis-py raises when Redis cannot answer: refused or dropped connections, no free connection
# in the pool within its timeout (a ConnectionError too), a command that timed out.
REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)

LIMITS_UNAVAILABLE_MESSAGE = "Rate limits cannot be counted right now, so this was not done: try again shortly."

_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: float  # seconds

    @classmethod
    def parse(cls, text: str) -> Rate:
        """A rate written as DRF's are: "20/min" (or "20/m") is 20 a minute; s, m, h, d."""
        limit, period = text.split("/")
        return cls(limit=int(limit), period=_PERIOD_SECONDS[period.strip()[0]])


@dataclass(frozen=True)
class Counted:
    allowed: bool
    wait: float  # refused: seconds until one more would be allowed; allowed: 0
    event: str  # the event's id in its window, to give it back (`uncount`)


# KEYS[1]: the window (a sorted set of event ids scored by time). ARGV: limit, period, a new event id.
# Drop the times older than the period; refuse when `limit` remain, saying when the oldest leaves;
# else record this one. Redis runs a script alone, so nothing comes between the count and the add.
_COUNT_IN_WINDOW = """
local limit, period = tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, tostring(period - (now - tonumber(oldest[2])))}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(period))
return {1, '0'}
"""


def _window_key(key: str) -> str:
    # Under the cache's prefix and version, as the cache's own keys (and DRF's throttles') were: two
    # sites or test runs sharing one Redis never count each other's events.
    return cache.make_key(f"ratelimit:{key}")


def _counted(reply: list[bytes | int], event: str) -> Counted:
    allowed, wait = reply
    return Counted(allowed=bool(int(allowed)), wait=max(0.0, float(wait)), event=event)


def forget(key: str) -> None:
    """Drop every event counted under `key` (an operator lifting a lock-out; tests)."""
    cache_client().delete(_window_key(key))


def count(key: str, rate: Rate) -> Counted:
    """Count one event under `key` if `rate` allows it; ServiceUnavailable when Redis cannot answer."""
    event = uuid.uuid4().hex
    try:
        reply = cache_client().eval(_COUNT_IN_WINDOW, 1, _window_key(key), rate.limit, rate.period, event)
    except REDIS_UNAVAILABLE as error:
        raise ServiceUnavailable(LIMITS_UNAVAILABLE_MESSAGE) from error
    return _counted(cast(list[bytes | int], reply), event)


def uncount(key: str, counted: Counted) -> None:
    """Give back an event `count` allowed, for a limit on failures that must count each attempt
    before it knows whether it failed. Best effort: if Redis cannot answer, the event stays counted
    (the limit is only stricter for its period)."""
    with contextlib.suppress(*REDIS_UNAVAILABLE):
        cache_client().zrem(_window_key(key), counted.event)


async def acount(key: str, rate: Rate) -> Counted:
    """`count` for async code: one round trip on the event loop, no thread hop."""
    event = uuid.uuid4().hex
    try:
        reply = await loop_client().eval(_COUNT_IN_WINDOW, 1, _window_key(key), rate.limit, rate.period, event)
    except REDIS_UNAVAILABLE as error:
        raise ServiceUnavailable(LIMITS_UNAVAILABLE_MESSAGE) from error
    return _counted(reply, event)
