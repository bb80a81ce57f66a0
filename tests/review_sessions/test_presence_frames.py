"""Presence frames are coalesced per socket: a burst of joins reaches a page as a few whole lists, the
newest last, instead of one list per join (`review_sessions.presence`)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from review_sessions.models import ReviewSession
from review_sessions.presence import LatestWins
from review_sessions.services import session_start_by_guest
from reviews.models import ShareLink
from tests.factories import ShareLinkFactory
from tests.review_sessions.sockets import GUEST_KEY, drain, guest_socket, joined_guest, next_of

JOINS = 24


def _guest_session() -> tuple[ShareLink, ReviewSession]:
    link = ShareLinkFactory(permission="comment", allow_sessions=True)
    return link, session_start_by_guest(link=link, name="Ana", reviewer_key=GUEST_KEY)


@pytest.mark.django_db(transaction=True)
async def test_a_burst_of_joins_reaches_a_page_as_a_few_lists_the_last_one_listing_everyone() -> None:
    link, session = await database_sync_to_async(_guest_session)()
    presenter, _ = await joined_guest(link.token, session.code, name="Ana", key=GUEST_KEY)
    await drain(presenter)
    sockets = []
    for _ in range(JOINS):
        socket, connected, close_code = await guest_socket(link.token, session.code)
        assert connected, close_code
        sockets.append(socket)

    # Everyone says hello at once, as a meeting does when its link goes round.
    hellos = [
        {"type": "hello", "name": f"Guest {number}", "reviewer_key": f"{number:02d}" + "k" * 38}
        for number in range(JOINS)
    ]
    await asyncio.gather(*(socket.send_json_to(hello) for socket, hello in zip(sockets, hellos, strict=True)))
    for socket in sockets:
        await next_of(socket, "welcome")
    lists = [(await next_of(presenter, "participants", timeout=10))["data"]]
    while len(lists[-1]) < JOINS + 1 or not all(one["connected"] for one in lists[-1]):
        lists.append((await next_of(presenter, "participants", timeout=10))["data"])
    lists += [frame["data"] for frame in await drain(presenter) if frame["type"] == "participants"]

    assert 1 <= len(lists) <= JOINS // 2, len(lists)
    last = lists[-1]
    assert len(last) == JOINS + 1 and all(one["connected"] for one in last)
    assert {one["name"] for one in last} == {"Ana"} | {f"Guest {number}" for number in range(JOINS)}
    for socket in [presenter, *sockets]:
        await socket.disconnect()


async def test_the_first_value_goes_at_once_and_the_newest_of_a_burst_at_the_windows_end() -> None:
    sent: list[int] = []
    now = [0.0]

    async def send(value: int) -> None:
        sent.append(value)

    latest = LatestWins(send, window_s=0.05, clock=lambda: now[0])

    await latest.offer(1)
    assert sent == [1]
    now[0] = 0.01
    for value in (2, 3, 4):
        await latest.offer(value)
    assert sent == [1]  # within the window: kept, the newest replacing the older
    assert latest.timer is not None
    await latest.timer
    assert sent == [1, 4]

    now[0] = 1.0  # a quiet while later: at once again
    await latest.offer(5)
    assert sent == [1, 4, 5]
    await latest.offer(6)
    await latest.flush()  # a frame that must not overtake it is about to go
    assert sent == [1, 4, 5, 6]
    await latest.offer(7)
    await latest.close()  # the socket is closing
    await asyncio.sleep(0.1)
    assert sent == [1, 4, 5, 6]
