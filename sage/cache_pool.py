"""The process's Redis connections for the cache and the rate limits: one bounded pool per process
for sync code, one small pool per event loop for async code.

Django keeps a cache object per async context, and under ASGI each request is a context of its own,
so `RedisCache` made a new connection pool, and opened a new connection to Redis, for every request
(django/django#18459 is open on it): a TCP handshake and redis-py's client set-up, which reads the
package's metadata from disk, before a request's first throttle or cache read. Named as the cache's
`pool_class` (sage/settings.py), `ProcessConnectionPool` hands every cache object of the process the
same pool for the same server. redis-py's pools are safe across threads and start afresh in a forked
child.

The pool blocks rather than refuses: under ASGI every request's sync code runs in a thread of its
own, so a burst of 150 requests is 150 threads that may each want a connection at the same moment.
redis-py 8's plain `ConnectionPool` allows 100 and then raises `MaxConnectionsError` (a 500 in the
middle of a throttle); a command takes well under a millisecond, so a few connections serve the
burst if the others wait their turn. A wait longer than `REDIS_POOL_TIMEOUT_SECONDS` means Redis
cannot answer, which the caller treats as Redis being down (sage.ratelimit).

Both pools retry a command once, on a new connection, after a connection error (`connection_retry`):
a pool made from a URL retries nothing unless told to, and a connection in use or pooled when Redis
restarted is a dead socket. The async pool's check on lending a connection did not see the closed
socket, so the first command on each after a restart failed (six chat answers already accepted were
lost, one at a time, minutes after Redis was back).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any, Self, cast

import redis
import redis.asyncio as aioredis
import redis.asyncio.retry
import redis.retry
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.backoff import ConstantBackoff

# Connections per process (sync) and per event loop (async). Sized for commands that are one short
# round trip each: waiting for one of these is cheaper than the connect handshake of another (an
# unbounded pool opened one per chat answer in flight when a burst came, each with its handshake, in
# that burst's first chunks: bench/chat.py's first round was its slowest).
REDIS_POOL_CONNECTIONS = 20
REDIS_LOOP_CONNECTIONS = 8
# How long a command waits for a free connection, and for Redis to accept a new one, before the
# cache counts as unable to answer (the same 5 s as redis-py's socket timeout).
REDIS_POOL_TIMEOUT_SECONDS = 5.0

# Before the one retry: a restarting Redis refuses connections for a moment (a snapshot read back, a
# supervisor's restart delay); a retry at once would meet the same refusal.
REDIS_RETRY_WAIT_SECONDS = 0.5


def connection_retry() -> redis.retry.Retry:
    """redis-py's retry for a sync client: once, on a new connection (redis-py closes the failed one),
    after a connection error. Not after a timeout: Redis received that command and may have run it."""
    return redis.retry.Retry(
        ConstantBackoff(REDIS_RETRY_WAIT_SECONDS), retries=1, supported_errors=(redis.ConnectionError,)
    )


def async_connection_retry() -> redis.asyncio.retry.Retry:
    """`connection_retry` for an asyncio client."""
    return redis.asyncio.retry.Retry(
        ConstantBackoff(REDIS_RETRY_WAIT_SECONDS), retries=1, supported_errors=(redis.ConnectionError,)
    )


_pools: dict[tuple[str, str], redis.ConnectionPool] = {}
_pools_lock = threading.Lock()


class ProcessConnectionPool(redis.BlockingConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Self:
        """The process's pool for this server and these options, made on first use."""
        key = (url, repr(sorted(kwargs.items())))
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                options = {
                    "max_connections": REDIS_POOL_CONNECTIONS,
                    "timeout": REDIS_POOL_TIMEOUT_SECONDS,
                    "socket_connect_timeout": REDIS_POOL_TIMEOUT_SECONDS,
                    "retry": connection_retry(),
                    **kwargs,
                }
                pool = _pools[key] = super().from_url(url, **options)
            return cast(Self, pool)


def cache_client() -> redis.Redis:
    """The cache's own client, on the process's bounded pool: for commands the cache has no method
    for (scripts, sorted sets), without a second pool."""
    return cast(RedisCache, caches["default"])._cache.get_client(write=True)


# One async client (and its pool) per event loop: a client's connections belong to the loop that
# opened them. Tests run each in a loop of their own.
_loop_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = weakref.WeakKeyDictionary()


def loop_client() -> aioredis.Redis:
    """The running event loop's Redis client, on a bounded pool where a command waits its turn."""
    loop = asyncio.get_running_loop()
    client = _loop_clients.get(loop)
    if client is None:
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=REDIS_LOOP_CONNECTIONS,
            timeout=REDIS_POOL_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_POOL_TIMEOUT_SECONDS,
            retry=async_connection_retry(),
        )
        client = _loop_clients[loop] = aioredis.Redis(connection_pool=pool)
    return client
