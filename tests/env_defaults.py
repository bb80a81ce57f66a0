"""Loaded with `-p` (before pytest-django reads settings): development-style defaults for tests.

Settings are still read from the environment, so CI or a developer can point the suite at real
servers with DATABASE_URL / REDIS_URL.
"""

import os

from sage.services.startup import start_embedded_services

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
# tests.servers.celery_worker(), which turns this off for its duration.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
# Outside services' failures are retried as in production, without the waits between tries.
os.environ.setdefault("OUTSIDE_RETRY_FIRST_WAIT_SECONDS", "0")

# The suite is an entry point: it starts (or joins) the embedded servers before pytest-django reads
# settings, and the servers its tests start inherit their URLs.
start_embedded_services()
