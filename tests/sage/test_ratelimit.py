"""The one counter every rate limit uses (sage.ratelimit), on the real Redis: events counted at the
same moment, from threads and from one event loop, never get more than the limit through."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psutil
import pytest
from django.conf import settings

from sage import ratelimit
from sage.cache_pool import REDIS_LOOP_CONNECTIONS, REDIS_POOL_CONNECTIONS
from sage.errors import ServiceUnavailable

AT_ONCE = 40


def sockets_to_redis() -> int:
    """This process's open TCP connections to the Redis server."""
    port = urlsplit(settings.REDIS_URL).port
    return sum(
        1
        for connection in psutil.Process().net_connections(kind="tcp")
        if connection.raddr and connection.raddr.port == port and connection.status == psutil.CONN_ESTABLISHED
    )


def counted_at_once(key: str, rate: ratelimit.Rate, times: int) -> list[ratelimit.Counted]:
    """`times` counts of `key` from as many threads, released together."""
    start = threading.Barrier(times)

    def one() -> ratelimit.Counted:
        start.wait()
        return ratelimit.count(key, rate)

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(lambda _: one(), range(times)))


def test_counts_from_threads_at_once_let_exactly_the_limit_through() -> None:
    counted = counted_at_once("test:threads", ratelimit.Rate(limit=10, period=60), AT_ONCE)

    assert sum(event.allowed for event in counted) == 10
    refused = [event for event in counted if not event.allowed]
    assert refused and all(0 < event.wait <= 60 for event in refused)


def test_more_threads_than_the_pool_has_connections_wait_their_turn_instead_of_failing() -> None:
    # redis-py 8's plain pool raised MaxConnectionsError past its size: a 500 in a burst of requests.
    before = sockets_to_redis()

    counted = counted_at_once("test:pool", ratelimit.Rate(limit=1000, period=60), REDIS_POOL_CONNECTIONS * 3)

    assert all(event.allowed for event in counted)
    assert sockets_to_redis() - before <= REDIS_POOL_CONNECTIONS


async def test_counts_on_one_event_loop_at_once_let_exactly_the_limit_through() -> None:
    counted = await asyncio.gather(
        *(ratelimit.acount("test:loop", ratelimit.Rate(limit=7, period=60)) for _ in range(AT_ONCE))
    )

    assert sum(event.allowed for event in counted) == 7


async def test_fifty_counts_at_once_share_a_few_redis_connections() -> None:
    before = sockets_to_redis()

    counted = await asyncio.gather(
        *(ratelimit.acount(f"test:burst:{n}", ratelimit.Rate(limit=5, period=60)) for n in range(50))
    )

    assert all(event.allowed for event in counted)
    assert sockets_to_redis() - before <= REDIS_LOOP_CONNECTIONS


def test_an_event_given_back_frees_its_place() -> None:
    rate = ratelimit.Rate(limit=1, period=60)
    first = ratelimit.count("test:given-back", rate)
    assert first.allowed and not ratelimit.count("test:given-back", rate).allowed

    ratelimit.uncount("test:given-back", first)

    assert ratelimit.count("test:given-back", rate).allowed


def test_rates_are_read_as_drf_writes_them() -> None:
    assert ratelimit.Rate.parse("20/min") == ratelimit.Rate(limit=20, period=60)
    assert ratelimit.Rate.parse("30/hour") == ratelimit.Rate(limit=30, period=3600)


def test_a_redis_that_cannot_answer_refuses_the_count(settings) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"},
    }

    with pytest.raises(ServiceUnavailable) as refused:
        ratelimit.count("test:down", ratelimit.Rate(limit=5, period=60))

    assert refused.value.status == 503 and int(refused.value.headers()["Retry-After"]) > 0
