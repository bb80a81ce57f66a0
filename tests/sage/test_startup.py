"""Importing settings starts nothing; the entry points start (or join) the embedded servers."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from devtools.processes import BASE_DIR
from sage.services import embedded

_IMPORT_SETTINGS = """
import json, signal
import sage.settings as s
print(json.dumps({
    "sigterm_is_default": signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
    "database_url_set": "DATABASE_URL" in __import__("os").environ,
}))
"""


def _env_without_urls(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


def _suite_on_embedded_servers() -> bool:
    return embedded.status(Path(settings.DATA_DIR))["postgres_pid"] is not None


def test_importing_settings_starts_no_server_and_takes_over_no_signal(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = _run(["-c", _IMPORT_SETTINGS], _env_without_urls(DEBUG="true", SAGE_DATA_DIR=str(data_dir)))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"sigterm_is_default": True, "database_url_set": False}
    assert not data_dir.exists(), "importing settings must not start the embedded servers"


def test_production_without_a_database_url_stops_naming_it(tmp_path: Path) -> None:
    env = _env_without_urls(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="sage.example.com",
        SAGE_DATA_DIR=str(tmp_path / "data"),
    )

    result = _run(["manage.py", "check"], env)

    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr
    assert not (tmp_path / "data").exists(), "production never starts the embedded servers"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "program",
    [
        ["manage.py", "shell", "-c", "from django.conf import settings as s; print(s.DATABASES['default']['HOST'])"],
        # A worker or beat: the Celery app starts the servers when it reads its configuration.
        [
            "-c",
            "from django.conf import settings as s; from sage.celery import app; app.conf.broker_url;"
            " print(s.DATABASES['default']['HOST'])",
        ],
    ],
    ids=["manage.py", "celery"],
)
def test_entry_points_join_the_running_embedded_servers_when_no_urls_are_set(program: list[str]) -> None:
    if not _suite_on_embedded_servers():
        pytest.skip("the suite runs on servers named by DATABASE_URL / REDIS_URL")
    env = _env_without_urls(DEBUG="true", SAGE_DATA_DIR=str(settings.DATA_DIR))

    result = _run(program, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == connection.settings_dict["HOST"]
