"""Django's PostgreSQL backend, with a connection pool that heals itself.

A pool can be left unable to lend while the server is fine: connections lent and never given back
(a bug: the outage this was written after), or, after the server was down for a while, a pool still
waiting out its back-off before it connects again (psycopg_pool doubles the wait after each failed
try: a 2.5-minute outage once kept every request failing for 75 s after the server was back). Either
way requests time out one after another while nothing is lent at all. When that has gone on for
STUCK_SECONDS and a connection made directly (not through the pool) works, the pool is dropped and
the next request makes a fresh one: the process recovers without a restart. Connections still lent
from the old pool are closed when they come back to it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from psycopg_pool import PoolTimeout, TooManyRequests

logger = logging.getLogger(__name__)

# Nothing lent for this long, every request timing out: the pool is stuck, or the server is down.
STUCK_SECONDS = 10.0
# The direct connection that tells the two apart.
PROBE_TIMEOUT_SECONDS = 2


class _PoolWatch:
    """When this process's pool last lent a connection, and when it was last dropped."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_lent = time.monotonic()
        self.last_reset = 0.0
        self.resets = 0
        # Set while the pool cannot lend although the server answers, after a reset has not helped:
        # the process is sick, and /healthz/live says so, for its supervisor to restart it.
        self.sick_since: float | None = None

    def lent(self) -> None:
        self.last_lent = time.monotonic()
        self.sick_since = None

    def stuck(self) -> bool:
        return self.lent_nothing_for(STUCK_SECONDS)

    def lent_nothing_for(self, seconds: float) -> bool:
        return time.monotonic() - self.last_lent >= seconds


watch = _PoolWatch()


class PoolLendsNothing(PoolTimeout):
    """No connection for this request, and none lent to any other for as long as it waited: the
    database cannot be reached (down, restarting, refusing), as opposed to a pool busy lending all it
    has, which gives each connection back to the next in the queue within a request's time. Said to
    clients as `database_unavailable`, not `busy` (sage.availability)."""


class DatabaseWrapper(base.DatabaseWrapper):
    # With DEBUG on, Django keeps each thread's last `queries_limit` queries' SQL (9,000 by default) for
    # as long as the thread lives. A web process's pool threads (chat steps, sockets' database calls)
    # live for ever and no `request_started` clears theirs: each grew to thousands of queries' text,
    # megabytes a minute through a soak run in development mode. A thousand is more than any one
    # request or test counts.
    queries_limit = 1000

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            connection = super().get_new_connection(conn_params)
        except (PoolTimeout, TooManyRequests) as error:
            # Either way nothing was lent: waited out, or refused because the queue for one is full
            # (which, in a long outage, is how nearly every request ends).
            if self.pool is not None and watch.stuck():
                self._heal_pool(conn_params)
            if self.pool is not None and watch.lent_nothing_for(self.pool.timeout):
                raise PoolLendsNothing(f"the pool lent no connection for {self.pool.timeout:g} s: {error}") from error
            raise
        watch.lent()
        return connection

    def _heal_pool(self, conn_params: dict[str, Any]) -> None:
        """Drop the pool if it lends nothing while the server takes connections (once per
        STUCK_SECONDS: many requests time out together, one of them does this)."""
        with watch.lock:
            now = time.monotonic()
            if now - watch.last_reset < STUCK_SECONDS or not watch.stuck():
                return
            watch.last_reset = now
            if not _server_answers(conn_params):
                return  # the server is down: the pool reconnects by itself once it is back
            if watch.resets and watch.sick_since is None:
                watch.sick_since = now
            watch.resets += 1
            logger.error(
                "the database pool lent no connection for %.0f s while the server answers: making a new pool",
                now - watch.last_lent,
            )
            try:
                self.close_pool()
            except Exception:
                logger.warning("the old pool did not close cleanly", exc_info=True)


def _server_answers(conn_params: dict[str, Any]) -> bool:
    try:
        with psycopg.connect(**{**conn_params, "connect_timeout": PROBE_TIMEOUT_SECONDS}, autocommit=True) as probe:
            probe.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def pool_is_sick() -> bool:
    """True when a fresh pool did not help either: only a new process will (liveness fails)."""
    return watch.sick_since is not None and settings.DATABASES["default"].get("OPTIONS", {}).get("pool") is not None
