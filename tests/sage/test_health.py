"""GET /healthz: 200 when the database, Redis and a Celery worker answer; 503 naming what is down."""

from __future__ import annotations

import pytest
import requests

from devtools import processes


@pytest.mark.worker
def test_healthz_is_ok_when_database_redis_and_a_worker_are_up(client, db) -> None:
    with processes.celery_worker():
        response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_names_celery_when_no_worker_answers(client, db) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["celery"]
    assert response.json()["checks"]["celery"]["detail"] == "no worker replied"


def test_healthz_names_redis_when_it_is_unreachable(client, db, settings) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{processes.free_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert "redis" in response.json()["down"]
    assert response.json()["checks"]["database"]["ok"] is True


def test_healthz_of_a_server_whose_database_and_redis_are_down(transactional_db) -> None:
    dead_port = processes.free_port()
    with processes.daphne_server(
        DATABASE_URL=f"postgresql://sage@127.0.0.1:{dead_port}/sage",
        REDIS_URL=f"redis://127.0.0.1:{dead_port}/0",
    ) as url:
        response = requests.get(f"{url}/healthz", timeout=30)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert set(body["down"]) == {"database", "redis", "celery"}
    assert body["checks"]["database"]["detail"].startswith("unreachable")
