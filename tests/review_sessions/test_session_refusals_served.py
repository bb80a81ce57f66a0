"""Session sockets as a served site answers them (daphne, not a test communicator): every refusal
is a close with 4404 before any frame, as docs/api.md says, never an HTTP answer to the handshake
(a browser sees a refused handshake only as 1006); and a frame over the server's 1 MiB cap gets the
documented `too_large` error on a connection that stays open, as a frame over 64 KB does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from channels.db import database_sync_to_async

from tests.clients import client_in
from tests.review_sessions.sockets import GUEST_KEY, TeamSession, team_session

pytestmark = pytest.mark.django_db(transaction=True)


async def _handshake(url: str, headers: dict[str, str]) -> tuple[str, Any]:
    """("closed", code) for a socket accepted then closed before any frame, ("http", status) for a
    refused handshake, ("open", None) for one that stays open."""
    try:
        async with websockets.connect(url, additional_headers=headers, open_timeout=20) as socket:
            try:
                await asyncio.wait_for(socket.recv(), 3)
            except websockets.ConnectionClosed as closed:
                return "closed", closed.rcvd.code if closed.rcvd else None
            except TimeoutError:
                return "open", None
            return "frame", None
    except websockets.InvalidStatus as refused:
        return "http", refused.response.status_code


async def test_every_refused_session_socket_is_closed_with_4404_not_refused_over_http(site_url: str) -> None:
    team: TeamSession = await database_sync_to_async(team_session)()
    ws = site_url.replace("http://", "ws://")
    cookie = await database_sync_to_async(lambda: client_in(team.editor, team.team).cookies["sessionid"].value)()
    member = {"Origin": site_url, "Cookie": f"sessionid={cookie}"}
    token = team.link.token  # type: ignore[attr-defined]  # the factory keeps the clear token

    answers = {
        "member": await _handshake(f"{ws}/ws/sessions/{team.code}/", member),
        "unknown code": await _handshake(f"{ws}/ws/sessions/nosuchsession/", member),
        "signed out": await _handshake(f"{ws}/ws/sessions/{team.code}/", {"Origin": site_url}),
        "bad link": await _handshake(f"{ws}/ws/sessions/{team.code}/?link=nosuchlink", {"Origin": site_url}),
        "another site's page": await _handshake(
            f"{ws}/ws/sessions/{team.code}/?link={token}", {"Origin": "https://elsewhere.example"}
        ),
        "no origin": await _handshake(f"{ws}/ws/sessions/{team.code}/", {"Cookie": f"sessionid={cookie}"}),
        "no code": await _handshake(f"{ws}/ws/sessions//", member),
        "no trailing slash": await _handshake(f"{ws}/ws/sessions/{team.code}", member),
    }

    assert answers.pop("member") == ("open", None)
    assert answers == dict.fromkeys(answers, ("closed", 4404))


async def test_a_frame_over_a_mebibyte_gets_too_large_and_the_session_socket_stays_open(site_url: str) -> None:
    team: TeamSession = await database_sync_to_async(team_session)()
    ws = site_url.replace("http://", "ws://")
    token = team.link.token  # type: ignore[attr-defined]

    async with websockets.connect(
        f"{ws}/ws/sessions/{team.code}/?link={token}", additional_headers={"Origin": site_url}, open_timeout=20
    ) as socket:
        await socket.send(json.dumps({"type": "hello", "name": "Ana", "reviewer_key": GUEST_KEY}))
        while json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] != "welcome":
            pass
        for size in (200_000, 3 * 1024 * 1024):  # over 64 KB, then over daphne's 1 MiB cap
            await socket.send(json.dumps({"type": "clock.ping", "id": 1, "t0": 0, "pad": "x" * size}))
            frame = json.loads(await asyncio.wait_for(socket.recv(), 20))
            while frame["type"] == "participants":
                frame = json.loads(await asyncio.wait_for(socket.recv(), 20))
            assert (frame["type"], frame["code"], frame["message"]) == (
                "error",
                "too_large",
                "A frame is at most 64 KB.",
            )

        await socket.send(json.dumps({"type": "clock.ping", "id": 7, "t0": 0}))
        pong = json.loads(await asyncio.wait_for(socket.recv(), 10))
        while pong["type"] == "participants":
            pong = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert (pong["type"], pong["id"]) == ("clock.pong", 7)
