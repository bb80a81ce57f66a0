"""Schemathesis over the workspaces operations only: odd input never makes a server error, every
answer has its documented shape and status, through a signed-in browser and an API token."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD, ApiTokenFactory, MembershipFactory, TeamWorkspaceFactory
from tests.sage.schemathesis_runner import assert_clean, browser_session_headers, schemathesis_run

WORKSPACES_PATHS = r"^/api/v1/workspaces"


@pytest.mark.timeout(240)
def test_the_workspaces_api_survives_schemathesis_as_a_signed_in_browser(live_url: str) -> None:
    workspace = TeamWorkspaceFactory()  # its owner is on the Team plan: creating a team reaches the code
    MembershipFactory(workspace=workspace)
    headers = browser_session_headers(live_url, workspace.created_by.email, DEFAULT_PASSWORD)

    result = schemathesis_run(live_url, headers, max_examples=5, path_regex=WORKSPACES_PATHS, made_up_credentials=False)

    assert_clean(result)
    assert len(result.operations()) == 12
    assert 200 in result.seen("GET /api/v1/workspaces")
    assert 201 in result.seen("POST /api/v1/workspaces")


@pytest.mark.timeout(240)
def test_the_workspaces_api_survives_schemathesis_with_an_api_token(live_url: str) -> None:
    workspace = TeamWorkspaceFactory()
    token = ApiTokenFactory(user=workspace.created_by)

    result = schemathesis_run(
        live_url, {"Authorization": f"Bearer {token.secret}"}, max_examples=4, path_regex=WORKSPACES_PATHS
    )

    assert_clean(result)
    assert 200 in result.seen("GET /api/v1/workspaces")
    # Tokens change nothing here: every write is the browser session's. (The scenario's OPTIONS
    # request, answered 200, is counted under the operation too.)
    assert 201 not in result.seen("POST /api/v1/workspaces")
    assert 403 in result.seen("POST /api/v1/workspaces")
