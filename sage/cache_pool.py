"""One Redis connection pool per process for Django's cache.

Django keeps a cache object per async context, and under ASGI each request is a context of its own,
so `RedisCache` made a new connection pool, and opened a new connection to Redis, for every request
(django/django#18459 is open on it): a TCP handshake and redis-py's client set-up, which reads the
package's metadata from disk, before a request's first throttle or cache read. Named as the cache's
`pool_class` (sage/settings.py), this hands every cache object of the process the same pool for the
same server. redis-py's pools are safe across threads and start afresh in a forked child.
"""

from __future__ import annotations

import threading
from typing import Any, Self, cast

import redis

_pools: dict[tuple[str, str], redis.ConnectionPool] = {}
_pools_lock = threading.Lock()


class ProcessConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Self:
        """The process's pool for this server and these options, made on first use."""
        key = (url, repr(sorted(kwargs.items())))
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = super().from_url(url, **kwargs)
            return cast(Self, pool)
