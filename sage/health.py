"""Checks behind `GET /healthz`: each returns None when healthy or a short reason when not."""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection

from sage.celery import app as celery_app

_TIMEOUT_SECONDS = 2


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
            settings.REDIS_URL, socket_connect_timeout=_TIMEOUT_SECONDS, socket_timeout=_TIMEOUT_SECONDS
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
            replies = celery_app.control.ping(timeout=_TIMEOUT_SECONDS, connection=conn)
    except Exception as exc:
        return f"broker unreachable: {type(exc).__name__}"
    if not replies:
        return "no worker replied"
    return None


def health_report() -> tuple[bool, dict[str, object]]:
    checks = {
        "database": check_database(),
        "redis": check_redis(),
        "celery": check_celery_workers(),
    }
    down = [name for name, problem in checks.items() if problem]
    report: dict[str, object] = {
        "status": "ok" if not down else "down",
        "checks": {name: {"ok": problem is None, "detail": problem or "up"} for name, problem in checks.items()},
        "down": down,
    }
    return not down, report
