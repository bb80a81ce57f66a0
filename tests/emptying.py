"""How a transactional test's database is emptied after it: only the tables that have rows.

Django's `TransactionTestCase` flushes every table after each test: one TRUNCATE of all of them (each
table and index gets a new file, half a second for this schema), then the `post_migrate` signal to
make again the content types and permissions the TRUNCATE took. A test writes to a few tables, so
here those alone are emptied, in one TRUNCATE. The content types and permissions stay as the
migrations made them: no test changes them, so nothing needs making again, and their ids stay those
every process has cached.
Sequences go on counting, as with Django's flush (`reset_sequences=False`).
"""

from __future__ import annotations

import time
from functools import cache

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import TransactionTestCase
from psycopg.errors import DeadlockDetected

# What the migrations made and the post_migrate signal would make again after a flush.
KEPT = frozenset({ContentType._meta.db_table, Permission._meta.db_table})
# Tries of the TRUNCATE that Postgres may end to break a deadlock with the live site (below).
DEADLOCK_ATTEMPTS = 3


@cache
def _model_tables(alias: str) -> tuple[str, ...]:
    """Every table of the project's models (Django's flush empties these, and only these)."""
    tables = connections[alias].introspection.django_table_names(only_existing=False, include_views=False)
    return tuple(sorted(set(tables) - KEPT))


def tables_with_rows(connection: BaseDatabaseWrapper) -> list[str]:
    """The project's tables that hold a row now. A table that never held one has no data pages (nor
    has one since its last TRUNCATE), so only the others are looked into."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r'"
            " AND relnamespace = current_schema()::regnamespace AND pg_relation_size(oid) > 0",
            [list(_model_tables(connection.alias))],
        )
        grown = [name for (name,) in cursor.fetchall()]
        if not grown:
            return []
        cursor.execute(" UNION ALL ".join(f"(SELECT %s FROM {quote(name)} LIMIT 1)" for name in grown), grown)
        return [name for (name,) in cursor.fetchall()]


def empty_tables_with_rows(connection: BaseDatabaseWrapper) -> None:
    """Empty the project's tables that hold rows (but KEPT), in one TRUNCATE. Not DELETE: deleted rows
    stay in a table's indexes until a vacuum, and an approximate (HNSW) vector index walked through
    them finds other neighbours than on an empty table (a search test failed in CI so). CASCADE only
    reaches tables that point at these, which are empty or listed."""
    quote = connection.ops.quote_name
    for attempt in range(DEADLOCK_ATTEMPTS):
        tables = tables_with_rows(connection)
        if not tables:
            return
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(quote(name) for name in tables)} CASCADE")
            return
        except OperationalError as error:
            # A request of the test's live site still under way (a player's last range, a socket's
            # write) can hold one of these tables while it waits for another the TRUNCATE has taken:
            # Postgres ends one of the two. When it is the TRUNCATE, the request goes on and ends,
            # and the TRUNCATE is tried again.
            if not isinstance(error.__cause__, DeadlockDetected) or attempt == DEADLOCK_ATTEMPTS - 1:
                raise
            time.sleep(0.2)


def _fixture_teardown(test_case: TransactionTestCase) -> None:
    """TransactionTestCase's own, emptying only the tables with rows (see the module's docstring)."""
    for alias in test_case._databases_names(include_mirrors=False):  # type: ignore[attr-defined]  # not in the stubs
        empty_tables_with_rows(connections[alias])
