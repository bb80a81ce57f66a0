"""Django set up for a bench that runs as its own entry point: `setup_django`."""

from __future__ import annotations

import os
import secrets


def setup_django(name: str, *, redis_db: int, shared_secret: bool = True) -> None:
    """Settings for bench `name`, then Django: DEBUG on unless set, a throwaway database of its own
    (`bench_<name>_<pid>`), Redis database `redis_db` of the embedded server when no REDIS_URL is
    given, and the embedded servers started when no URLs are. `shared_secret`: a new SECRET_KEY, which
    the web processes the bench starts inherit (DEBUG off needs one; they read the sessions made here)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ["TEST_DATABASE_NAME"] = f"bench_{name}_{os.getpid()}"
    if shared_secret:
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)
    if not os.environ.get("REDIS_URL"):
        os.environ["EMBEDDED_REDIS_DB"] = str(redis_db)
    # Only now: settings read the environment above when Django loads them.
    import django

    from sage.services.startup import start_embedded_services

    start_embedded_services()
    django.setup()
