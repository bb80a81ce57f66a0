"""The plans that existed before seats get theirs from the migration that adds them (issue 52): the
Team plan holds ten people, the others one, and a plan an operator made keeps one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import Plan


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_the_existing_plans_their_seats() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("billing", "0007_stripe_event_refused")])
    old_plan = executor.loader.project_state([("billing", "0007_stripe_event_refused")]).apps.get_model(
        "billing", "Plan"
    )
    old_plan.objects.create(
        slug="studio",
        name="Studio",
        monthly_tokens=1,
        daily_chat_messages=1,
        max_video_seconds=1,
        max_upload_bytes=1,
        storage_quota_bytes=1,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(Plan.objects.values_list("slug", "seats")) == {"free": 1, "pro": 1, "team": 10, "studio": 1}
