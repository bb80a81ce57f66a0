"""Loaded with `-p` (before pytest-django reads settings): development-style defaults for tests.

Settings are still read from the environment, so CI or a developer can point the suite at real
servers with DATABASE_URL / REDIS_URL.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from sage.services.startup import start_embedded_services

# On the embedded Redis, `make run` uses database 0 and the benches 15: test processes take 1–14.
LAST_TEST_REDIS_DATABASE = 14


def redis_url_for_database_offset(url: str, offset: int) -> str:
    """`url` with its database number moved up by `offset` (no number is database 0)."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + offset
    if database > LAST_TEST_REDIS_DATABASE:
        raise RuntimeError(f"test process {offset} would use Redis database {database}: run fewer test processes")
    return urlunsplit(parts._replace(path=f"/{database}"))


os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("EMBEDDED_REDIS_DB", "1")
# Connections opened by async tests' worker threads must close, or the test database cannot be dropped.
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
# Each run gets its own test database, so two runs against one server (say, two terminals) never
# drop each other's database.
os.environ.setdefault("TEST_DATABASE_NAME", f"test_sage_{os.getpid()}")
# …and its own cache keys, which the suite clears between tests without touching other runs'.
os.environ.setdefault("CACHE_KEY_PREFIX", f"test-{os.getpid()}")
# Nothing in a test reaches the internet: outside services default to a closed local port, and tests
# that need one start a stub (tests/servers.py) and point the setting at it.
os.environ.setdefault("YOUTUBE_OEMBED_URL", "http://127.0.0.1:9/oembed")
os.environ.setdefault("YOUTUBE_BASE_URL", "http://127.0.0.1:9")
# A developer's real keys must not switch tests onto outside services: tests that want Gemini or
# Twelve Labs start a stub and set these themselves.
for _name in ("GEMINI_API_KEY", "GEMINI_BASE_URL", "TWELVELABS_API_KEY", "TWELVELABS_BASE_URL"):
    os.environ.pop(_name, None)
# Unit tests run Celery tasks inline (eagerly); tests that need a real worker use
# devtools.processes.celery_worker(), which turns this off for its duration.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
# Passwords hashed with MD5, not PBKDF2's million rounds (0.4 s each time one is set or checked):
# Django's advice for test suites. The suite's servers inherit it; `check --deploy` refuses it.
os.environ.setdefault("FAST_PASSWORD_HASHING", "true")
# Outside services' failures are retried as in production, without the waits between tries.
os.environ.setdefault("OUTSIDE_RETRY_FIRST_WAIT_SECONDS", "0")
# Web processes the tests start do not load the text model before serving (a test turns it on).
os.environ.setdefault("TEXT_EMBEDDING_WARM_AT_START", "false")

# Under pytest-xdist (`make test` runs two test processes) each worker process inherits what the
# controller set above; pytest-django gives each worker its own test database (`…_gw0`), and each
# also needs its own cache keys and Redis database, or the workers' Celery queues, socket groups and
# rate-limit counters would meet (both databases have a video 1).
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", …
if _XDIST_WORKER and "REDIS_URL" in os.environ:
    os.environ["CACHE_KEY_PREFIX"] = f"{os.environ['CACHE_KEY_PREFIX']}-{_XDIST_WORKER}"
    # REDIS_URL is the developer's server or the embedded one the controller started (database 1).
    _worker_index = int(_XDIST_WORKER.removeprefix("gw"))
    os.environ["REDIS_URL"] = redis_url_for_database_offset(os.environ["REDIS_URL"], _worker_index)

# The suite is an entry point: it starts (or joins) the embedded servers before pytest-django reads
# settings, and the servers its tests start inherit their URLs.
start_embedded_services()
