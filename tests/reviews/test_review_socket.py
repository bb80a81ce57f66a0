"""`/ws/shared/<token>/`: the shared page's live comments, link changes and closing, over the real
ASGI app and Redis channel layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from reviews.comments import comment_create_by_guest, comment_set_resolved
from reviews.models import ShareLink
from reviews.services import share_link_revoke, share_link_update, share_links_revoke
from sage.asgi import application
from tests.factories import ShareLinkFactory
from tests.socket_refusals import refused_with

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost")]
KEY = "k" * 40


async def open_socket(token: str) -> tuple[WebsocketCommunicator, bool, int | None]:
    communicator = WebsocketCommunicator(application, f"/ws/shared/{token}/", headers=ORIGIN)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def guest_socket(token: str) -> WebsocketCommunicator:
    communicator, connected, code = await open_socket(token)
    assert connected, code
    return communicator


def comment_on(link: ShareLink, body: str = "Too loud here"):
    return comment_create_by_guest(
        link=link, reviewer_key=KEY, body=body, author_name="Ana", side="b", start=2.0
    ).comment


async def test_a_guest_hears_its_links_comments_and_never_another_links() -> None:
    link = await database_sync_to_async(ShareLinkFactory)(permission="comment")
    other = await database_sync_to_async(ShareLinkFactory)(comparison=link.comparison, permission="comment")
    mine = await guest_socket(link.token)
    theirs = await guest_socket(other.token)

    made = await database_sync_to_async(comment_on)(link)

    frame = await mine.receive_json_from(timeout=5)
    assert frame["type"] == "comment.created"
    assert (frame["data"]["id"], frame["data"]["body"], frame["data"]["mine"]) == (made.pk, "Too loud here", False)
    assert "link_id" not in frame["data"]
    assert await theirs.receive_nothing(timeout=0.5)
    await mine.disconnect()
    await theirs.disconnect()


async def test_the_owner_hears_comments_on_their_events_socket_with_the_link() -> None:
    link = await database_sync_to_async(ShareLinkFactory)(permission="comment")
    owner = await database_sync_to_async(lambda: link.owner)()
    events = WebsocketCommunicator(application, "/ws/events/", headers=ORIGIN)
    events.scope["user"] = owner
    assert (await events.connect())[0]

    made = await database_sync_to_async(comment_on)(link)
    await database_sync_to_async(comment_set_resolved)(comment=made, resolved=True)

    created = await events.receive_json_from(timeout=5)
    updated = await events.receive_json_from(timeout=5)
    assert created["type"] == "comment.created"
    assert (created["data"]["link_id"], created["data"]["comparison_id"]) == (link.pk, link.comparison_id)
    assert updated["type"] == "comment.updated" and updated["data"]["resolved"] is True
    await events.disconnect()


async def test_revoking_closes_the_links_sockets_and_a_reconnect_is_refused() -> None:
    link = await database_sync_to_async(ShareLinkFactory)(permission="comment")
    socket = await guest_socket(link.token)

    await database_sync_to_async(share_link_revoke)(link=link)

    assert await socket.receive_json_from(timeout=5) == {"type": "link.closed"}
    assert (await socket.receive_output(timeout=5))["code"] == 4404
    refused, connected, _ = await open_socket(link.token)
    assert await refused_with(refused, connected) == 4404


async def test_operators_bulk_revoke_closes_sockets_too() -> None:
    link = await database_sync_to_async(ShareLinkFactory)()
    socket = await guest_socket(link.token)

    await database_sync_to_async(lambda: share_links_revoke(links=ShareLink.objects.filter(pk=link.pk)))()

    assert await socket.receive_json_from(timeout=5) == {"type": "link.closed"}


async def test_a_deleted_link_closes_its_sockets() -> None:
    link = await database_sync_to_async(ShareLinkFactory)()
    socket = await guest_socket(link.token)

    await database_sync_to_async(lambda: link.comparison.delete())()

    assert await socket.receive_json_from(timeout=5) == {"type": "link.closed"}


async def test_a_link_closes_its_sockets_when_it_expires() -> None:
    link = await database_sync_to_async(ShareLinkFactory)(expires_at=timezone.now() + timedelta(seconds=1))
    socket = await guest_socket(link.token)

    assert await socket.receive_nothing(timeout=0.3)
    assert await socket.receive_json_from(timeout=5) == {"type": "link.closed"}
    assert (await socket.receive_output(timeout=5))["code"] == 4404


async def test_turning_comments_off_tells_open_pages() -> None:
    link = await database_sync_to_async(ShareLinkFactory)(permission="comment")
    socket = await guest_socket(link.token)

    await database_sync_to_async(share_link_update)(link=link, permission="view")

    assert await socket.receive_json_from(timeout=5) == {
        "type": "link.updated",
        "data": {"can_comment": False, "can_set_status": False, "can_join_sessions": False},
    }
    await socket.disconnect()


async def test_unknown_and_locked_links_are_refused() -> None:
    locked = await database_sync_to_async(ShareLinkFactory)(password="secret")

    for token in ("not-a-token", locked.token):
        refused, connected, _ = await open_socket(token)
        assert await refused_with(refused, connected) == 4404


async def test_clients_may_not_send_anything() -> None:
    link = await database_sync_to_async(ShareLinkFactory)()
    socket = await guest_socket(link.token)

    await socket.send_json_to({"type": "comment", "body": "via socket"})

    frame = await socket.receive_json_from(timeout=5)
    assert frame["type"] == "error" and frame["code"] == "unknown"
    await socket.disconnect()
