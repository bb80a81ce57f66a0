"""Schemathesis over the notes operations only: odd input never makes a server error, every answer
has its documented shape, and the documented examples reach the code behind the endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.test import Client
from schemathesis.engine import events, from_schema

from tests import servers
from tests.factories import ApiTokenFactory, UserFactory
from tests.sage.test_api_schema import SCHEMA, RunResult

NOTES_PATHS = r"^/api/v1/(notes|videos/\{ref\}/notes)"


@pytest.fixture
def live_url(transactional_db) -> Iterator[str]:
    with servers.daphne_server(API_RATE_LIMIT="100000/min") as url:
        yield url


def run_over_notes(base_url: str, headers: dict[str, str]) -> RunResult:
    config = schemathesis.Config.from_dict(
        {
            "headers": headers,
            "workers": 1,
            "request-timeout": 10,
            "checks": {
                "enabled": False,
                "not_a_server_error": {"enabled": True},
                "response_schema_conformance": {"enabled": True},
            },
            "generation": {"max-examples": 40},
            "phases": {"stateful": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}{SCHEMA}?format=json", config=config)
    result = RunResult()
    for event in from_schema(schema.include(path_regex=NOTES_PATHS)).execute():
        if isinstance(event, events.ScenarioFinished):
            label = event.recorder.label
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    result.statuses[(label, interaction.response.status_code)] += 1
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        result.failures.append(
                            f"{label}: {check.name}: {failure.title}\n{failure.message}\n"
                            f"{check.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            result.errors.append(f"fatal: {event.exception!r}")
    return result


def assert_clean(result: RunResult) -> None:
    assert not result.errors, "\n\n".join(result.errors)
    assert not result.failures, "\n\n".join(result.failures)
    assert not any(status >= 500 for (_, status) in result.statuses), result.statuses
    assert {label for (label, _) in result.statuses} >= {
        "GET /api/v1/notes",
        "GET /api/v1/videos/{ref}/notes",
        "POST /api/v1/videos/{ref}/notes",
        "PATCH /api/v1/notes/{note_id}",
        "DELETE /api/v1/notes/{note_id}",
    }


@pytest.mark.timeout(240)
def test_the_notes_api_survives_schemathesis_as_a_signed_in_browser(live_url) -> None:
    browser = Client()
    browser.force_login(UserFactory())
    secret = "schemathesisCsrfSecret0123456789"
    headers = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}; csrftoken={secret}", "X-CSRFToken": secret}

    result = run_over_notes(live_url, headers)

    assert_clean(result)
    # The documented example (a YouTube id, a time as "1:02.5") reached the code: a note was made.
    assert 201 in result.seen("POST /api/v1/videos/{ref}/notes")
    assert 400 in result.seen("POST /api/v1/videos/{ref}/notes")
    assert 200 in result.seen("GET /api/v1/notes")


@pytest.mark.timeout(240)
def test_the_notes_api_survives_schemathesis_with_an_api_token(live_url) -> None:
    token = ApiTokenFactory(user=UserFactory())

    result = run_over_notes(live_url, {"Authorization": f"Bearer {token.secret}"})

    assert_clean(result)
    assert 201 in result.seen("POST /api/v1/videos/{ref}/notes")
