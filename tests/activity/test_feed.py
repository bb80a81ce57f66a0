"""The activity feed of the workspace a person acts in: newest first, page after page with no event
shown twice or skipped (even many at the same instant, even while new ones arrive), any member may
read it, and no other workspace's event ever shows, on the page or in the API."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activity.selectors import Cursor, activity_for_workspace
from tests.activity.conftest import team_of
from tests.clients import client_in
from tests.factories import ActivityEventFactory, UserFactory
from workspaces.models import Role
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db


def feed_lines(response) -> list[str]:
    """The page's events as a person reads them: "Ana uploaded “Cut 3”", without the time."""
    items = re.findall(
        r'<span class="activity-what">(.*?)</span>\s*<span class="muted', response.content.decode(), re.S
    )
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split()) for item in items]


def read_all(workspace_id: int, limit: int) -> list[int]:
    seen: list[int] = []
    before = None
    while True:
        page = activity_for_workspace(workspace_id, before=before, limit=limit)
        seen += [event.pk for event in page.events]
        if page.next is None:
            return seen
        before = Cursor.decode(page.next.encode())  # as a page's link carries it


def test_pages_of_events_at_one_instant_have_no_gaps_or_repeats() -> None:
    workspace = personal_workspace_of(UserFactory())
    instant = timezone.now()
    events = [ActivityEventFactory(workspace=workspace, created_at=instant) for _ in range(7)]
    events += [ActivityEventFactory(workspace=workspace, created_at=instant - timedelta(seconds=1)) for _ in range(3)]

    for limit in (1, 3, 4, 10, 11):
        seen = read_all(workspace.pk, limit)
        assert seen == [e.pk for e in sorted(events, key=lambda e: (e.created_at, e.pk), reverse=True)], limit


def test_events_recorded_while_someone_reads_do_not_shift_the_next_page() -> None:
    workspace = personal_workspace_of(UserFactory())
    older = [ActivityEventFactory(workspace=workspace) for _ in range(4)]

    first = activity_for_workspace(workspace.pk, limit=2)
    ActivityEventFactory(workspace=workspace)  # arrives between the two pages
    second = activity_for_workspace(workspace.pk, before=first.next, limit=2)

    assert [e.pk for e in first.events + second.events] == [e.pk for e in reversed(older)]
    assert second.next is None


def test_the_page_shows_the_acting_workspaces_events_newest_first_then_more() -> None:
    ana, bo = UserFactory(display_name="Ana"), UserFactory()
    team = team_of(ana, {bo: Role.VIEWER})
    now = timezone.now()
    for n in range(55):
        ActivityEventFactory(
            workspace=team, actor_name="Ana", target_label=f"Cut {n}", created_at=now - timedelta(minutes=55 - n)
        )
    ActivityEventFactory(workspace=personal_workspace_of(bo), actor_name="Bo", target_label="Bo's own")
    ActivityEventFactory(actor_name="Stranger", target_label="Not theirs")
    viewer = client_in(bo, team)

    first = viewer.get("/activity/")

    assert first.status_code == 200
    assert feed_lines(first) == [f"Ana uploaded “Cut {n}”" for n in range(54, 4, -1)]
    assert "the audit log" not in first.content.decode()  # a viewer is not shown the admins' link
    second = viewer.get("/activity/", {"before": first.context["next_cursor"]})
    assert feed_lines(second) == [f"Ana uploaded “Cut {n}”" for n in range(4, -1, -1)]
    assert "Load more" not in second.content.decode()
    # Their own workspace (no switch chosen) shows only theirs.
    assert feed_lines(client_in(bo).get("/activity/")) == ["Bo uploaded “Bo's own”"]


def test_an_unreadable_place_in_the_feed_shows_the_newest_events_and_says_so() -> None:
    user = UserFactory()
    ActivityEventFactory(workspace=personal_workspace_of(user), target_label="Newest")

    response = client_in(user).get("/activity/", {"before": "not-a-cursor"})

    assert response.status_code == 200
    assert feed_lines(response) == [f"{response.context['lines'][0].actor_name} uploaded “Newest”"]
    assert "was not found" in response.content.decode()


def test_the_page_costs_the_same_queries_for_5_events_as_for_50(django_assert_max_num_queries) -> None:
    user = UserFactory()
    workspace = personal_workspace_of(user)
    client = client_in(user)
    for _ in range(5):
        ActivityEventFactory(workspace=workspace, actor=user)
    client.get("/activity/")  # the session and the like, warmed
    with django_assert_max_num_queries(12) as few:
        client.get("/activity/")
    for _ in range(45):
        ActivityEventFactory(workspace=workspace, actor=user)

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/activity/")


def test_the_api_pages_by_cursor_in_the_acting_workspace_only() -> None:
    ana, bo = UserFactory(display_name="Ana"), UserFactory()
    team = team_of(ana, {bo: Role.COMMENTER})
    made = [ActivityEventFactory(workspace=team, actor=ana, actor_name="Ana") for _ in range(3)]
    ActivityEventFactory(workspace=personal_workspace_of(ana), actor_name="Ana alone")
    client = client_in(bo, team)

    first = client.get("/api/v1/activity", {"limit": 2})
    assert first.status_code == 200, first.content
    body = first.json()
    second = client.get("/api/v1/activity", {"limit": 2, "cursor": body["next"]}).json()

    ids = [row["id"] for row in body["results"] + second["results"]]
    assert ids == [e.pk for e in reversed(made)] and second["next"] is None
    row = body["results"][0]
    assert row["text"] == f"Ana uploaded “{made[-1].target_label}”"
    assert (row["actor_id"], row["verb"], row["target_kind"]) == (ana.pk, "uploaded", "video")


@pytest.mark.parametrize("cursor", ["bm90LWEtY3Vyc29y", "0", "MjAyNi0wMS0wMXwx"])  # the last: a naive time
def test_the_api_answers_a_cursor_it_did_not_give_as_no_such_page(cursor) -> None:
    response = client_in(UserFactory()).get("/api/v1/activity", {"cursor": cursor})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_member_removed_from_a_team_reads_their_own_feed_not_the_teams() -> None:
    ana, bo = UserFactory(), UserFactory()
    team = team_of(ana, {bo: Role.EDITOR})
    ActivityEventFactory(workspace=team, target_label="Team secret")
    client = client_in(bo, team)
    assert "Team secret" in client.get("/activity/").content.decode()

    team.memberships.filter(user=bo).delete()

    assert "Team secret" not in client.get("/activity/").content.decode()
    assert client.get("/api/v1/activity").json()["results"] == []


def test_a_page_deep_in_the_feed_is_read_from_the_index_in_order() -> None:
    workspace = personal_workspace_of(UserFactory())
    for _ in range(3):
        ActivityEventFactory(workspace=workspace)
    cursor = activity_for_workspace(workspace.pk, limit=1).next

    with CaptureQueriesContext(connection) as queries:
        activity_for_workspace(workspace.pk, before=cursor, limit=1)
    with connection.cursor() as db:
        db.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask how a big one is read
        db.execute("EXPLAIN " + queries.captured_queries[-1]["sql"])
        plan = "\n".join(row[0] for row in db.fetchall())

    assert "activity_feed" in plan and "Sort" not in plan, plan
    assert "Index Cond" in plan and "created_at <=" in plan.split("Filter")[0], plan
