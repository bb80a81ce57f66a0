"""`/ws/events/` and the push helper, over the real Redis channel layer."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from sage import realtime
from sage.asgi import application
from tests.factories import UserFactory
from tests.socket_refusals import refused_with

pytestmark = pytest.mark.django_db(transaction=True)


async def connect_as(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://localhost")])
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@pytest.fixture
def watchable_kind() -> Iterator[str]:
    """An object kind whose objects only user ids listed in the pk may watch ('7-8' → users 7 and 8)."""
    realtime.register_object_kind("thing", lambda member, pk: str(member.user_id) in pk.split("-"))
    yield "thing"
    realtime._object_authorizers.pop("thing", None)


async def test_anonymous_connections_are_closed() -> None:
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://localhost")])

    connected, _ = await communicator.connect()

    assert await refused_with(communicator, connected) == 4401


async def test_a_user_receives_events_pushed_to_them_and_not_those_of_others() -> None:
    alice, bob = await database_sync_to_async(UserFactory.create_batch)(2)
    alice_socket = await connect_as(alice)
    bob_socket = await connect_as(bob)

    await database_sync_to_async(realtime.push_to_user)(alice.pk, "balance", {"balance": 42})

    assert await alice_socket.receive_json_from(timeout=5) == {"type": "balance", "data": {"balance": 42}}
    assert await bob_socket.receive_nothing(timeout=0.5)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_pushes_arrive_while_the_shared_sync_thread_is_busy() -> None:
    """Sockets connecting look up their session and user on the process's one shared sync thread
    (Channels' middleware); frames to sockets already open must not queue behind that."""
    user = await database_sync_to_async(UserFactory.create)()
    socket = await connect_as(user)
    release = threading.Event()
    # Holds the shared thread, as a slow session lookup would (thread_sensitive, no request context).
    busy = asyncio.ensure_future(sync_to_async(release.wait, thread_sensitive=True)(30))
    try:
        await database_sync_to_async(realtime.push_to_user, thread_sensitive=False)(user.pk, "balance", {"balance": 7})

        assert await socket.receive_json_from(timeout=5) == {"type": "balance", "data": {"balance": 7}}
    finally:
        release.set()
        await busy
    await socket.disconnect()


async def test_nothing_is_pushed_for_a_transaction_that_rolls_back() -> None:
    user = await database_sync_to_async(UserFactory.create)()
    socket = await connect_as(user)

    @database_sync_to_async
    def push_then_fail() -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            realtime.push_to_user(user.pk, "balance", {"balance": 1})
            raise RuntimeError("the work failed")

    await push_then_fail()

    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_subscribing_to_an_object_group_needs_permission(watchable_kind: str) -> None:
    user = await database_sync_to_async(UserFactory.create)()
    socket = await connect_as(user)

    await socket.send_json_to({"type": "subscribe", "group": f"thing.{user.pk}-999"})
    assert await socket.receive_json_from(timeout=5) == {
        "type": "subscribed",
        "data": {"group": f"thing.{user.pk}-999"},
    }
    await socket.send_json_to({"type": "subscribe", "group": "thing.999"})
    refused = await socket.receive_json_from(timeout=5)
    assert refused["type"] == "error"
    assert refused["data"]["message"] == "Not found."

    await database_sync_to_async(realtime.push_to_object)("thing", "999", "progress", {"percent": 10})
    await database_sync_to_async(realtime.push_to_object)("thing", f"{user.pk}-999", "progress", {"percent": 50})

    assert await socket.receive_json_from(timeout=5) == {"type": "progress", "data": {"percent": 50}}
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_unknown_kinds_and_messages_get_an_error_frame() -> None:
    user = await database_sync_to_async(UserFactory.create)()
    socket = await connect_as(user)

    await socket.send_json_to({"type": "subscribe", "group": "nosuchkind.1"})
    assert (await socket.receive_json_from(timeout=5))["type"] == "error"
    await socket.send_json_to({"type": "dance"})
    assert (await socket.receive_json_from(timeout=5))["data"]["message"] == "Unknown message type."
    await socket.disconnect()


def test_a_real_socket_through_daphne_authenticates_with_the_session_cookie(site_url: str, client) -> None:
    user = UserFactory()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    ws_url = site_url.replace("http://", "ws://") + "/ws/events/"

    async def exchange() -> dict[str, object]:
        async with websockets.connect(ws_url, additional_headers={"Cookie": cookie, "Origin": site_url}) as socket:
            await asyncio.sleep(0.3)  # let the consumer join its group
            await database_sync_to_async(realtime.push_to_user)(user.pk, "balance", {"balance": 5})
            return json.loads(await asyncio.wait_for(socket.recv(), timeout=10))

    assert asyncio.run(exchange()) == {"type": "balance", "data": {"balance": 5}}


def test_a_socket_from_a_foreign_origin_is_refused(site_url: str, client) -> None:
    user = UserFactory()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    ws_url = site_url.replace("http://", "ws://") + "/ws/events/"

    async def attempt() -> None:
        async with websockets.connect(ws_url, additional_headers={"Cookie": cookie, "Origin": "https://evil.example"}):
            pass

    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        asyncio.run(attempt())
    assert refused.value.response.status_code == 403
