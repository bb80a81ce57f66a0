"""Schemathesis over the activity and audit operations only: odd cursors, limits, days and filters
never make a server error, and every answer has its documented shape."""

from __future__ import annotations

import pytest

from tests.factories import ActivityEventFactory, ApiTokenFactory, AuditEntryFactory, UserFactory
from tests.sage.schemathesis_runner import assert_clean, schemathesis_run
from workspaces.selectors import personal_workspace_of

OPERATIONS = {"GET /api/v1/activity", "GET /api/v1/audit"}


@pytest.mark.timeout(240)
def test_the_activity_and_audit_api_survive_schemathesis(live_url) -> None:
    owner = UserFactory()
    workspace = personal_workspace_of(owner)
    for _ in range(3):
        ActivityEventFactory(workspace=workspace)
        AuditEntryFactory(workspace=workspace)
    token = ApiTokenFactory(user=owner, scopes=["read"])

    result = schemathesis_run(
        live_url, {"Authorization": f"Bearer {token.secret}"}, max_examples=15, path_regex=r"^/api/v1/(activity|audit)$"
    )

    assert_clean(result)
    assert result.operations() == OPERATIONS
    assert 200 in result.seen("GET /api/v1/activity") and 400 in result.seen("GET /api/v1/activity")
    assert 200 in result.seen("GET /api/v1/audit") and 400 in result.seen("GET /api/v1/audit")
