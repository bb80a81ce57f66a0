"""`/ws/sessions/<code>/`: the clock, the presenter's state reaching everyone, who may drive, handing
over, and the presenter going away and coming back, over the real ASGI app and Redis channel layer."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from review_sessions import consumers
from review_sessions.models import ReviewSession
from tests.review_sessions.sockets import drain, hang_up, next_of, next_of_within, team_session
from workspaces.models import Membership, Role
from workspaces.services import member_change_role

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_clock_ping_is_answered_with_the_servers_receipt_and_send_times() -> None:
    review = await database_sync_to_async(team_session)()
    socket, welcome = await review.join(review.owner)
    assert welcome["you"]["presenter"] is True and welcome["session"]["code"] == review.code

    await socket.send_json_to({"type": "clock.ping", "id": 7, "t0": 1234.5})
    pong = await next_of(socket, "clock.pong")

    assert (pong["id"], pong["t0"]) == (7, 1234.5)
    assert welcome["server_ms"] - 60_000 < pong["t1"] <= pong["t2"] < welcome["server_ms"] + 60_000
    await socket.disconnect()


async def test_the_presenters_state_reaches_a_follower_with_its_seq_and_time_and_nobody_else_may_drive() -> None:
    review = await database_sync_to_async(team_session)()
    presenter, _ = await review.join(review.owner)
    follower, welcome = await review.join(review.commenter)
    watcher, _ = await review.join(review.viewer)
    at = welcome["server_ms"]

    await presenter.send_json_to(
        {
            "type": "state",
            "data": {"playing": True, "position": 12.5, "rate": 1.5, "difference": 1, "at": at, "seek": True},
        }
    )
    state = (await next_of(follower, "state"))["data"]
    assert state["seq"] == welcome["session"]["state"]["seq"] + 1
    assert (state["playing"], state["position"], state["rate"], state["difference"], state["at"], state["seek"]) == (
        True,
        12.5,
        1.5,
        1,
        at,
        True,
    )
    assert state["by"] == (await next_of(presenter, "state"))["data"]["by"]

    # A commenter who is not the presenter, and a viewer, who may only follow, are refused.
    await follower.send_json_to({"type": "state", "data": {"playing": False, "position": 1.0}})
    assert (await next_of(follower, "error"))["code"] == "not_presenter"
    await watcher.send_json_to({"type": "state", "data": {"playing": False, "position": 1.0}})
    assert (await next_of(watcher, "error"))["code"] == "follow_only"
    stored = await database_sync_to_async(ReviewSession.objects.get)(pk=review.session.pk)
    assert (stored.position, stored.playing) == (12.5, True)
    await hang_up(presenter, follower, watcher)


async def test_the_presenter_hands_over_and_the_new_presenter_drives() -> None:
    review = await database_sync_to_async(team_session)()
    presenter, _ = await review.join(review.owner)
    follower, welcome = await review.join(review.commenter)
    watcher, watcher_welcome = await review.join(review.viewer)

    await presenter.send_json_to({"type": "handover", "to": watcher_welcome["you"]["id"]})
    refused = await next_of(presenter, "error")
    assert refused["code"] == "invalid" and "may only follow" in refused["message"]
    await presenter.send_json_to({"type": "handover", "to": welcome["you"]["id"]})

    handed = (await next_of(watcher, "presenter"))["data"]
    assert (handed["id"], handed["name"], handed["presenter"]) == (welcome["you"]["id"], review.commenter.name, True)
    await follower.send_json_to({"type": "state", "data": {"playing": False, "position": 3.0, "seek": True}})
    assert (await next_of(presenter, "state"))["data"]["position"] == 3.0
    await presenter.send_json_to({"type": "state", "data": {"playing": False, "position": 4.0}})
    assert (await next_of(presenter, "error"))["code"] == "not_presenter"
    await hang_up(presenter, follower, watcher)


async def test_the_presenter_leaving_pauses_where_their_clock_was_and_coming_back_plays_on() -> None:
    review = await database_sync_to_async(team_session)()
    presenter, welcome = await review.join(review.owner)
    follower, _ = await review.join(review.commenter)
    # Playing at twice the speed from 5 s, since two seconds before the server's clock now.
    started = welcome["server_ms"] - 2000
    await presenter.send_json_to(
        {"type": "state", "data": {"playing": True, "position": 5.0, "rate": 2.0, "at": started, "seek": True}}
    )
    await next_of(follower, "state")

    await presenter.disconnect()
    away = (await next_of(follower, "presenter.away"))["data"]["state"]
    assert away["playing"] is False
    assert away["position"] >= 5.0 + 2 * 2.0  # advanced to the moment it paused, at its rate
    participants = (await next_of(follower, "participants"))["data"]
    assert [one["connected"] for one in participants if one["presenter"]] == [False]

    back_socket, _ = await review.join(review.owner)
    back = (await next_of(follower, "presenter.back"))["data"]["state"]
    assert back["playing"] is True
    assert back["position"] == away["position"] and back["at"] >= away["at"] and back["seq"] == away["seq"] + 1
    await back_socket.disconnect()
    await follower.disconnect()


async def test_two_tabs_are_one_participant_connected_until_both_close() -> None:
    review = await database_sync_to_async(team_session)()
    presenter, _ = await review.join(review.owner)
    first_tab, welcome = await review.join(review.commenter)
    second_tab, second = await review.join(review.commenter)
    me = welcome["you"]["id"]
    assert second["you"]["id"] == me

    await drain(presenter)

    await first_tab.disconnect()
    still = (await next_of(presenter, "participants"))["data"]
    assert [one["connected"] for one in still if one["id"] == me] == [True]
    await second_tab.disconnect()
    gone = (await next_of(presenter, "participants"))["data"]
    assert [one["connected"] for one in gone if one["id"] == me] == [False]
    await presenter.disconnect()


async def test_an_admin_takes_over_from_a_presenter_who_stays_away() -> None:
    review = await database_sync_to_async(team_session)()
    # The commenter presents, then their page goes; the team's owner (an admin) takes over.
    presenter, presenters = await review.join(review.commenter)
    admin, admins = await review.join(review.owner)
    await admin.send_json_to({"type": "handover", "to": presenters["you"]["id"]})
    await next_of(presenter, "presenter")
    await presenter.disconnect()
    await next_of(admin, "presenter.away")

    await admin.send_json_to({"type": "handover", "to": admins["you"]["id"]})

    assert (await next_of(admin, "presenter"))["data"]["id"] == admins["you"]["id"]
    await admin.send_json_to({"type": "state", "data": {"playing": True, "position": 7.0, "seek": True}})
    assert (await next_of(admin, "state"))["data"]["by"] == admins["you"]["id"]
    await admin.disconnect()


async def test_a_member_demoted_to_viewer_stops_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumers, "ROLE_FRESH_S", 0.0)  # read the role on every frame, not every 5 s
    review = await database_sync_to_async(team_session)()
    socket, _ = await review.join(review.commenter)
    draft = {"side": "a", "time": 1.0, "shapes": []}
    await socket.send_json_to({"type": "drawing.draft", "data": draft})
    assert "error" not in [frame["type"] for frame in await drain(socket)]  # a commenter draws

    def demote() -> None:
        by = Membership.objects.get(workspace=review.team, user=review.owner)
        member = Membership.objects.get(workspace=review.team, user=review.commenter)
        member_change_role(membership=by, member=member, role=Role.VIEWER)

    await database_sync_to_async(demote)()
    await socket.send_json_to({"type": "drawing.draft", "data": draft})

    assert (await next_of(socket, "error"))["code"] == "follow_only"
    await socket.disconnect()


async def test_a_presenter_made_viewer_is_refused_at_once_not_at_the_next_role_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The role read at connect is trusted for an hour here: only the role-change notice can tell the
    # socket that its member may no longer drive.
    monkeypatch.setattr(consumers, "ROLE_FRESH_S", 3600.0)
    review = await database_sync_to_async(team_session)()
    socket, _ = await review.join(review.commenter)
    await drain(socket)

    def demote() -> None:
        by = Membership.objects.get(workspace=review.team, user=review.owner)
        member = Membership.objects.get(workspace=review.team, user=review.commenter)
        member_change_role(membership=by, member=member, role=Role.VIEWER)

    await database_sync_to_async(demote)()
    draft = {"type": "drawing.draft", "data": {"side": "a", "time": 1.0, "shapes": []}}
    refused = None
    for _ in range(20):  # the notice travels through the channel layer: a draft or two may go first
        await socket.send_json_to(draft)
        if refused := await next_of_within(socket, "error", timeout=0.5):
            break

    assert refused is not None and refused["code"] == "follow_only"
    await socket.disconnect()
