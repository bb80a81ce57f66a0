"""What a session's socket refuses (with an error frame, the socket staying open), and drawing
drafts reaching the others live."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from tests.factories import ComparisonFactory, ReviewSessionFactory, ShareLinkFactory
from tests.review_sessions.sockets import (
    drain,
    guest_socket,
    hang_up,
    joined_guest,
    joined_member,
    member_socket,
    next_of,
)

pytestmark = pytest.mark.django_db(transaction=True)

PEN = {"tool": "pen", "color": "#e53935", "width": 0.005, "points": [[0.1, 0.1], [0.4, 0.3]]}


def _session_with_guests():
    comparison = ComparisonFactory(refined=True)  # 20 s and 23.4 s, with differences
    link = ShareLinkFactory(comparison=comparison, permission="comment", allow_sessions=True)
    return ReviewSessionFactory(comparison=comparison, link=link), link, comparison.owner


async def test_bad_frames_get_clear_errors_and_the_socket_stays_open() -> None:
    session, _, owner = await database_sync_to_async(_session_with_guests)()
    socket, connected, _ = await member_socket(owner, None, session.code)
    assert connected

    await socket.send_json_to({"type": "state", "data": {}})
    assert (await next_of(socket, "error"))["code"] == "hello_first"
    await socket.send_json_to({"type": "hello"})
    await next_of(socket, "welcome")
    bad_states = [
        ({"playing": True, "position": -1}, "At or after 0"),
        ({"playing": True, "position": 500}, "end of the timeline"),
        ({"playing": True, "position": 1, "rate": 5}, "Between 0.25 and 4"),
        ({"playing": True, "position": 1, "difference": 99}, "No such difference"),
        ({"playing": True, "position": 1, "threshold": 2}, "Between 0 and 1"),
        ({"playing": "yes", "position": 1}, "true or false"),
    ]
    for data, says in bad_states:
        await socket.send_json_to({"type": "state", "data": data})
        error = await next_of(socket, "error")
        assert error["code"] == "invalid" and says in error["message"], (data, error)
    await socket.send_json_to({"type": "teleport"})
    assert (await next_of(socket, "error"))["code"] == "unknown"
    await socket.send_to(text_data='{"type": "clock.ping", "id": 1, "t0": 0, "pad": "' + "x" * 70_000 + '"}')
    assert (await next_of(socket, "error"))["code"] == "too_large"
    await socket.send_json_to(
        {"type": "drawing.draft", "data": {"side": "a", "time": 2, "shapes": [{**PEN, "color": "red"}]}}
    )
    assert "palette" in (await next_of(socket, "error"))["message"]
    await socket.send_json_to({"type": "drawing.draft", "data": {"side": "a", "time": 2, "shapes": [{**PEN, "on": 1}]}})
    assert "unknown key(s) on" in (await next_of(socket, "error"))["message"]  # as a stored drawing's check
    await socket.send_json_to({"type": "drawing.draft", "data": {"side": "video", "time": 2, "shapes": [PEN]}})
    assert (await next_of(socket, "error"))["code"] == "invalid"

    await socket.send_json_to({"type": "state", "data": {"playing": False, "position": 2.0, "difference": 0}})
    assert (await next_of(socket, "state"))["data"]["difference"] == 0  # still open, still driving
    await socket.disconnect()


async def test_a_guests_hello_needs_a_name_and_its_reviewer_key() -> None:
    session, link, _ = await database_sync_to_async(_session_with_guests)()
    socket, connected, _ = await guest_socket(link.token, session.code)
    assert connected

    await socket.send_json_to({"type": "hello", "name": "  ", "reviewer_key": "k" * 40})
    assert (await next_of(socket, "error"))["code"] == "invalid"
    await socket.send_json_to({"type": "hello", "name": "Ana", "reviewer_key": "short"})
    assert "reviewer key" in (await next_of(socket, "error"))["message"]
    await socket.send_json_to({"type": "hello", "name": "Ana", "reviewer_key": "k" * 40})
    assert (await next_of(socket, "welcome"))["data"]["you"]["name"] == "Ana"
    await socket.disconnect()


async def test_a_drawing_draft_reaches_the_others_and_clears() -> None:
    session, link, owner = await database_sync_to_async(_session_with_guests)()
    presenter, _ = await joined_member(owner, None, session.code)
    guest, welcome = await joined_guest(link.token, session.code)
    await drain(presenter)
    await drain(guest)

    await guest.send_json_to({"type": "drawing.draft", "data": {"side": "b", "time": 3.5, "shapes": [PEN]}})
    draft = (await next_of(presenter, "drawing.draft"))["data"]
    await guest.send_json_to({"type": "drawing.clear"})
    cleared = (await next_of(presenter, "drawing.clear"))["data"]

    assert draft == {"by": welcome["you"]["id"], "side": "b", "time": 3.5, "shapes": [PEN]}
    assert cleared == {"by": welcome["you"]["id"]}
    assert await guest.receive_nothing(timeout=0.3)  # one's own draft is not sent back
    await hang_up(presenter, guest)


async def test_following_and_stepping_out_show_in_the_participants() -> None:
    session, link, owner = await database_sync_to_async(_session_with_guests)()
    presenter, _ = await joined_member(owner, None, session.code)
    guest, welcome = await joined_guest(link.token, session.code)
    assert welcome["you"]["following"] is True
    await drain(presenter)

    await guest.send_json_to({"type": "unfollow"})
    stepped_out = (await next_of(presenter, "participants"))["data"]
    await guest.send_json_to({"type": "follow"})
    back = (await next_of(presenter, "participants"))["data"]

    assert [one["following"] for one in stepped_out if one["guest"]] == [False]
    assert [one["following"] for one in back if one["guest"]] == [True]
    await hang_up(presenter, guest)


async def test_a_flood_of_clock_pings_is_throttled_and_the_socket_stays_open() -> None:
    session, _, owner = await database_sync_to_async(_session_with_guests)()
    socket, _ = await joined_member(owner, None, session.code)
    await drain(socket)

    for ping in range(60):  # three times the rate's burst, faster than its refill
        await socket.send_json_to({"type": "clock.ping", "id": ping, "t0": 0})
    answers = [await socket.receive_json_from(timeout=5) for _ in range(60)]

    kinds = {answer["type"] for answer in answers}
    assert kinds == {"clock.pong", "error"}
    assert {answer["code"] for answer in answers if answer["type"] == "error"} == {"throttled"}
    await socket.disconnect()
