"""Two web processes (daphne) serve one session: the presenter's socket on one, a guest's on the
other. The state lives in the database and frames cross through the Redis channel layer, so no
process is sticky to a session."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from django.test import Client

from devtools import processes
from tests.factories import ComparisonFactory, ReviewSessionFactory, ShareLinkFactory

FRAME_TIMEOUT = 10


async def _next(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=FRAME_TIMEOUT))
        if frame["type"] == kind:
            return frame


@pytest.mark.django_db(transaction=True)
def test_a_presenter_on_one_web_process_drives_a_guest_on_another(site_url: str) -> None:
    comparison = ComparisonFactory(refined=True)
    link = ShareLinkFactory(comparison=comparison, permission="comment", allow_sessions=True)
    session = ReviewSessionFactory(comparison=comparison, link=link)
    browser = Client()
    browser.force_login(comparison.owner)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"

    with processes.daphne_server() as other_url:
        member_url = site_url.replace("http://", "ws://") + f"/ws/sessions/{session.code}/"
        guest_url = other_url.replace("http://", "ws://") + f"/ws/sessions/{session.code}/?link={link.token}"

        async def review() -> tuple[dict[str, Any], dict[str, Any]]:
            headers = {"Cookie": cookie, "Origin": site_url}
            async with websockets.connect(member_url, additional_headers=headers) as presenter:
                await presenter.send(json.dumps({"type": "hello"}))
                welcome = (await _next(presenter, "welcome"))["data"]
                async with websockets.connect(guest_url, additional_headers={"Origin": other_url}) as guest:
                    await guest.send(json.dumps({"type": "hello", "name": "Ana", "reviewer_key": "k" * 40}))
                    await _next(guest, "welcome")
                    await _next(presenter, "participants")  # the guest is in: the presenter's process heard it
                    at = welcome["server_ms"]
                    state = {"playing": True, "position": 6.0, "rate": 1.0, "at": at, "seek": True}
                    await presenter.send(json.dumps({"type": "state", "data": state}))
                    followed = (await _next(guest, "state"))["data"]
                    await presenter.close()
                    away = (await _next(guest, "presenter.away"))["data"]["state"]
            return followed, away

        followed, away = asyncio.run(review())

    assert (followed["position"], followed["playing"], followed["seek"], followed["seq"]) == (6.0, True, True, 1)
    assert (away["playing"], away["seq"], away["position"] >= 6.0) == (False, 2, True)
