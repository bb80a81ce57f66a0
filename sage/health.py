"""Checks behind the health endpoints: each returns None when healthy or a short reason when not.

- `GET /healthz/live` (liveness): the process can serve at all. It asks no other service, so an
  outage of the database or Redis never gets every web process restarted at once; it fails only when
  this process is sick in a way only a restart mends (its database pool lends nothing while the server
  answers, and a fresh pool did not help). A supervisor restarts a process that fails it.
- `GET /healthz/ready` (readiness): the process can serve requests now: a database connection from
  its pool and a Redis round trip, each within a short time, and what it loads at start in the
  background (`ready_once`: the web process's text model) loaded. A load balancer sends traffic only
  to processes that pass it; a supervisor's restart serves at once, before that.
- `GET /healthz`: everything, Celery workers included, for people and monitors.
"""

from __future__ import annotations

from concurrent.futures import Future

import redis
from django.conf import settings
from django.db import connection

from sage.cache_pool import connection_retry
from sage.celery import app as celery_app
from sage.postgres.base import pool_is_sick

_TIMEOUT_SECONDS = 2

# What this process loads in the background at start, by name: not ready until each is done.
_loading: dict[str, Future[bool]] = {}


def ready_once(what: str, loading: Future[bool]) -> None:
    """Report the process not ready (`what`: loading) until `loading` is done. A load that failed
    does not hold readiness back: what needs it starts it again on first use, and says why."""
    _loading[what] = loading


def check_loading() -> str | None:
    still = [what for what, loading in _loading.items() if not loading.done()]
    return f"loading the {', '.join(still)}" if still else None


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            if cursor.fetchone() is None:
                return "pgvector extension missing (run migrations)"
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return None


def check_redis() -> str | None:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=_TIMEOUT_SECONDS,
            socket_timeout=_TIMEOUT_SECONDS,
            retry=connection_retry(),  # as every client of the site: a restart is not an outage
        )
        client.ping()
        client.close()
    except redis.RedisError as exc:
        return f"unreachable: {type(exc).__name__}"
    return None


def check_celery_workers() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=_TIMEOUT_SECONDS)
            # limit=1: the first worker's reply is enough (without it, ping waits out its timeout).
            replies = celery_app.control.ping(timeout=_TIMEOUT_SECONDS, connection=conn, limit=1)
    except Exception as exc:
        return f"broker unreachable: {type(exc).__name__}"
    if not replies:
        return "no worker replied"
    return None


def check_database_pool() -> str | None:
    if pool_is_sick():
        return "the database pool lends no connection although the server answers"
    return None


def liveness_report() -> tuple[bool, dict[str, object]]:
    return _report({"process": check_database_pool()})


def readiness_report() -> tuple[bool, dict[str, object]]:
    return _report({"database": check_database(), "redis": check_redis(), "startup": check_loading()})


def health_report() -> tuple[bool, dict[str, object]]:
    return _report({"database": check_database(), "redis": check_redis(), "celery": check_celery_workers()})


def _report(checks: dict[str, str | None]) -> tuple[bool, dict[str, object]]:
    down = [name for name, problem in checks.items() if problem]
    report: dict[str, object] = {
        "status": "ok" if not down else "down",
        "checks": {name: {"ok": problem is None, "detail": problem or "up"} for name, problem in checks.items()},
        "down": down,
    }
    return not down, report
