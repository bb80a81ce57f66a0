"""The feed and the audit log are append-only, as the token ledger is: a row is never changed or
deleted through the site's code, yet deleting a person keeps what they did, under their old name."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from activity.models import ActivityEvent
from tests.activity.conftest import team_of
from tests.factories import ActivityEventFactory, AuditEntryFactory, UserFactory
from workspaces.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [ActivityEventFactory, AuditEntryFactory])
def test_a_row_cannot_be_saved_again_or_deleted(factory) -> None:
    row = factory(target_label="Cut 3")
    row.target_label = "Cut 4"

    with pytest.raises(TypeError, match="append-only"):
        row.save()
    with pytest.raises(TypeError, match="append-only"):
        row.delete()

    row.refresh_from_db()
    assert row.target_label == "Cut 3"


@pytest.mark.parametrize("factory", [ActivityEventFactory, AuditEntryFactory])
def test_rows_cannot_be_updated_or_deleted_in_bulk(factory) -> None:
    row = factory(target_label="Cut 3")
    rows = type(row).objects.all()

    with pytest.raises(TypeError, match="append-only"):
        rows.update(target_label="Cut 4")
    with pytest.raises(TypeError, match="append-only"):
        rows.delete()

    assert list(rows.values_list("target_label", flat=True)) == ["Cut 3"]


def test_a_new_row_given_an_existing_rows_id_is_refused_not_written_over_it() -> None:
    row = ActivityEventFactory(target_label="Cut 3")
    impostor = ActivityEvent(
        pk=row.pk, workspace=row.workspace, actor_name="X", verb="uploaded", target_kind="video", target_id="1"
    )

    with pytest.raises(IntegrityError):
        impostor.save()


def test_deleting_a_person_keeps_what_they_did_under_the_name_they_had() -> None:
    ana = UserFactory(display_name="Ana")
    team = team_of(UserFactory(), {ana: Role.EDITOR})
    event = ActivityEventFactory(workspace=team, actor=ana, actor_name="Ana", target_label="Cut 3")
    entry = AuditEntryFactory(workspace=team, actor=ana, actor_email=ana.email)

    ana.delete()

    event.refresh_from_db()
    entry.refresh_from_db()
    assert (event.actor_id, event.actor_name, str(event)) == (None, "Ana", "Ana uploaded 'Cut 3'")
    assert (entry.actor_id, entry.actor_email) == (None, ana.email)


def test_an_audit_entry_outlives_its_workspace_under_the_workspaces_name() -> None:
    team = team_of(UserFactory(), name="Studio")
    entry = AuditEntryFactory(workspace=team)
    ActivityEventFactory(workspace=team)

    team.delete()

    entry.refresh_from_db()
    assert (entry.workspace_id, entry.workspace_name) == (None, "Studio")
    assert not ActivityEvent.objects.exists()  # the feed goes with its workspace
