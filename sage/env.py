"""Typed readers for environment variables.

django-environ does the parsing (URLs, lists, e-mail URLs); these wrappers make a bad value an
`ImproperlyConfigured` that names the variable, instead of a silent default or a stack trace.
"""

from __future__ import annotations

import os
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from redis.connection import parse_url

_env = environ.Env()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def env_required(name: str, why: str) -> str:
    value = env_str(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set ({why}).")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    normalised = value.strip().lower()
    if normalised in _TRUE:
        return True
    if normalised in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false, 1/0, yes/no, on/off), got {value!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, got {number}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = (env_str(name) or default).lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {sorted(choices)}, got {value!r}.")
    return value


def parse_database_url(name: str, url: str) -> dict[str, Any]:
    try:
        config = _env.db_url_config(url)
    except (ImproperlyConfigured, ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from None
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"{name} must be a postgres:// URL (SAGE needs PostgreSQL with pgvector).")
    config = dict(config)
    options = dict(config.get("OPTIONS") or {})
    # A Unix-socket URL (`?host=/path`) carries the socket directory as an option; Django wants it in HOST.
    if not config.get("HOST") and "host" in options:
        config["HOST"] = options.pop("host")
    config["OPTIONS"] = options
    return config


def parse_redis_url(name: str, url: str) -> str:
    if not url.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured(f"{name} must be a redis:// or rediss:// URL, got {url!r}.")
    return url


def redis_database_number(url: str) -> int:
    """The database a redis:// URL selects (its path or `?db=`; none is database 0), read as redis-py does."""
    return int(parse_url(url).get("db") or 0)  # type: ignore[no-untyped-call]


def parse_email_url(name: str, url: str) -> dict[str, Any]:
    try:
        return dict(_env.email_url_config(url))
    except (ImproperlyConfigured, ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name} is not a valid e-mail URL: {exc}") from None
