"""A recut's progress reaches the comparison's watchers on `/ws/events/`, and only them."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from sage.asgi import application
from tests.factories import RecutJobFactory, UserFactory
from videos.conform.jobs import push_recut

pytestmark = pytest.mark.django_db(transaction=True)


async def connect_as(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://localhost")])
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_the_comparisons_watchers_get_its_recuts_progress_and_a_stranger_may_not_watch() -> None:
    job = await database_sync_to_async(RecutJobFactory)(percent=40, status="running")
    owner = await database_sync_to_async(lambda: job.comparison.owner)()
    group = f"comparison.{job.comparison_id}"
    watcher = await connect_as(owner)
    stranger = await connect_as(await database_sync_to_async(UserFactory)())

    await watcher.send_json_to({"type": "subscribe", "group": group})
    assert (await watcher.receive_json_from(timeout=5))["type"] == "subscribed"
    await stranger.send_json_to({"type": "subscribe", "group": group})
    assert (await stranger.receive_json_from(timeout=5))["data"]["code"] == "not_found"

    await database_sync_to_async(push_recut)(job)

    event = await watcher.receive_json_from(timeout=5)
    assert event["type"] == "recut"
    assert event["data"] | {"comparison": job.comparison_id} == {
        "id": job.pk, "comparison": job.comparison_id, "stem": "dialogue", "status": "running", "percent": 40,
        "error_message": "",
    }  # fmt: skip
    assert await stranger.receive_nothing(timeout=0.5)
    await watcher.disconnect()
    await stranger.disconnect()
