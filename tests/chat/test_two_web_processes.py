"""Two web processes (daphne) behind one Redis channel layer, as behind a load balancer: a
conversation open in two tabs that landed on different processes streams every answer to both,
once, in order, and a tab that reconnects to the other process catches up."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from django.test import Client

from accounts.guests import Viewer
from chat.services import conversation_create
from devtools.processes import daphne_process
from tests.factories import UserFactory, VideoFactory

pytestmark = pytest.mark.django_db(transaction=True)


def connect(url: str, conversation_id: int, cookie: str) -> Any:
    return websockets.connect(
        url.replace("http://", "ws://") + f"/ws/chat/{conversation_id}/",
        additional_headers={"Cookie": cookie, "Origin": url},
    )


async def frames_until_done(socket: Any) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=60))
        frames.append(frame)
        if frame["type"] == "done":
            return frames


def test_a_conversation_followed_from_two_web_processes_gets_every_answer_once_and_in_order() -> None:
    owner = UserFactory()
    video = VideoFactory(owner=owner, cooking=True)
    conversation = conversation_create(
        viewer=Viewer(user=owner, guest_id=None, workspace_id=owner.personal_workspace_id), video=video
    )
    client = Client()
    client.force_login(owner)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def talk(first: str, second: str) -> tuple[list[list[dict]], list[list[dict]], list[dict]]:
        asked: list[list[dict]] = []
        watched: list[list[dict]] = []
        async with connect(first, conversation.pk, cookie) as asking, connect(second, conversation.pk, cookie) as tab:
            for number, question in enumerate(["How hot should the oven be?", "When can I slice the bread?"]):
                await asking.send(json.dumps({"type": "message", "text": question, "client_id": f"q{number}"}))
                asked.append(await frames_until_done(asking))
                watched.append(await frames_until_done(tab))
        # A tab that was closed before the answer's end reconnects, to the other process, and resumes.
        last = asked[-1]
        answer_id = last[1]["message"]["id"]
        async with connect(second, conversation.pk, cookie) as reopened:
            await reopened.send(json.dumps({"type": "resume", "last_message_id": answer_id, "last_seq": 1}))
            resumed = await frames_until_done(reopened)
        return asked, watched, resumed

    with daphne_process() as (first_url, _first), daphne_process() as (second_url, _second):
        asked, watched, resumed = asyncio.run(talk(first_url, second_url))

    assert watched == asked  # the same frames, in the same order, none twice
    for frames in asked:
        chunks = [frame for frame in frames if frame["type"] == "chunk"]
        assert [frame["seq"] for frame in chunks] == list(range(1, len(chunks) + 1))
        assert frames[-1]["message"]["status"] == "complete"
        assert frames[-1]["message"]["content"] == "".join(frame["text"] for frame in chunks)
    # The finished answer after the first chunk: its `done`, with the whole text.
    assert [frame["type"] for frame in resumed] == ["done"]
    assert resumed[0]["message"] == asked[-1][-1]["message"]
