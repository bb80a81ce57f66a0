"""The audit log of the workspace a person acts in, for its admins and owner only: filtered by
action, by who did it and by day, on the page and in the API; other members get a 403 that says
why, and no other workspace's entry ever shows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.activity.conftest import team_of
from tests.clients import client_in
from tests.factories import AuditEntryFactory, UserFactory
from workspaces.models import Role
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db


def day(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


@pytest.fixture
def studio():
    """A team whose owner, admin, editor and viewer are Olga, Adam, Eda and Vic, with a log."""
    olga, adam, eda, vic = (UserFactory(email=f"{name}@studio.example") for name in ("olga", "adam", "eda", "vic"))
    team = team_of(olga, {adam: Role.ADMIN, eda: Role.EDITOR, vic: Role.VIEWER})
    entries = {
        key: AuditEntryFactory(
            workspace=team, actor=actor, actor_email=actor.email, action=action, created_at=day(when)
        )
        for key, actor, action, when in [
            ("link", eda, "link_created", "2026-03-01T10:00"),
            ("revoke", adam, "link_revoked", "2026-03-02T10:00"),
            ("role", olga, "role_changed", "2026-03-03T23:59"),
        ]
    }
    # Elsewhere: Eda's own workspace, and a stranger's.
    AuditEntryFactory(workspace=personal_workspace_of(eda), actor_email=eda.email, target_label="Eda's own token")
    AuditEntryFactory(actor_email="stranger@example.com", target_label="Not theirs")
    return team, {"olga": olga, "adam": adam, "eda": eda, "vic": vic}, entries


@pytest.mark.parametrize("who", ["olga", "adam"])
def test_the_owner_and_admins_read_their_workspaces_audit_and_nothing_else(studio, who) -> None:
    team, people, entries = studio
    client = client_in(people[who], team)

    page = client.get("/workspaces/audit/")
    api = client.get("/api/v1/audit")

    assert page.status_code == 200 and api.status_code == 200, api.content
    assert [e.pk for e in page.context["entries"]] == [entries[k].pk for k in ("role", "revoke", "link")]
    assert [row["id"] for row in api.json()["results"]] == [entries[k].pk for k in ("role", "revoke", "link")]
    text = page.content.decode()
    assert "Not theirs" not in text and "Eda&#x27;s own token" not in text
    assert "Share link revoked" in text and "adam@studio.example" in text
    assert "client_address" not in api.json()["results"][0]  # colleagues' addresses are for operators


@pytest.mark.parametrize("who", ["eda", "vic"])
def test_other_members_get_a_403_that_says_who_may(studio, who) -> None:
    team, people, _ = studio
    client = client_in(people[who], team)

    page = client.get("/workspaces/audit/")
    api = client.get("/api/v1/audit")

    assert page.status_code == 403
    assert "Only admins of this workspace can do this." in page.content.decode()
    assert api.status_code == 403
    assert api.json()["error"]["message"] == "Only admins of this workspace can do this."


def test_in_their_own_workspace_a_member_reads_only_their_own_audit(studio) -> None:
    _, people, _ = studio

    api = client_in(people["eda"]).get("/api/v1/audit")

    assert [row["target_label"] for row in api.json()["results"]] == ["Eda's own token"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"action": "link_revoked"}, ["revoke"]),
        ({"actor": "EDA@"}, ["link"]),
        ({"since": "2026-03-02"}, ["role", "revoke"]),
        ({"until": "2026-03-02"}, ["revoke", "link"]),
        ({"since": "2026-03-03", "until": "2026-03-03"}, ["role"]),  # the whole last day, to 23:59
        ({"since": "2026-03-03", "until": "2026-03-01"}, []),  # nothing lies in such a range (the page says why)
        ({"action": "role_changed", "actor": "adam"}, []),
    ],
)
def test_filters_narrow_the_page_and_the_api_alike(studio, filters, expected) -> None:
    team, people, entries = studio
    client = client_in(people["adam"], team)

    page = client.get("/workspaces/audit/", filters)
    api = client.get("/api/v1/audit", filters)

    wanted = [entries[k].pk for k in expected]
    assert [e.pk for e in page.context["entries"]] == wanted
    assert [row["id"] for row in api.json()["results"]] == wanted, api.content


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"action": "anything"}, "action"),
    ],
)
def test_a_filter_that_is_not_one_is_said_not_answered_with_everything(studio, filters, field) -> None:
    team, people, _ = studio
    client = client_in(people["olga"], team)

    page = client.get("/workspaces/audit/", filters)
    api = client.get("/api/v1/audit", filters)

    assert page.status_code == 200 and list(page.context["entries"]) == []
    assert field in page.context["form"].errors
    assert api.status_code == 400 and field in api.json()["error"]["fields"]


def test_the_page_says_when_the_days_are_the_wrong_way_round(studio) -> None:
    team, people, _ = studio

    page = client_in(people["olga"], team).get("/workspaces/audit/", {"since": "2026-03-03", "until": "2026-03-01"})

    assert list(page.context["entries"]) == []
    assert "The end day comes before the start day." in page.content.decode()


def test_a_long_log_is_read_page_by_page_keeping_the_filters(studio) -> None:
    team, people, _ = studio
    start = day("2026-04-01T00:00")
    for n in range(60):
        AuditEntryFactory(workspace=team, action="link_created", created_at=start + timedelta(minutes=n))
    client = client_in(people["olga"], team)

    first = client.get("/workspaces/audit/", {"action": "link_created"})
    second = client.get("/workspaces/audit/", {"action": "link_created", "page": "2"})

    assert len(first.context["entries"]) == 50 and len(second.context["entries"]) == 11
    assert 'href="?action=link_created&amp;page=2"' in first.content.decode()


def test_the_audit_page_and_api_cost_the_same_queries_for_3_entries_as_for_40(
    studio, django_assert_max_num_queries
) -> None:
    team, people, _ = studio
    client = client_in(people["olga"], team)
    client.get("/workspaces/audit/")  # the session and the like, warmed
    with django_assert_max_num_queries(15) as page_few:
        client.get("/workspaces/audit/")
    with django_assert_max_num_queries(15) as api_few:
        client.get("/api/v1/audit")
    for _ in range(37):
        AuditEntryFactory(workspace=team, actor=people["eda"], actor_email=people["eda"].email)

    with django_assert_max_num_queries(len(page_few.captured_queries)):
        client.get("/workspaces/audit/")
    with django_assert_max_num_queries(len(api_few.captured_queries)):
        client.get("/api/v1/audit")


def test_the_activity_page_links_admins_to_the_audit_log(studio) -> None:
    team, people, _ = studio

    for_admin = client_in(people["adam"], team).get("/activity/").content.decode()
    for_editor = client_in(people["eda"], team).get("/activity/").content.decode()

    assert 'href="/workspaces/audit/"' in for_admin
    assert 'href="/workspaces/audit/"' not in for_editor
