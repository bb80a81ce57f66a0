"""What an entry point does before Django reads settings: start the embedded servers when no URLs are set.

`manage.py`, `sage/asgi.py`, the Celery app (worker and beat) and the test suite call
`start_embedded_services()` first. In development, when `DATABASE_URL` or `REDIS_URL` is unset, it
starts (or joins) the embedded Postgres / Redis under the data directory and puts their URLs in
the environment, where settings read them and where the processes this one starts (supervisord's
web, worker and beat under `make run`, the test suite's servers) find them. Settings themselves only
read the environment, so importing them (mypy's django-stubs plugin, a script) starts nothing.

Production (`DEBUG` off) never starts them: settings require both URLs there.
"""

from __future__ import annotations

import os
from pathlib import Path

from sage.env import env_bool, env_int, env_str
from sage.services.embedded import acquire

BASE_DIR = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Where the embedded servers (and `make run`'s demo files) keep their data."""
    return Path(env_str("SAGE_DATA_DIR") or BASE_DIR / ".sage")


def start_embedded_services() -> None:
    """Start or join the embedded servers that the environment names no URL for, and export their URLs.

    This process becomes one of their users (`sage.services.embedded`): the last user to exit stops
    them. Processes that inherit the URLs are not users, so they must not outlive the one that started
    them by much (supervisord and the suite's servers stop with their parent). Under `make run` the
    command itself is the user, so web, worker or beat can die and be started again without the
    servers stopping."""
    if not env_bool("DEBUG", False):
        return
    database_url = env_str("DATABASE_URL")
    redis_url = env_str("REDIS_URL")
    if database_url and redis_url:
        return
    urls = acquire(data_dir(), postgres=not database_url, redis=not redis_url)
    if not database_url and urls.database_url:
        os.environ["DATABASE_URL"] = urls.database_url
    if not redis_url and urls.redis_url:
        # The test suite uses another Redis database, so flushing its keys never touches `make run`'s.
        os.environ["REDIS_URL"] = f"{urls.redis_url}{env_int('EMBEDDED_REDIS_DB', 0, minimum=0, maximum=15)}"
