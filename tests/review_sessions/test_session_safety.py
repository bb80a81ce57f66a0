"""Who may be in a session, and leaving it at once when that ends: a link's guests only while the link
is live and allows sessions, members only while they are members; ended sessions refuse everyone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from reviews.models import ShareLink
from reviews.services import share_link_revoke, share_link_update
from tests.clients import client_in
from tests.factories import ShareLinkFactory
from tests.review_sessions.sockets import (
    GUEST_KEY,
    closed_at_once_with,
    guest_socket,
    member_socket,
    next_of,
    participants_when,
    team_session,
)
from workspaces.models import Membership
from workspaces.services import membership_remove

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_guest_joins_through_a_link_that_allows_sessions_and_no_other() -> None:
    review = await database_sync_to_async(team_session)()
    other = await database_sync_to_async(ShareLinkFactory)(comparison=review.link.comparison, permission="comment")

    refused, connected, _ = await guest_socket(other.token, review.code)
    # another link of the object, which the session does not let in
    assert connected and await closed_at_once_with(refused) == 4404
    guest, welcome = await review.join_guest(name="Client Ana")

    assert (welcome["you"]["name"], welcome["you"]["guest"], welcome["you"]["presenter"]) == ("Client Ana", True, False)
    assert welcome["session"]["guest_url"].endswith(f"/s/{review.link.token}/sessions/{review.code}/")
    await guest.send_json_to({"type": "hello", "name": "Again", "reviewer_key": GUEST_KEY})
    assert (await next_of(guest, "error"))["code"] == "hello_again"
    await guest.disconnect()


async def test_a_link_without_sessions_lets_no_guest_in() -> None:
    review = await database_sync_to_async(team_session)(guests=False)
    refused, connected, _ = await guest_socket(review.link.token, review.code)
    assert connected and await closed_at_once_with(refused) == 4404


async def test_revoking_the_link_sends_its_guests_out_and_the_members_stay() -> None:
    review = await database_sync_to_async(team_session)()
    member, _ = await review.join(review.owner)
    guest, _ = await review.join_guest()
    await participants_when(member, lambda everyone: any(one["guest"] and one["connected"] for one in everyone))

    await database_sync_to_async(share_link_revoke)(link=review.link)

    assert (await next_of(guest, "session.left"))["data"] == {"reason": "link_closed"}
    assert (await guest.receive_output(timeout=5))["code"] == 4403
    # the member's list shows the guest gone, and still lists him (his notes stay his)
    participants = await participants_when(
        member, lambda everyone: not any(one["connected"] for one in everyone if one["guest"])
    )
    assert [one["connected"] for one in participants if one["guest"]] == [False]
    await member.send_json_to({"type": "clock.ping", "id": 1, "t0": 0})
    assert (await next_of(member, "clock.pong"))["id"] == 1
    refused, connected, _ = await guest_socket(review.link.token, review.code)
    assert connected and await closed_at_once_with(refused) == 4404
    await member.disconnect()


async def test_turning_sessions_off_on_the_link_sends_its_guests_out() -> None:
    review = await database_sync_to_async(team_session)()
    guest, _ = await review.join_guest()

    await database_sync_to_async(share_link_update)(link=review.link, allow_sessions=False)

    assert (await next_of(guest, "session.left"))["data"] == {"reason": "sessions_off"}
    assert (await guest.receive_output(timeout=5))["code"] == 4403


async def test_a_member_removed_from_the_team_is_sent_out_at_once() -> None:
    review = await database_sync_to_async(team_session)()
    socket, _ = await review.join(review.editor)

    def remove() -> None:
        owner_membership = Membership.objects.get(workspace=review.team, user=review.owner)
        member = Membership.objects.get(workspace=review.team, user=review.editor)
        membership_remove(membership=owner_membership, member=member)

    await database_sync_to_async(remove)()

    assert (await next_of(socket, "session.left"))["data"] == {"reason": "membership_ended"}
    assert (await socket.receive_output(timeout=5))["code"] == 4403
    refused, connected, _ = await member_socket(review.editor, review.team, review.code)
    assert connected and await closed_at_once_with(refused) == 4404


async def test_ending_a_session_closes_every_socket_and_it_stays_readable() -> None:
    review = await database_sync_to_async(team_session)()
    member, _ = await review.join(review.editor)
    guest, _ = await review.join_guest()
    client = await database_sync_to_async(client_in)(review.owner, review.team)

    ended = await database_sync_to_async(client.post)(f"/api/v1/sessions/{review.code}/end")

    assert ended.status_code == 200
    assert (ended.json()["live"], ended.json()["end_reason"], ended.json()["ended_at"] is not None) == (
        False,
        "ended",
        True,
    )
    for socket in (member, guest):
        assert (await next_of(socket, "session.ended"))["data"] == {"reason": "ended"}
        assert (await socket.receive_output(timeout=5))["code"] == 4410
    refused, connected, _ = await member_socket(review.editor, review.team, review.code)
    assert connected and await closed_at_once_with(refused) == 4404
    read = await database_sync_to_async(client.get)(f"/api/v1/sessions/{review.code}")
    assert (read.status_code, read.json()["live"]) == (200, False)


async def test_only_the_presenter_the_starter_or_an_admin_ends_or_hands_over() -> None:
    review = await database_sync_to_async(team_session)()
    presenter, _ = await review.join(review.owner)
    _, editors = await review.join(review.editor)
    as_editor = await database_sync_to_async(client_in)(review.editor, review.team)

    refused = await database_sync_to_async(as_editor.post)(f"/api/v1/sessions/{review.code}/end")
    assert refused.status_code == 403
    handover = await database_sync_to_async(as_editor.post)(
        f"/api/v1/sessions/{review.code}/handover",
        {"participant": editors["you"]["id"]},
        content_type="application/json",
    )
    assert handover.status_code == 403

    as_owner = await database_sync_to_async(client_in)(review.owner, review.team)
    handed = await database_sync_to_async(as_owner.post)(
        f"/api/v1/sessions/{review.code}/handover",
        {"participant": editors["you"]["id"]},
        content_type="application/json",
    )
    assert handed.status_code == 200 and handed.json()["presenter"]["name"] == review.editor.name
    assert (await next_of(presenter, "presenter"))["data"]["id"] == editors["you"]["id"]
    await presenter.disconnect()


async def test_a_link_that_expires_sends_its_guests_out_when_it_does() -> None:
    review = await database_sync_to_async(team_session)()
    expires = timezone.now() + timedelta(seconds=2)
    await database_sync_to_async(ShareLink.objects.filter(pk=review.link.pk).update)(expires_at=expires)
    guest, _ = await review.join_guest()

    assert (await next_of(guest, "session.left", timeout=20))["data"] == {"reason": "link_closed"}
    assert timezone.now() >= expires  # not before
