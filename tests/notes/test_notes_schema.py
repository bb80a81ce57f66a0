"""Schemathesis over the notes operations only: odd input never makes a server error, every answer
has its documented shape, and the documented examples reach the code behind the endpoints."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD, ApiTokenFactory, UserFactory
from tests.sage.schemathesis_runner import (
    RunResult,
    assert_clean,
    browser_session_headers,
    schemathesis_run,
)

NOTES_PATHS = r"^/api/v1/(notes|videos/\{ref\}/notes)"
NOTES_OPERATIONS = {
    "GET /api/v1/notes",
    "GET /api/v1/videos/{ref}/notes",
    "POST /api/v1/videos/{ref}/notes",
    "PATCH /api/v1/notes/{note_id}",
    "DELETE /api/v1/notes/{note_id}",
}


def run_over_notes(base_url: str, headers: dict[str, str], *, made_up_credentials: bool = True) -> RunResult:
    # More examples than the whole-API run: these few operations get the run's whole attention.
    result = schemathesis_run(
        base_url, headers, max_examples=40, path_regex=NOTES_PATHS, made_up_credentials=made_up_credentials
    )
    assert_clean(result)
    assert result.operations() >= NOTES_OPERATIONS
    return result


@pytest.mark.timeout(240)
def test_the_notes_api_survives_schemathesis_as_a_signed_in_browser(live_url) -> None:
    # No made-up tokens beside the session: they were 401s that left too few cases to reach a 400.
    user = UserFactory()
    headers = browser_session_headers(live_url, user.email, DEFAULT_PASSWORD)
    result = run_over_notes(live_url, headers, made_up_credentials=False)

    # The documented example (a YouTube id, a time as "1:02.5") reached the code: a note was made.
    assert 201 in result.seen("POST /api/v1/videos/{ref}/notes")
    assert 400 in result.seen("POST /api/v1/videos/{ref}/notes")
    assert 200 in result.seen("GET /api/v1/notes")


@pytest.mark.timeout(240)
def test_the_notes_api_survives_schemathesis_with_an_api_token(live_url) -> None:
    token = ApiTokenFactory(user=UserFactory())

    result = run_over_notes(live_url, {"Authorization": f"Bearer {token.secret}"})

    assert 201 in result.seen("POST /api/v1/videos/{ref}/notes")
