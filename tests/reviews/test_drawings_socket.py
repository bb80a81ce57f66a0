"""Members' comments with drawings, live: on a link's thread they reach that link's guests; without a
link only the workspace's pages hear them. Every push carries the drawing."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from reviews.member_comments import comment_create_by_member
from sage.asgi import application
from tests.factories import ShareLinkFactory, member_in

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost")]
DRAWING = {"shapes": [{"tool": "arrow", "color": "#fb8c00", "width": 0.01, "from": [0.1, 0.1], "to": [0.4, 0.5]}]}


async def test_a_members_drawing_reaches_the_links_guests_only_when_put_on_the_link() -> None:
    link = await database_sync_to_async(ShareLinkFactory)(permission="comment")
    owner = await database_sync_to_async(lambda: link.owner)()
    comparison = await database_sync_to_async(lambda: link.comparison)()
    guests = WebsocketCommunicator(application, f"/ws/shared/{link.token}/", headers=ORIGIN)
    assert (await guests.connect())[0]
    members = WebsocketCommunicator(application, "/ws/events/", headers=ORIGIN)
    members.scope["user"] = owner
    assert (await members.connect())[0]

    def draw(**extra):
        return comment_create_by_member(
            member=member_in(owner), shared=comparison, side="a", start=1.0, drawing=DRAWING, **extra
        ).comment

    private = await database_sync_to_async(draw)()
    heard = await members.receive_json_from(timeout=5)
    assert heard["type"] == "comment.created" and heard["data"]["id"] == private.pk
    assert (heard["data"]["drawing"], heard["data"]["link_id"]) == (DRAWING, None)
    assert await guests.receive_nothing(timeout=0.5)

    shared = await database_sync_to_async(draw)(link_id=link.pk)
    to_guests = await guests.receive_json_from(timeout=5)
    assert to_guests["data"]["id"] == shared.pk and to_guests["data"]["drawing"] == DRAWING
    assert "has_still" in to_guests["data"]
    assert (await members.receive_json_from(timeout=5))["data"]["link_id"] == link.pk
    await guests.disconnect()
    await members.disconnect()
