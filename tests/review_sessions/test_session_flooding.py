"""A session's sockets against floods: a socket sending frames far faster than any page is closed and
counted out (the others see it go), and a session full of people tells the next one so, while a
second tab of someone already in still joins."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from review_sessions import consumers
from review_sessions.models import Participant
from tests.review_sessions.sockets import GUEST_KEY, drain, guest_socket, hang_up, joined_guest, next_of, team_session

pytestmark = pytest.mark.django_db(transaction=True)


async def _closed_with(socket, code: int) -> None:
    while True:
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            assert output["code"] == code
            return


async def test_a_socket_flooding_frames_is_closed_and_counted_out_and_the_others_see_it_go() -> None:
    given = await database_sync_to_async(team_session)()
    director, _ = await given.join(given.owner)
    flooder, _ = await given.join_guest(name="Flood")
    await drain(director)

    for number in range(400):  # clock pings as fast as a script sends them: more than any page would
        await flooder.send_json_to({"type": "clock.ping", "id": number, "t0": 1})
    refused = await next_of(flooder, "error")
    while refused["code"] != "flooding":
        refused = await next_of(flooder, "error")
    assert "closed" in refused["message"]
    await _closed_with(flooder, 4429)

    seen = await next_of(director, "participants")
    while any(one["name"] == "Flood" and one["connected"] for one in seen["data"]):
        seen = await next_of(director, "participants")
    flooded = await database_sync_to_async(Participant.objects.get)(name="Flood")
    assert flooded.open_sockets == 0
    # The director's own socket goes on working.
    await director.send_json_to({"type": "clock.ping", "id": "after", "t0": 1})
    assert (await next_of(director, "clock.pong"))["id"] == "after"
    await director.disconnect()


async def test_a_full_session_tells_the_next_person_and_a_second_tab_of_someone_in_still_joins(settings) -> None:
    settings.REVIEW_SESSION_MAX_PARTICIPANTS = 2
    given = await database_sync_to_async(team_session)()
    session, link = given.session, given.link
    director, _ = await given.join(given.owner)
    ana, _ = await given.join_guest(name="Ana", key=GUEST_KEY)

    late, connected, _ = await guest_socket(link.token, session.code)
    assert connected
    await late.send_json_to({"type": "hello", "name": "Ben", "reviewer_key": "b" * 40})
    told = await next_of(late, "session.left")
    assert told["data"]["reason"] == "full" and "at most 2 people" in told["data"]["message"]
    await _closed_with(late, 4403)
    assert not await database_sync_to_async(Participant.objects.filter(name="Ben").exists)()

    second_tab, welcome = await joined_guest(link.token, session.code, name="Ana", key=GUEST_KEY)
    assert welcome["you"]["name"] == "Ana"

    # Once Ana has left (both tabs), there is room for Ben.
    await ana.disconnect()
    await second_tab.disconnect()
    for _ in range(50):
        if not await database_sync_to_async(Participant.objects.filter(name="Ana", open_sockets__gt=0).exists)():
            break
        await asyncio.sleep(0.05)
    ben, welcome = await joined_guest(link.token, session.code, name="Ben", key="b" * 40)
    assert welcome["you"]["name"] == "Ben"
    await ben.disconnect()
    await director.disconnect()


async def test_a_socket_the_server_gives_up_on_behind_its_queued_frames_is_still_counted_out(monkeypatch) -> None:
    """The server cancels a socket whose disconnect waits too long behind what it queued (daphne: 10 s);
    the person must not stay listed as connected, nor the socket in the session's group."""
    given = await database_sync_to_async(team_session)()
    director, _ = await given.join(given.owner)
    stuck, _ = await given.join_guest(name="Stuck")
    await drain(director)

    async def busy(consumer: Any, content: dict[str, Any]) -> None:
        await asyncio.sleep(30)  # as if this frame were the first of thousands the socket had queued

    monkeypatch.setitem(consumers._HANDLERS, "follow", busy)
    await stuck.send_json_to({"type": "follow"})
    # The client goes; its disconnect waits behind the busy frame until the server gives up and cancels.
    await stuck.disconnect(timeout=0.5)

    seen = await next_of(director, "participants")
    assert [one["connected"] for one in seen["data"] if one["name"] == "Stuck"] == [False]
    gone = await database_sync_to_async(Participant.objects.get)(name="Stuck")
    assert gone.open_sockets == 0
    await hang_up(director)


async def test_a_socket_cancelled_while_it_joins_is_counted_out_once_the_join_is_in(monkeypatch) -> None:
    """Cancelled while its hello's join runs in the database (the join commits all the same): no one
    may stay counted connected for a socket that is gone."""
    given = await database_sync_to_async(team_session)()
    director, _ = await given.join(given.owner)
    await drain(director)
    joining = consumers._join
    join_started = threading.Event()

    def slow_join(*args: Any, **kwargs: Any) -> dict[str, Any]:
        join_started.set()
        time.sleep(0.8)  # the database is slow today
        return joining(*args, **kwargs)

    monkeypatch.setattr(consumers, "_join", slow_join)
    late, connected, _ = await guest_socket(given.link.token, given.code)
    assert connected
    await late.send_json_to({"type": "hello", "name": "Late", "reviewer_key": "l" * 40})
    # (A client gone before its hello is handled is never joined: the join must be under way here.)
    assert await asyncio.to_thread(join_started.wait, 5)
    await late.disconnect(timeout=0.2)  # gone, and the socket cancelled, before the join is in

    for _ in range(60):
        late_one = await database_sync_to_async(Participant.objects.filter(name="Late").first)()
        if late_one is not None and late_one.open_sockets == 0:
            break
        await asyncio.sleep(0.05)
    assert late_one is not None and late_one.open_sockets == 0
    await hang_up(director)


async def test_a_socket_flooding_a_process_too_busy_to_keep_up_is_closed_all_the_same(monkeypatch) -> None:
    """Counted as handled, a flood into a process that handles each frame slowly never goes over the
    rate (the server is the bottleneck): what waits unhandled tells, and the socket is closed."""
    given = await database_sync_to_async(team_session)()
    flooder, _ = await given.join_guest(name="Flood")
    answer = consumers.SessionConsumer._ping

    async def slow_ping(consumer: Any, content: dict[str, Any]) -> None:
        await asyncio.sleep(0.05)  # a process with a thousand other sockets to serve
        await answer(consumer, content)

    monkeypatch.setitem(consumers._HANDLERS, "clock.ping", slow_ping)
    for number in range(300):  # 300 pings at once, handled at most 20 a second
        await flooder.send_json_to({"type": "clock.ping", "id": number, "t0": 1})
    refused = await next_of(flooder, "error", timeout=10)
    assert refused["code"] == "flooding"
    await _closed_with(flooder, 4429)
    # Counted out on the session sockets' own threads, as the close goes: within moments, not in order
    # with this test's reads.
    for _ in range(60):
        flooded = await database_sync_to_async(Participant.objects.get)(name="Flood")
        if flooded.open_sockets == 0:
            break
        await asyncio.sleep(0.05)
    assert flooded.open_sockets == 0
