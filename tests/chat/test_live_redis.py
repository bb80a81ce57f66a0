"""The chat's own Redis client (throttle counts, chunk logs, cancel flags): a burst of answers shares a
few connections instead of opening one per answer in flight."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import psutil
from django.conf import settings

from chat import live


def sockets_to_redis() -> int:
    """This process's open TCP connections to the Redis server."""
    port = urlsplit(settings.REDIS_URL).port
    return sum(
        1
        for connection in psutil.Process().net_connections(kind="tcp")
        if connection.raddr and connection.raddr.port == port and connection.status == psutil.CONN_ESTABLISHED
    )


async def test_fifty_questions_at_once_share_a_few_redis_connections() -> None:
    before = sockets_to_redis()

    counted = await asyncio.gather(
        *(live.count_in_window(live.throttle_key(f"burst-test:{n}"), limit=5, period=60) for n in range(50))
    )

    assert all(allowed for allowed, _ in counted)
    assert sockets_to_redis() - before <= live.REDIS_CONNECTIONS
