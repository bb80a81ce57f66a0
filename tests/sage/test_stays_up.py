"""Saturation and outages are answered 503 with Retry-After, never 500; a stuck pool heals itself."""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from psycopg_pool import PoolTimeout, TooManyRequests

from sage.postgres import base as postgres
from tests.factories import ApiTokenFactory, UserFactory


def pool_timeout(*args: Any, **kwargs: Any) -> None:
    # As Django raises it: the driver's error wrapped in its own.
    try:
        raise PoolTimeout("couldn't get a connection after 5.00 sec")
    except PoolTimeout as error:
        raise OperationalError(str(error)) from error


def full_pool(*args: Any, **kwargs: Any) -> None:
    try:
        raise TooManyRequests("the pool 'pool-1' has already 64 requests waiting")
    except TooManyRequests as error:
        raise OperationalError(str(error)) from error


def database_gone(*args: Any, **kwargs: Any) -> None:
    raise OperationalError("connection failed: Connection refused")


@pytest.mark.django_db
def test_a_busy_pool_in_the_api_is_a_503_with_retry_after_in_the_error_shape(monkeypatch) -> None:
    token = ApiTokenFactory()
    monkeypatch.setattr("chat.selectors.conversations_for_viewer", pool_timeout)

    response = Client().get("/api/v1/conversations", HTTP_AUTHORIZATION=f"Bearer {token.secret}")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_a_page_whose_database_is_gone_is_a_503_page_not_a_500(monkeypatch, caplog) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    monkeypatch.setattr("videos.views.library_videos", database_gone)  # the library's one query

    response = client.get("/videos/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "cannot reach its database" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    # Logged once, as the outage it is, not as a crash with a traceback (the 500 handler answers the
    # 503 itself, so no 500 is logged first).
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert [record.levelname for record in logged] == ["WARNING"]
    assert "database_unavailable" in logged[0].getMessage()
    assert all(record.exc_info is None for record in logged)


@pytest.mark.django_db
def test_a_full_pool_met_loading_the_session_is_a_503_page_not_a_bare_500(monkeypatch) -> None:
    # A crowd opening a page or a video at once: the session's query finds the pool's queue full.
    # The 500 page would load the session again to render its header, and fail inside the handler.
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", full_pool)

    response = client.get("/videos/")

    assert response.status_code == 503
    assert "busy" in response.content.decode()
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_a_bug_is_still_a_500(monkeypatch) -> None:
    token = ApiTokenFactory()

    monkeypatch.setattr("chat.selectors.conversations_for_viewer", lambda *a, **k: 1 / 0)
    response = Client(raise_request_exception=False).get(
        "/api/v1/conversations", HTTP_AUTHORIZATION=f"Bearer {token.secret}"
    )
    assert response.status_code == 500


@pytest.mark.django_db(transaction=True)
def test_a_pool_that_lends_nothing_while_the_server_answers_is_replaced(monkeypatch) -> None:
    """Connections lent and never given back (a leak) leave the pool empty for good: after
    STUCK_SECONDS of timeouts with the server answering, a new pool serves again."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_MAX_AGE"] = 0
    settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 1}
    monkeypatch.setattr(postgres, "watch", postgres._PoolWatch())
    leaked = postgres.DatabaseWrapper(settings_dict, alias="pool-healing")
    asking = postgres.DatabaseWrapper(settings_dict, alias="pool-healing")
    try:
        leaked.ensure_connection()  # the pool's only connection, never given back

        with pytest.raises(OperationalError):
            asking.ensure_connection()
        # Nothing lent for as long as the watch waits: the next timeout makes a new pool.
        postgres.watch.last_lent = time.monotonic() - postgres.STUCK_SECONDS - 1
        with pytest.raises(OperationalError):
            asking.ensure_connection()
        asking.ensure_connection()
        with asking.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert postgres.watch.resets == 1
    finally:
        asking.close()
        leaked.close()
        asking.close_pool()


@pytest.mark.django_db(transaction=True)
def test_a_pool_whose_queue_is_full_heals_too(monkeypatch) -> None:
    """In a long outage nearly every request is refused at once because the queue for a connection is
    full (not timed out in it): those refusals must replace a stuck pool as well."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_MAX_AGE"] = 0
    settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 10, "max_waiting": 1}
    monkeypatch.setattr(postgres, "watch", postgres._PoolWatch())
    leaked = postgres.DatabaseWrapper(settings_dict, alias="pool-queue-healing")
    waiting = postgres.DatabaseWrapper(settings_dict, alias="pool-queue-healing")
    asking = postgres.DatabaseWrapper(settings_dict, alias="pool-queue-healing")
    try:
        leaked.ensure_connection()  # the pool's only connection, never given back

        def wait_in_the_queue() -> None:
            with contextlib.suppress(OperationalError):  # the pool it waits on is replaced meanwhile
                waiting.ensure_connection()

        queued = threading.Thread(target=wait_in_the_queue)
        queued.start()  # the queue's one place, taken
        deadline = time.monotonic() + 10
        while asking.pool.get_stats()["requests_waiting"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        postgres.watch.last_lent = time.monotonic() - postgres.STUCK_SECONDS - 1

        with pytest.raises(OperationalError, match="waiting"):
            asking.ensure_connection()  # refused at once: the queue is full; the pool is replaced
        assert postgres.watch.resets == 1  # by the refusal, not by the waiting request's timeout later
        queued.join()
        asking.ensure_connection()
        with asking.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert postgres.watch.resets == 1
    finally:
        for wrapper in (asking, waiting, leaked):
            wrapper.close()
        asking.close_pool()
