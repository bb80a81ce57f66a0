"""Settings come from the environment; a bad value stops start-up with a message naming the variable."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from devtools.processes import BASE_DIR, server_env
from sage import env

pytestmark = pytest.mark.django_db


def production_env(**overrides: str) -> dict[str, str]:
    values = server_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="sage.example.com",
        CSRF_TRUSTED_ORIGINS="https://sage.example.com",
    )
    values.pop("FAST_PASSWORD_HASHING", None)  # the suite's own (tests/env_defaults.py)
    values.update(overrides)
    return values


def run_manage(*args: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DEBUG", "maybe", "DEBUG must be a boolean"),
        ("SECURE_HSTS_SECONDS", "a year", "SECURE_HSTS_SECONDS must be an integer"),
        ("SECURE_HSTS_SECONDS", "-5", "SECURE_HSTS_SECONDS must be between"),
        ("DATABASE_URL", "mysql://user@db/sage", "DATABASE_URL must be a postgres:// URL"),
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("REDIS_URL", "http://cache:6379", "REDIS_URL must be a redis://"),
        ("ACCOUNT_EMAIL_VERIFICATION", "sometimes", "ACCOUNT_EMAIL_VERIFICATION must be one of"),
        ("EMAIL_URL", "carrier-pigeon://coop", "EMAIL_URL is not a valid e-mail URL"),
        ("GOOGLE_CLIENT_ID", "only-the-id.apps.googleusercontent.com", "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET"),
    ],
)
def test_a_bad_value_stops_startup_naming_the_variable(variable: str, value: str, expected: str) -> None:
    result = run_manage("check", environment=production_env(**{variable: value}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert expected in result.stderr


def test_secret_key_is_required_when_debug_is_off() -> None:
    environment = production_env()
    del environment["SECRET_KEY"]

    result = run_manage("check", environment=environment)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_short_secret_key_is_refused_in_production() -> None:
    result = run_manage("check", environment=production_env(SECRET_KEY="short"))

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_production_settings_pass_check_deploy_with_zero_warnings() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", environment=production_env())

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_does_flag_an_insecure_production_setup() -> None:
    # Proves the test above can fail: turning HSTS off is reported.
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", environment=production_env(SECURE_HSTS_SECONDS="0")
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_check_deploy_refuses_the_test_suites_fast_password_hashing() -> None:
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", environment=production_env(FAST_PASSWORD_HASHING="true")
    )

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "FAST_PASSWORD_HASHING is on" in result.stderr


class TestEnvHelpers:
    def test_booleans_accept_the_usual_spellings(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for raw, expected in [("1", True), ("YES", True), (" on ", True), ("0", False), ("off", False), ("", False)]:
            monkeypatch.setenv("SAGE_TEST_FLAG", raw)
            assert env.env_bool("SAGE_TEST_FLAG", not expected) is expected

    def test_unset_values_take_their_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("SAGE_TEST_VALUE", raising=False)
        assert env.env_bool("SAGE_TEST_VALUE", True) is True
        assert env.env_int("SAGE_TEST_VALUE", 7) == 7
        assert env.env_list("SAGE_TEST_VALUE", ["a"]) == ["a"]

    def test_lists_are_comma_separated_and_trimmed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SAGE_TEST_VALUE", " a.example.com, b.example.com ,,")
        assert env.env_list("SAGE_TEST_VALUE", []) == ["a.example.com", "b.example.com"]

    def test_a_socket_database_url_puts_the_socket_directory_in_host(self) -> None:
        config = env.parse_database_url("DATABASE_URL", "postgresql://postgres:@/sage?host=/run/pg")
        assert config["HOST"] == "/run/pg"
        assert config["NAME"] == "sage"

    def test_errors_name_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SAGE_TEST_COUNT", "many")
        with pytest.raises(ImproperlyConfigured, match="SAGE_TEST_COUNT"):
            env.env_int("SAGE_TEST_COUNT", 1)


# Run in a fresh process, as a site's: one statement six times on one connection, then how many
# statements that connection has prepared on the server.
_PREPARED_ON_ONE_CONNECTION = """
from django.db import connection
with connection.cursor() as cursor:
    for _ in range(6):
        cursor.execute("SELECT %s::int", [1])
    cursor.execute("SELECT count(*) FROM pg_prepared_statements")
    print(cursor.fetchone()[0])
"""


@pytest.mark.parametrize(("switch", "prepares"), [({}, True), ({"DB_PREPARED_STATEMENTS": "false"}, False)])
def test_often_run_statements_are_prepared_unless_a_pooler_needs_them_not_to_be(
    switch: dict[str, str], prepares: bool
) -> None:
    result = run_manage("shell", "-c", _PREPARED_ON_ONE_CONNECTION, environment=server_env(**switch))

    assert result.returncode == 0, result.stderr
    assert (int(result.stdout.split()[-1]) > 0) is prepares
