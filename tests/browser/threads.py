"""Service and pipeline code run from a browser test as a worker would run it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def in_worker_thread(work: Callable[..., T], *args: object) -> T:
    """`work(*args)` off this thread: Playwright keeps an event loop running here, where the live
    pushes after commit (async_to_sync) cannot run. The thread's database connections are closed."""

    def run() -> T:
        try:
            return work(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
