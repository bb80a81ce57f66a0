"""A presenter showing a moved difference apart (A where the stretch was, B where it is now): the
state carries each player's own time and the move's end (`state.apart`), so followers, and pages
that join later, show both places; a presenter who goes away mid-move pauses it where both were."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from review_sessions.apart import Apart, apart_played
from review_sessions.models import ReviewSession
from tests.factories import (
    ComparisonFactory,
    MembershipFactory,
    ReviewSessionFactory,
    TeamWorkspaceFactory,
    VideoFactory,
)
from tests.review_sessions.sockets import joined_member, next_of
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db(transaction=True)

MOVE = {"a": 4.0, "b": 12.0, "ends": {"a": 8.0, "b": 16.0}}


def _team_session() -> tuple[Workspace, ReviewSession, User, User]:
    team = TeamWorkspaceFactory()
    owner = Membership.objects.get(workspace=team, role=Role.OWNER).user
    comparison = ComparisonFactory(owner=owner, workspace=team, refined=True)
    session = ReviewSessionFactory(comparison=comparison, started_by=owner)
    return team, session, owner, MembershipFactory(workspace=team, role=Role.COMMENTER).user


async def test_a_move_shown_apart_reaches_followers_and_later_pages_and_a_seek_puts_them_in_step() -> None:
    team, session, owner, commenter = await database_sync_to_async(_team_session)()
    presenter, welcome = await joined_member(owner, team, session.code)
    follower, _ = await joined_member(commenter, team, session.code)
    assert welcome["session"]["state"]["apart"] is None

    state = {"playing": False, "position": 4.0, "difference": 0, "apart": MOVE, "at": welcome["server_ms"]}
    await presenter.send_json_to({"type": "state", "data": {**state, "seek": True}})

    assert (await next_of(follower, "state"))["data"]["apart"] == MOVE
    later, later_welcome = await joined_member(commenter, team, session.code)
    assert later_welcome["session"]["state"]["apart"] == MOVE
    played_through = {"a": 8.0, "b": 16.0, "ends": None}
    await presenter.send_json_to({"type": "state", "data": {**state, "apart": played_through}})
    assert (await next_of(follower, "state"))["data"]["apart"] == played_through
    await presenter.send_json_to({"type": "state", "data": {"playing": False, "position": 9.0, "seek": True}})
    assert (await next_of(follower, "state"))["data"]["apart"] is None
    for socket in (presenter, follower, later):
        await socket.disconnect()


async def test_a_state_whose_apart_is_not_two_times_within_the_videos_is_refused() -> None:
    team, session, owner, _ = await database_sync_to_async(_team_session)()
    presenter, _ = await joined_member(owner, team, session.code)
    refused = ({"a": 4.0}, {"a": -1.0, "b": 2.0}, {"a": 1.0, "b": 1e9}, {"a": 1, "b": 2, "ends": {"a": "x"}}, [1, 2])
    for apart in refused:
        await presenter.send_json_to({"type": "state", "data": {"playing": False, "position": 1.0, "apart": apart}})
        assert (await next_of(presenter, "error"))["code"] == "invalid", apart
    assert (await database_sync_to_async(ReviewSession.objects.get)(pk=session.pk)).seq == 0
    await presenter.disconnect()


async def test_a_videos_session_has_no_players_to_show_apart() -> None:
    session = await database_sync_to_async(lambda: ReviewSessionFactory(video=VideoFactory(ready=True)))()
    owner = await database_sync_to_async(lambda: session.started_by)()
    presenter, _ = await joined_member(owner, None, session.code)

    await presenter.send_json_to({"type": "state", "data": {"playing": False, "position": 1.0, "apart": MOVE}})

    refused = await next_of(presenter, "error")
    assert refused["code"] == "invalid" and "comparison" in refused["message"]
    await presenter.disconnect()


async def test_a_presenter_leaving_while_a_move_plays_pauses_both_players_where_they_had_got_to() -> None:
    team, session, owner, commenter = await database_sync_to_async(_team_session)()
    presenter, welcome = await joined_member(owner, team, session.code)
    follower, _ = await joined_member(commenter, team, session.code)
    started = welcome["server_ms"] - 1500  # playing the move for 1.5 s already
    await presenter.send_json_to(
        {"type": "state", "data": {"playing": True, "position": 4.0, "apart": MOVE, "at": started, "seek": True}}
    )
    await next_of(follower, "state")

    await presenter.disconnect()

    away = (await next_of(follower, "presenter.away"))["data"]["state"]
    apart = away["apart"]
    assert away["playing"] is False and apart["ends"] == MOVE["ends"]
    assert 5.5 <= apart["a"] <= 8.0 and apart["b"] - MOVE["b"] == pytest.approx(apart["a"] - MOVE["a"])
    assert away["position"] - 4.0 == pytest.approx(apart["a"] - MOVE["a"])
    await follower.disconnect()


def test_a_move_played_on_keeps_b_at_the_moves_own_pace_and_stops_at_its_end() -> None:
    slower_on_b: Apart = {"a": 4.0, "b": 12.0, "ends": {"a": 8.0, "b": 20.0}}  # B plays it at half speed

    assert apart_played(slower_on_b, 1.0) == {"a": 5.0, "b": 14.0, "ends": slower_on_b["ends"]}
    assert apart_played(slower_on_b, 60.0) == {"a": 8.0, "b": 20.0, "ends": slower_on_b["ends"]}
    played_through: Apart = {"a": 8.0, "b": 20.0, "ends": None}
    assert apart_played(played_through, 5.0) == played_through
    assert apart_played(None, 5.0) is None
