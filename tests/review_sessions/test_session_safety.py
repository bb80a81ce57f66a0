"""Who may be in a session, and leaving it at once when that ends: a link's guests only while the link
is live and allows sessions, members only while they are members; ended sessions refuse everyone."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from review_sessions.models import ReviewSession
from reviews.models import ShareLink
from reviews.services import share_link_revoke, share_link_update
from tests.clients import client_in
from tests.factories import (
    ComparisonFactory,
    MembershipFactory,
    ReviewSessionFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
)
from tests.review_sessions.sockets import (
    GUEST_KEY,
    drain,
    guest_socket,
    joined_guest,
    joined_member,
    member_socket,
    next_of,
)
from workspaces.models import Membership, Role, Workspace
from workspaces.services import membership_remove

pytestmark = pytest.mark.django_db(transaction=True)


def _team_session_with_link(*, allow_sessions: bool = True) -> tuple[Workspace, ReviewSession, ShareLink, User, User]:
    team = TeamWorkspaceFactory()
    owner = Membership.objects.get(workspace=team, role=Role.OWNER).user
    comparison = ComparisonFactory(owner=owner, workspace=team)
    link = ShareLinkFactory(comparison=comparison, permission="comment", allow_sessions=allow_sessions)
    session = ReviewSessionFactory(comparison=comparison, started_by=owner, link=link if allow_sessions else None)
    editor = MembershipFactory(workspace=team, role=Role.EDITOR).user
    return team, session, link, owner, editor


async def test_a_guest_joins_through_a_link_that_allows_sessions_and_no_other() -> None:
    _, session, link, _, _ = await database_sync_to_async(_team_session_with_link)()
    other = await database_sync_to_async(ShareLinkFactory)(comparison=link.comparison, permission="comment")

    _, connected, code = await guest_socket(other.token, session.code)
    assert (connected, code) == (False, 4404)  # another link of the object, which the session does not let in
    guest, welcome = await joined_guest(link.token, session.code, name="Client Ana")

    assert (welcome["you"]["name"], welcome["you"]["guest"], welcome["you"]["presenter"]) == ("Client Ana", True, False)
    assert welcome["session"]["guest_url"].endswith(f"/s/{link.token}/sessions/{session.code}/")
    await guest.send_json_to({"type": "hello", "name": "Again", "reviewer_key": GUEST_KEY})
    assert (await next_of(guest, "error"))["code"] == "hello_again"
    await guest.disconnect()


async def test_a_link_without_sessions_lets_no_guest_in() -> None:
    _, session, link, _, _ = await database_sync_to_async(_team_session_with_link)(allow_sessions=False)
    _, connected, code = await guest_socket(link.token, session.code)
    assert (connected, code) == (False, 4404)


async def test_revoking_the_link_sends_its_guests_out_and_the_members_stay() -> None:
    team, session, link, owner, _ = await database_sync_to_async(_team_session_with_link)()
    member, _ = await joined_member(owner, team, session.code)
    guest, _ = await joined_guest(link.token, session.code)
    await drain(member)

    await database_sync_to_async(share_link_revoke)(link=link)

    assert (await next_of(guest, "session.left"))["data"] == {"reason": "link_closed"}
    assert (await guest.receive_output(timeout=5))["code"] == 4403
    participants = (await next_of(member, "participants"))["data"]
    assert [one["connected"] for one in participants if one["guest"]] == [False]
    await member.send_json_to({"type": "clock.ping", "id": 1, "t0": 0})
    assert (await next_of(member, "clock.pong"))["id"] == 1
    _, connected, code = await guest_socket(link.token, session.code)
    assert (connected, code) == (False, 4404)
    await member.disconnect()


async def test_turning_sessions_off_on_the_link_sends_its_guests_out() -> None:
    _, session, link, _, _ = await database_sync_to_async(_team_session_with_link)()
    guest, _ = await joined_guest(link.token, session.code)

    await database_sync_to_async(share_link_update)(link=link, allow_sessions=False)

    assert (await next_of(guest, "session.left"))["data"] == {"reason": "sessions_off"}
    assert (await guest.receive_output(timeout=5))["code"] == 4403


async def test_a_member_removed_from_the_team_is_sent_out_at_once() -> None:
    team, session, _, owner, editor = await database_sync_to_async(_team_session_with_link)()
    socket, _ = await joined_member(editor, team, session.code)

    def remove() -> None:
        owner_membership = Membership.objects.get(workspace=team, user=owner)
        membership_remove(membership=owner_membership, member=Membership.objects.get(workspace=team, user=editor))

    await database_sync_to_async(remove)()

    assert (await next_of(socket, "session.left"))["data"] == {"reason": "membership_ended"}
    assert (await socket.receive_output(timeout=5))["code"] == 4403
    _, connected, code = await member_socket(editor, team, session.code)
    assert (connected, code) == (False, 4404)


async def test_ending_a_session_closes_every_socket_and_it_stays_readable() -> None:
    team, session, link, owner, editor = await database_sync_to_async(_team_session_with_link)()
    member, _ = await joined_member(editor, team, session.code)
    guest, _ = await joined_guest(link.token, session.code)
    client = await database_sync_to_async(client_in)(owner, team)

    ended = await database_sync_to_async(client.post)(f"/api/v1/sessions/{session.code}/end")

    assert ended.status_code == 200
    assert (ended.json()["live"], ended.json()["end_reason"], ended.json()["ended_at"] is not None) == (
        False,
        "ended",
        True,
    )
    for socket in (member, guest):
        assert (await next_of(socket, "session.ended"))["data"] == {"reason": "ended"}
        assert (await socket.receive_output(timeout=5))["code"] == 4410
    _, connected, code = await member_socket(editor, team, session.code)
    assert (connected, code) == (False, 4404)
    read = await database_sync_to_async(client.get)(f"/api/v1/sessions/{session.code}")
    assert (read.status_code, read.json()["live"]) == (200, False)


async def test_only_the_presenter_the_starter_or_an_admin_ends_or_hands_over() -> None:
    team, session, _, owner, editor = await database_sync_to_async(_team_session_with_link)()
    presenter, _ = await joined_member(owner, team, session.code)
    _, editors = await joined_member(editor, team, session.code)
    as_editor = await database_sync_to_async(client_in)(editor, team)

    refused = await database_sync_to_async(as_editor.post)(f"/api/v1/sessions/{session.code}/end")
    assert refused.status_code == 403
    handover = await database_sync_to_async(as_editor.post)(
        f"/api/v1/sessions/{session.code}/handover",
        {"participant": editors["you"]["id"]},
        content_type="application/json",
    )
    assert handover.status_code == 403

    as_owner = await database_sync_to_async(client_in)(owner, team)
    handed = await database_sync_to_async(as_owner.post)(
        f"/api/v1/sessions/{session.code}/handover",
        {"participant": editors["you"]["id"]},
        content_type="application/json",
    )
    assert handed.status_code == 200 and handed.json()["presenter"]["name"] == editor.name
    assert (await next_of(presenter, "presenter"))["data"]["id"] == editors["you"]["id"]
    await presenter.disconnect()
