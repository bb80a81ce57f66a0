"""Running one piece of work in several threads at the same moment, for the tests that prove a race
is won by the database (row locks, guarded updates, unique keys), not by luck."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """`work(i)` in `count` threads released together by a barrier; what each returned or raised.

    Each thread opens its own database connection (Django's are per thread) and closes it when done,
    so the races are between real Postgres sessions; tests using this need
    `django_db(transaction=True)`, since other connections cannot see a test's open transaction."""
    start = threading.Barrier(count)

    def one(index: int) -> Any:
        start.wait()
        try:
            return work(index)
        except Exception as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))
