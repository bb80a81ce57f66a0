"""A question is never left waiting for ever (issue 65): when something an answer waits on stops
answering without failing (an embedding child that is alive but stuck, a channel layer's PUBLISH on a
connection whose Redis went away unseen), the answer still ends within a bounded time, with a clear
error and a refund when its work is lost, and the next question is answered.

Before these bounds, both waits had none: the question's request got no byte until its client gave
up, while the web process sat idle (its one embedding batch, or the layer's lock, held by the stuck
wait, held every later question too)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from rest_framework.test import APIClient

from billing.models import Wallet
from chat import live
from tests.factories import UserFactory, VideoFactory
from videos.text_embedding.child import child_pids, stop_embedding_process
from videos.text_embedding.model import embed_query

pytestmark = pytest.mark.django_db(transaction=True)

# Far past the bounds these tests set (a few seconds): reaching it means the answer hung.
HANG_SECONDS = 120.0


def asking_client(user) -> tuple[APIClient, int]:
    client = APIClient()
    client.force_authenticate(user)
    video = VideoFactory(owner=user, cooking=True)
    return client, client.post("/api/v1/conversations", {"video": video.pk}, format="json").json()["id"]


def events_of(response) -> list[str]:
    """The answer's Server-Sent Events, read to the end; a stream that does not end is a failure."""

    async def read_all() -> bytes:
        return b"".join([part async for part in response.streaming_content])

    async def bounded() -> bytes:
        try:
            return await asyncio.wait_for(read_all(), HANG_SECONDS)
        except TimeoutError:
            raise AssertionError(f"the answer's stream sent nothing more for {HANG_SECONDS:g} s") from None

    text = async_to_sync(bounded)().decode()
    return [block.removeprefix("data: ") for block in text.split("\n\n") if block.strip()]


def ask(client: APIClient, conversation_id: int, client_id: str) -> list[str]:
    response = client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        {"text": "How hot should the oven be?", "client_id": client_id},
        format="json",
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 200, response.status_code  # an event stream begins with 200
    return events_of(response)


def final_message(events: list[str]) -> dict[str, Any]:
    assert events[-1] == "[DONE]", events
    message: dict[str, Any] = json.loads(events[-2])["message"]
    return message


@pytest.fixture
def embedding_child(settings) -> Iterator[None]:
    settings.TEXT_EMBEDDING_SUBPROCESS = True
    try:
        yield
    finally:
        stop_embedding_process()


def test_a_question_whose_embedding_child_is_stuck_ends_with_an_error_and_costs_nothing(
    embedding_child, settings
) -> None:
    user = UserFactory()
    client, conversation_id = asking_client(user)
    embed_query("warm up")  # the child runs, its model loaded (the default bound covers a slow load)
    [stuck] = child_pids()
    os.kill(stuck, signal.SIGSTOP)  # alive, reading nothing, answering nothing: a wait that never returns
    try:
        balance_before = Wallet.objects.get(user=user).balance
        settings.TEXT_EMBEDDING_CHILD_TIMEOUT_SECONDS = 3

        events = ask(client, conversation_id, "q1")

        failed = final_message(events)
        assert failed["status"] == "error" and "not charged" in failed["error"]
        assert any('"error"' in event for event in events[:-2])  # said in the stream, before its end
        assert Wallet.objects.get(user=user).balance == balance_before
        # The stuck child was replaced: the next question is answered (its new child loads the model).
        settings.TEXT_EMBEDDING_CHILD_TIMEOUT_SECONDS = 180
        answered = final_message(ask(client, conversation_id, "q2"))
        assert answered["status"] == "complete" and "[00:40]" in answered["content"]
        assert stuck not in child_pids()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stuck, signal.SIGKILL)


class StuckLayer:
    """A channel layer whose PUBLISH never comes back (its connection's Redis went away unseen)."""

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await asyncio.Event().wait()


def test_an_answer_whose_live_frames_cannot_be_published_is_still_written_and_ends(monkeypatch) -> None:
    user = UserFactory()
    client, conversation_id = asking_client(user)
    monkeypatch.setattr(live, "get_channel_layer", StuckLayer)
    monkeypatch.setattr(live, "PUSH_WAIT_SECONDS", 0.2, raising=False)  # each frame given up sooner: a shorter test

    answer = final_message(ask(client, conversation_id, "q1"))

    assert answer["status"] == "complete" and "[00:40]" in answer["content"]
