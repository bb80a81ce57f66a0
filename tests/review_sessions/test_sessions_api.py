"""`/api/v1/sessions…`: members start, list, read, hand over and end sessions; other workspaces'
codes are 404 (and their sockets refused with 4404)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activity.models import ActivityEvent
from tests.clients import client_in
from tests.factories import (
    ComparisonFactory,
    MembershipFactory,
    ReviewSessionFactory,
    TeamWorkspaceFactory,
    UserFactory,
    VideoFactory,
)
from tests.review_sessions.sockets import closed_at_once_with, member_socket
from workspaces.models import Membership, Role, Workspace


def _owner(team: Workspace):
    return Membership.objects.get(workspace=team, role=Role.OWNER).user


@pytest.mark.django_db
def test_a_commenter_starts_a_session_on_a_comparison_and_the_team_reads_it() -> None:
    team = TeamWorkspaceFactory()
    comparison = ComparisonFactory(owner=_owner(team), workspace=team, refined=True)
    commenter = MembershipFactory(workspace=team, role=Role.COMMENTER).user
    viewer = MembershipFactory(workspace=team, role=Role.VIEWER).user

    started = client_in(commenter, team).post(
        "/api/v1/sessions", {"comparison": comparison.pk}, content_type="application/json"
    )

    assert started.status_code == 201, started.content
    body = started.json()
    assert body["target"] == {"kind": "comparison", "id": comparison.pk, "title": comparison.title}
    assert body["url"].endswith(f"/sessions/{body['code']}/") and body["guest_url"] is None
    assert (body["presenter"]["name"], body["presenter"]["connected"], body["live"]) == (commenter.name, False, True)
    assert body["state"] == {
        "playing": False,
        "position": 0.0,
        "rate": 1.0,
        "difference": None,
        "threshold": None,
        "at": body["state"]["at"],
        "apart": None,
        "seq": 0,
    }
    assert len(body["code"]) == 22 and body["started_by_name"] == commenter.name
    as_viewer = client_in(viewer, team)
    assert as_viewer.get(f"/api/v1/sessions/{body['code']}").json()["code"] == body["code"]
    listed = as_viewer.get(f"/api/v1/sessions?comparison={comparison.pk}").json()["results"]
    assert [one["code"] for one in listed] == [body["code"]]
    assert (
        as_viewer.post("/api/v1/sessions", {"comparison": comparison.pk}, content_type="application/json").status_code
        == 403
    )
    assert ActivityEvent.objects.filter(workspace=team, verb=ActivityEvent.Verb.SESSION_STARTED).count() == 1


@pytest.mark.django_db
def test_a_session_needs_exactly_one_object_of_the_workspace() -> None:
    user = UserFactory()
    mine = VideoFactory(owner=user, ready=True)
    theirs = VideoFactory(ready=True)
    client = client_in(user)

    assert client.post("/api/v1/sessions", {}, content_type="application/json").status_code == 400
    both = client.post("/api/v1/sessions", {"video": mine.pk, "comparison": 1}, content_type="application/json")
    assert both.status_code == 400
    assert client.post("/api/v1/sessions", {"video": theirs.pk}, content_type="application/json").status_code == 404
    assert client.post("/api/v1/sessions", {"video": mine.pk}, content_type="application/json").status_code == 201


@pytest.mark.django_db(transaction=True)
async def test_another_workspaces_session_is_404_and_its_socket_is_refused() -> None:
    session = await database_sync_to_async(ReviewSessionFactory)()
    stranger = await database_sync_to_async(UserFactory)()
    client = await database_sync_to_async(client_in)(stranger)

    answer = await database_sync_to_async(client.get)(f"/api/v1/sessions/{session.code}")
    assert answer.status_code == 404
    assert (await database_sync_to_async(client.get)("/api/v1/sessions/not-a-code")).status_code == 404
    refused, connected, _ = await member_socket(stranger, None, session.code)
    assert connected and await closed_at_once_with(refused) == 4404
    refused, connected, _ = await member_socket(stranger, None, "x" * 22)
    assert connected and await closed_at_once_with(refused) == 4404


@pytest.mark.django_db
def test_listing_sessions_costs_the_same_queries_however_many(django_assert_max_num_queries) -> None:
    user = UserFactory()
    client = client_in(user)
    video = VideoFactory(owner=user, ready=True)
    ReviewSessionFactory(video=video)
    client.get("/api/v1/sessions")  # warm: the session's and the workspace's first reads
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/sessions").json()["results"]) == 1
    for _ in range(3):
        ReviewSessionFactory(video=video)
    with django_assert_max_num_queries(len(one)):
        assert len(client.get("/api/v1/sessions").json()["results"]) == 4


@pytest.mark.django_db
def test_a_filter_naming_no_id_is_refused_not_read_as_no_filter() -> None:
    user = UserFactory()
    video = VideoFactory(owner=user, ready=True)
    session = ReviewSessionFactory(video=video)
    client = client_in(user)

    blank = client.get("/api/v1/sessions?video=&comparison=1")

    assert (blank.status_code, list(blank.json()["error"]["fields"])) == (400, ["video"])
    listed = client.get(f"/api/v1/sessions?video={video.pk}").json()["results"]
    assert [one["code"] for one in listed] == [session.code]
