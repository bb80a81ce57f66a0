"""The OpenAPI contract: a valid schema, docs served from this site, and a schemathesis run over it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from openapi_spec_validator import validate
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

from accounts.models import User
from accounts.throttling import TokenCreateRateThrottle
from sage import ratelimit
from tests.factories import DEFAULT_PASSWORD, ApiTokenFactory, UserFactory
from tests.sage.schemathesis_runner import (
    SCHEMA,
    assert_clean,
    browser_session_headers,
    schemathesis_run,
)


@pytest.fixture
def schema(db) -> dict:
    response = Client().get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def operations(schema: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield path, method, operation


def test_the_schema_is_valid_openapi_3(schema):
    validate(schema)

    assert schema["openapi"].startswith("3.")
    bearer = schema["components"]["securitySchemes"]["ApiToken"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert "`notes:write`" in bearer["description"]
    assert {"/api/v1/me", "/api/v1/tokens", "/api/v1/tokens/{token_id}"} <= set(schema["paths"])


def test_the_schema_is_also_served_as_yaml(db):
    response = Client().get(SCHEMA)

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_every_operation_documents_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["$ref"] == "#/components/schemas/ErrorDetail"
    assert set(schema["components"]["schemas"]["ErrorDetail"]["required"]) == {"code", "message", "fields"}
    for path, method, operation in operations(schema):
        for status in ("401", "429"):
            documented = operation["responses"].get(status, {})
            assert documented.get("content", {}).get("application/json", {}).get("schema") == {
                "$ref": "#/components/schemas/Error"
            }, f"{method.upper()} {path} does not document {status}"


def test_operations_closed_to_tokens_list_only_the_session(schema):
    token_ok = {
        (method.upper(), path)
        for path, method, operation in operations(schema)
        if {"ApiToken": []} in operation.get("security", [])
    }

    assert ("GET", "/api/v1/me") in token_ok
    assert ("DELETE", "/api/v1/tokens/current") in token_ok  # a token revokes itself (Disconnect)
    assert ("GET", "/api/v1/tokens") not in token_ok
    assert ("GET", "/api/v1/tokens/{token_id}") not in token_ok
    assert ("PATCH", "/api/v1/me") not in token_ok
    assert ("POST", "/api/v1/tokens") not in token_ok
    assert ("DELETE", "/api/v1/tokens/{token_id}") not in token_ok


def test_path_parameters_are_typed(schema):
    for path, method, operation in operations(schema):
        for name in re.findall(r"{(\w+)}", path):
            declared = [p for p in operation.get("parameters", []) if p["in"] == "path" and p["name"] == name]
            assert declared, f"{method.upper()} {path}: {name} is not declared"
            assert declared[0]["required"] is True
            assert declared[0]["schema"].get("type") in {"integer", "string"}


def test_the_docs_page_loads_everything_from_this_site(db):
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    loaded = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page)
    assert loaded, page
    for url in loaded:
        assert not re.match(r"(?i)^(https?:)?//", url), f"the docs page loads {url} from elsewhere"
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)[^\s\"']*\.(?:js|css)", page)
    for url in (u for u in loaded if u.startswith(settings.STATIC_URL)):
        assert finders.find(url.removeprefix(settings.STATIC_URL).split("?")[0]), f"{url} is not a static file"


def test_the_docs_page_does_not_send_the_schema_to_an_outside_validator(db):
    # Swagger UI's default shows a badge loaded from validator.swagger.io for any non-local host.
    page = Client().get("/api/docs/").content.decode()

    assert '"validatorUrl": null' in page


# --- schemathesis --------------------------------------------------------------------------------


@contextmanager
def token_creation_limit_lifted(user: User) -> Iterator[None]:
    """Forget the user's recent token creations before each request of the run.

    Token creation has its own low rate (tested in tests/accounts); without this, the run would
    exercise the throttle, not the endpoint, after the first few requests.
    """
    ident = {"scope": TokenCreateRateThrottle.scope, "ident": f"user:{user.pk}"}
    key = TokenCreateRateThrottle.cache_format % ident

    def before_call(context: object, case: object, kwargs: object) -> None:
        ratelimit.forget(key)  # the server shares this Redis

    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(before_call, "before_call")
    try:
        yield
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(before_call)


def closed_to_tokens(schema: dict) -> set[str]:
    """The operations only a signed-in browser may call ("GET /api/v1/tokens", …)."""
    return {
        f"{method.upper()} {path}"
        for path, method, operation in operations(schema)
        if {"ApiToken": []} not in operation.get("security", [])
    }


@pytest.mark.timeout(360)
def test_schemathesis_finds_no_server_error_as_a_signed_in_browser(live_url, schema):
    user = UserFactory()
    # Signed in through the login form, with the CSRF cookie the site set: no made-up credential, and
    # no made-up Authorization header beside them (the API-token run covers those).
    headers = browser_session_headers(live_url, user.email, DEFAULT_PASSWORD)
    session_only = closed_to_tokens(schema)

    with token_creation_limit_lifted(user):
        # What only a session may call gets every phase. Every other operation is called through the
        # session and its CSRF pair with a few cases each: behind the authentication it runs the code
        # the API-token run tries with every phase (the two runs took 73 s each with all of it).
        only_the_sessions = schemathesis_run(live_url, headers, names=session_only, made_up_credentials=False)
        the_rest = schemathesis_run(
            live_url, headers, skip_names=session_only, max_examples=3, coverage=False, made_up_credentials=False
        )

    for result in (only_the_sessions, the_rest):
        assert_clean(result)
    assert only_the_sessions.operations() == session_only
    assert len(the_rest.operations()) + len(session_only) == len(list(operations(schema)))
    # The session really was used: writes reached the code behind the endpoints.
    assert 200 in only_the_sessions.seen("PATCH /api/v1/me")
    assert 201 in only_the_sessions.seen("POST /api/v1/tokens")
    assert 400 in only_the_sessions.seen("POST /api/v1/tokens")
    assert 200 in the_rest.seen("GET /api/v1/me")
    assert any(not operation.startswith("GET ") and 200 <= status < 300 for operation, status in the_rest.statuses), (
        "no write through the session's CSRF pair was accepted"
    )


@pytest.mark.timeout(360)
def test_schemathesis_finds_no_server_error_with_an_api_token(live_url):
    token = ApiTokenFactory(user=UserFactory())  # every scope

    # Not /tokens/current: its DELETE would revoke the run's own token (tests/accounts covers it).
    # Every other operation gets the coverage phase (each parameter's and body field's boundary,
    # missing and wrongly typed values, and methods the schema does not list) and four random cases,
    # with every check. Twelve random cases an operation made this the suite's longest test, and six
    # still did (57 s on a quiet machine), so it takes four.
    result = schemathesis_run(
        live_url,
        {"Authorization": f"Bearer {token.secret}"},
        max_examples=4,
        path_regex=r"^(?!/api/v1/tokens/current$)",
    )

    assert_clean(result)
    assert 200 in result.seen("GET /api/v1/me")
    assert 200 in result.seen("GET /api/v1/billing")
    assert 403 in result.seen("GET /api/v1/tokens")  # tokens do not list tokens
    # Tokens cannot revoke tokens, so the run's own token survives it.
    assert result.seen("DELETE /api/v1/tokens/{token_id}") <= {401, 403, 404, 405, 429}
    token.refresh_from_db()
    assert token.state == "active"
