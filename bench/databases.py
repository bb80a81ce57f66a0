"""A throwaway database for a bench: made and migrated by Django's test-database machinery on the
embedded Postgres (or DATABASE_URL's server), dropped at the end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def throwaway_database(*, announce: bool = False) -> Iterator[None]:
    """Django pointed at a new, migrated database for the block; every connection the bench opened
    to it (the search's words-side threads' too) closed before it is dropped."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from videos.selectors import close_words_side_connections

    started = time.perf_counter()
    databases = setup_databases(verbosity=0, interactive=False)
    if announce:
        print(f"database {connection.settings_dict['NAME']} made and migrated in {time.perf_counter() - started:.1f} s")
    try:
        yield
    finally:
        close_words_side_connections()
        connection.close()
        teardown_databases(databases, verbosity=0)
