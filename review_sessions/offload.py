"""The database work of session sockets, off the thread every consumer shares.

Channels runs `database_sync_to_async` calls on one thread per process (thread_sensitive): a crowd
joining a session queued every join's queries there one after another, behind each other and behind
every other socket's, until daphne dropped the sockets it had not accepted within 5 s. A session
socket's calls run on a few threads of their own instead (REVIEW_SESSION_DB_THREADS), each borrowing
a pooled connection for the one call and returning it (Channels' `close_old_connections` around it):
joins go as many at a time as there are threads, and never take more of the pool than that."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings

P = ParamSpec("P")
R = TypeVar("R")

_threads = ThreadPoolExecutor(max_workers=settings.REVIEW_SESSION_DB_THREADS, thread_name_prefix="session-db")


def off_thread(func: Callable[P, R]) -> Any:
    """`func` as a coroutine function run on the session sockets' threads (awaited as
    `await off_thread(func)(*args)`); a socket's own calls still run one at a time, as it awaits each."""
    return database_sync_to_async(func, thread_sensitive=False, executor=_threads)
