"""Sockets answer bad frames with an error frame in the one error vocabulary and stay open; errors that
are not refusals (a database failure) are not turned into "not found"."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import DatabaseError

from accounts.guests import Viewer
from chat import selectors
from chat.services import conversation_create
from sage.asgi import application
from tests.chat.helpers import open_socket
from tests.factories import UserFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db(transaction=True)


async def events_socket(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://localhost")])
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@database_sync_to_async
def user_with_video() -> tuple[object, Video]:
    user = UserFactory()
    return user, VideoFactory(owner=user, title="Mine", status=Video.Status.READY)


@pytest.mark.parametrize("group", ["video.²", "video.３", "video.٣", "video.1\n", "video." + "9" * 400, "vidéo.1"])
async def test_a_group_that_is_not_ascii_kind_dot_id_gets_an_error_frame_and_the_socket_stays_open(group):
    user, video = await user_with_video()
    socket = await events_socket(user)

    await socket.send_json_to({"type": "subscribe", "group": group})
    refused = await socket.receive_json_from(timeout=5)
    await socket.send_json_to({"type": "subscribe", "group": f"video.{video.pk}"})
    accepted = await socket.receive_json_from(timeout=5)

    assert refused["type"] == "error"
    assert refused["data"]["code"] in {"invalid", "not_found"}
    assert refused["data"]["message"]
    assert accepted == {"type": "subscribed", "data": {"group": f"video.{video.pk}"}}
    await socket.disconnect()


async def test_a_stranger_s_video_is_not_found_on_the_events_socket():
    _, video = await user_with_video()
    stranger = await database_sync_to_async(UserFactory.create)()
    socket = await events_socket(stranger)

    await socket.send_json_to({"type": "subscribe", "group": f"video.{video.pk}"})

    frame = await socket.receive_json_from(timeout=5)
    assert (frame["type"], frame["data"]["code"]) == ("error", "not_found")
    await socket.disconnect()


@pytest.mark.parametrize("text", ["[" * 5000, "{not json", '"\\ud800"', '{"type": "subscribe", "group": 1e400}'])
async def test_a_frame_that_is_not_acceptable_json_gets_an_error_frame_on_the_events_socket(text):
    user, video = await user_with_video()
    socket = await events_socket(user)

    await socket.send_to(text_data=text)
    refused = await socket.receive_json_from(timeout=5)
    await socket.send_json_to({"type": "subscribe", "group": f"video.{video.pk}"})

    assert refused["type"] == "error"
    assert refused["data"]["code"] in {"parse_error", "invalid", "not_found"}
    assert (await socket.receive_json_from(timeout=5))["type"] == "subscribed"
    await socket.disconnect()


@database_sync_to_async
def my_conversation() -> tuple[object, int]:
    user = UserFactory()
    return user, conversation_create(
        viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    ).pk


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000,
        '{"type": "resume", "last_message_id": 1e400}',
        '{"type": "resume", "last_message_id": "²"}',
        '{"type": "message", "text": "\\ud800", "client_id": "q"}',
    ],
)
async def test_a_bad_chat_frame_gets_an_error_frame_and_the_socket_stays_open(text):
    user, conversation_id = await my_conversation()
    socket, connected, _ = await open_socket(conversation_id, user=user)
    assert connected

    await socket.send_to(text_data=text)
    refused = await socket.receive_json_from(timeout=5)
    await socket.send_json_to({"type": "cancel"})
    still_there = await socket.receive_json_from(timeout=5)

    assert refused["type"] == "error" and refused["code"] in {"parse_error", "invalid"}, refused
    assert (still_there["type"], still_there["code"]) == ("error", "nothing_to_cancel")
    await socket.disconnect()


async def test_a_database_error_while_joining_a_chat_is_not_reported_as_not_found(monkeypatch):
    user, conversation_id = await my_conversation()

    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("the database went away")

    monkeypatch.setattr(selectors, "conversation_get_for_viewer", broken)

    socket = WebsocketCommunicator(
        application, f"/ws/chat/{conversation_id}/", headers=[(b"origin", b"http://localhost")]
    )
    socket.scope["user"] = user

    # The consumer fails (the server closes with 1011 and logs it) instead of saying 4404, "no such chat".
    with pytest.raises(DatabaseError):
        await socket.connect(timeout=1)
