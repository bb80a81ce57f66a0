"""With DEBUG on, a long-lived thread's database connection keeps at most a thousand queries' SQL
(Django's own default is 9,000: the web process's pool threads, which no request clears, grew by
megabytes a minute through a soak run in development mode)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_a_connection_keeps_the_sql_of_its_last_thousand_queries_only() -> None:
    with CaptureQueriesContext(connection), connection.cursor() as cursor:
        for number in range(1200):
            cursor.execute("SELECT %s", [number])
        kept = list(connection.queries_log)
    assert len(kept) == 1000
    assert kept[-1]["sql"] == "SELECT 1199"
