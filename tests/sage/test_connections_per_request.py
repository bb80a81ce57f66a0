"""A web process serves request after request on the database and Redis connections it already has.

Under ASGI each request runs on a thread and in a context of its own: a connection kept per thread
(CONN_MAX_AGE) or a cache object per context opened a new database session and a new Redis
connection for every request, as production settings stood (60 s of CONN_MAX_AGE).
"""

from urllib.parse import urlsplit

import httpx
import psutil
from django.conf import settings
from django.db import connection

from devtools import processes
from tests.factories import ApiTokenFactory, UserFactory

REQUESTS = 30


def _sessions_opened_on_the_test_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        (sessions,) = cursor.fetchone()
    return int(sessions)


def _redis_connections_of(process_id: int) -> set[tuple[str, int]]:
    """The web process's open TCP connections to Redis, by their local address (a new connection
    has a new port)."""
    redis_port = urlsplit(settings.REDIS_URL).port
    return {
        (link.laddr.ip, link.laddr.port)
        for link in psutil.Process(process_id).net_connections(kind="tcp")
        if link.raddr and link.raddr.port == redis_port
    }


def test_a_web_process_serves_requests_on_the_connections_it_has(transactional_db):
    token = ApiTokenFactory(user=UserFactory())
    # Production's connection age: the suite's default (0) would close a kept connection anyway.
    with processes.daphne_process({"DB_CONN_MAX_AGE": "60"}) as (url, server), httpx.Client() as client:
        headers = {"Authorization": f"Bearer {token.secret}"}
        for _ in range(3):  # the pool and the cache's connection are made on first use
            assert client.get(f"{url}/api/v1/videos", headers=headers).status_code == 200
        sessions_before = _sessions_opened_on_the_test_database()
        redis_before = _redis_connections_of(server.pid)

        for _ in range(REQUESTS):
            # Throttled per token: each request reads and writes its count in Redis.
            assert client.get(f"{url}/api/v1/videos", headers=headers).status_code == 200

        assert _sessions_opened_on_the_test_database() == sessions_before
        assert redis_before
        assert _redis_connections_of(server.pid) == redis_before
