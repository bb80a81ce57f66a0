"""Review statuses on the sockets (issue 52, approvals): which shared pages and whose events socket
hear a change, over the real ASGI app and Redis channel layer."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from reviews.approvals import review_status_set_by_guest, review_status_set_by_member
from sage.asgi import application
from tests.factories import ShareLinkFactory, UserFactory, VideoStackFactory, member_in
from tests.reviews.test_review_socket import ORIGIN, guest_socket
from videos.models import Video

pytestmark = pytest.mark.django_db(transaction=True)


def a_stack_with_links():
    owner = UserFactory(display_name="")
    stack = VideoStackFactory(owner=owner, versions=2)
    v1, v2 = Video.objects.filter(stack=stack).order_by("version")
    stack_link = ShareLinkFactory(stack=stack, permission="comment", allow_status=True)
    v1_link = ShareLinkFactory(video=v1, permission="comment")
    return owner, v2, stack_link, v1_link


async def test_a_versions_change_reaches_its_stacks_links_and_the_owner_but_not_other_videos_links() -> None:
    owner, v2, stack_link, v1_link = await database_sync_to_async(a_stack_with_links)()
    stack_page = await guest_socket(stack_link.token)
    v1_page = await guest_socket(v1_link.token)
    events = WebsocketCommunicator(application, "/ws/events/", headers=ORIGIN)
    events.scope["user"] = owner
    assert (await events.connect())[0]

    await database_sync_to_async(review_status_set_by_member)(
        member=member_in(owner), target=v2, status="changes_requested"
    )

    heard = await stack_page.receive_json_from(timeout=5)
    assert heard["type"] == "review_status"
    assert (heard["data"]["target"], heard["data"]["id"], heard["data"]["status"]) == (
        "video",
        v2.pk,
        "changes_requested",
    )
    # Guests read "Owner", not the first part of the owner's e-mail address; members read that.
    assert heard["data"]["changed_by"] == "Owner"
    owners = await events.receive_json_from(timeout=5)
    assert owners["type"] == "review_status" and owners["data"]["changed_by"] == owner.name
    assert await v1_page.receive_nothing(timeout=0.5)

    # The guest's own change comes back to their page with the name they gave.
    await database_sync_to_async(review_status_set_by_guest)(link=stack_link, status="approved", author_name="Bea")
    again = await stack_page.receive_json_from(timeout=5)
    assert (again["data"]["status"], again["data"]["changed_by"]) == ("approved", "Bea")
    for socket in (stack_page, v1_page, events):
        await socket.disconnect()
