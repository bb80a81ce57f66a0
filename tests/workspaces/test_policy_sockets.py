"""Issue 63: every socket action, as each actor, answers what the policy table says.

The sockets act as the API does: a conversation's questions and cancels are `chat.ask`, a live
session's presenting and drawing are `review_session.start`, following a team's object on the events
socket is `video.view`. Each is tried here as the owner, an admin, an editor, a commenter, a viewer,
a removed member, a member of another workspace and the link guests of each kind, and the answer is
checked against `workspaces.policy.decide` for that actor, not against a list written here.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from reviews.live import link_guest
from sage.asgi import application
from tests.clients import client_in
from tests.factories import (
    ConversationFactory,
    MembershipFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
    UserFactory,
    VideoFactory,
)
from tests.review_sessions.sockets import ORIGIN, drain, guest_socket, joined_guest, member_socket, next_of
from tests.review_sessions.sockets import team_session as a_team_session
from tests.socket_refusals import refused_with
from workspaces.models import Membership, Role, Workspace
from workspaces.policy import Actor, Member, may
from workspaces.services import membership_remove

pytestmark = pytest.mark.django_db(transaction=True)

MEMBER_ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.COMMENTER, Role.VIEWER]


def _member_of(team: Workspace, role: str) -> User:
    if role == Role.OWNER:
        return Membership.objects.get(workspace=team, role=Role.OWNER).user
    return MembershipFactory(workspace=team, role=role).user


def _actor(user: User, team: Workspace, role: str) -> Member:
    return Member(user_id=user.pk, workspace_id=team.pk, role=role)


def _removed(team: Workspace) -> User:
    """A former editor of `team`: removed by its owner, as the members page does."""
    member = MembershipFactory(workspace=team, role=Role.EDITOR)
    owner = Membership.objects.get(workspace=team, role=Role.OWNER)
    membership_remove(membership=owner, member=member)
    return member.user


async def _socket(path: str, user: User, workspace: Workspace | None) -> tuple[WebsocketCommunicator, bool]:
    client = await database_sync_to_async(client_in)(user, workspace)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket = WebsocketCommunicator(application, path, headers=[ORIGIN, (b"cookie", cookie)])
    connected, _ = await socket.connect(timeout=10)
    return socket, connected


# --- chat: `chat.ask` -----------------------------------------------------------------------------


async def _cancel_answer(socket: WebsocketCommunicator) -> str:
    """The code a `cancel` gets: `nothing_to_cancel` for who may ask (no answer is being written),
    `permission_denied` for who may not."""
    await socket.send_json_to({"type": "cancel"})
    frame = await socket.receive_json_from(timeout=10)
    assert frame["type"] == "error", frame
    return str(frame["code"])


@pytest.mark.parametrize("role", MEMBER_ROLES)
async def test_asking_on_a_conversations_socket_follows_the_policy_for_each_role(role: str) -> None:
    def setting_up() -> tuple[Workspace, User, int]:
        team = TeamWorkspaceFactory()
        user = _member_of(team, role)
        return team, user, ConversationFactory(owner=user, workspace=team).pk

    team, user, conversation_id = await database_sync_to_async(setting_up)()
    socket, connected = await _socket(f"/ws/chat/{conversation_id}/", user, team)
    assert connected  # every member reads their own conversation

    code = await _cancel_answer(socket)

    # Their own conversation: chat.ask is a row about one's own.
    allowed = may(_actor(user, team, role), "chat.ask", workspace_id=team.pk, made_by=user.pk)
    assert code == ("nothing_to_cancel" if allowed else "permission_denied"), role
    await socket.disconnect()


@pytest.mark.parametrize("who", ["removed member", "other workspace"])
async def test_a_conversation_of_a_team_is_not_found_by_who_is_not_in_it(who: str) -> None:
    def setting_up() -> tuple[User, int]:
        team = TeamWorkspaceFactory()
        if who == "removed member":
            member = MembershipFactory(workspace=team, role=Role.EDITOR)
            conversation = ConversationFactory(owner=member.user, workspace=team)
            membership_remove(membership=Membership.objects.get(workspace=team, role=Role.OWNER), member=member)
            return member.user, conversation.pk
        other = TeamWorkspaceFactory()
        stranger = Membership.objects.get(workspace=other, role=Role.OWNER).user
        return stranger, ConversationFactory(owner=_member_of(team, Role.EDITOR), workspace=team).pk

    user, conversation_id = await database_sync_to_async(setting_up)()
    socket, connected = await _socket(f"/ws/chat/{conversation_id}/", user, None)

    assert await refused_with(socket, connected) == 4404


# --- live sessions: `review_session.start` (presenting and drawing) ---------------------------------

DRAFT = {"type": "drawing.draft", "data": {"side": "a", "time": 1.0, "shapes": []}}


async def _draws(socket: WebsocketCommunicator) -> bool:
    """Whether a drawing draft from `socket` goes out (True) or is refused `follow_only` (False)."""
    await drain(socket)
    await socket.send_json_to(DRAFT)
    frames = await drain(socket)
    refusals = [frame for frame in frames if frame["type"] == "error"]
    assert all(frame["code"] == "follow_only" for frame in refusals), refusals
    return not refusals


@pytest.mark.parametrize("role", MEMBER_ROLES)
async def test_drawing_in_a_live_session_follows_the_policy_for_each_role(role: str) -> None:
    def setting_up() -> tuple[Any, User]:
        review = a_team_session()
        user = review.owner if role == Role.OWNER else MembershipFactory(workspace=review.team, role=role).user
        return review, user

    review, user = await database_sync_to_async(setting_up)()
    socket, _ = await review.join(user)

    drew = await _draws(socket)

    assert drew == may(_actor(user, review.team, role), "review_session.start", workspace_id=review.team.pk), role
    await socket.disconnect()


@pytest.mark.parametrize(
    ("permission", "allow_sessions"), [("view", False), ("comment", False), ("comment", True)], ids=str
)
async def test_a_link_guest_joins_and_draws_as_the_policy_says_for_their_link(
    permission: str, allow_sessions: bool
) -> None:
    def setting_up() -> tuple[Any, Any]:
        review = a_team_session()
        link = ShareLinkFactory(comparison=review.session.comparison, permission=permission, allow_sessions=True)
        review.session.link = link
        review.session.save(update_fields=["link"])
        if not allow_sessions:  # the link stops letting its guests in after the session named it
            type(link).objects.filter(pk=link.pk).update(allow_sessions=False)
            link.refresh_from_db()
        return review, link

    review, link = await database_sync_to_async(setting_up)()
    guest: Actor = await database_sync_to_async(link_guest)(link)
    allowed = may(guest, "review_session.start", workspace_id=review.team.pk)

    if not allowed:
        socket, connected, _ = await guest_socket(link.token, review.code)
        refused = await refused_with(socket, connected)
        if refused is None:  # let in to follow, then told it may not: not what the policy allows
            hello = await next_of(socket, "error")
            pytest.fail(f"a guest the policy refuses was let in: {hello}")
        assert refused == 4404
        return
    socket, _ = await joined_guest(link.token, review.code)
    assert await _draws(socket)
    await socket.disconnect()


@pytest.mark.parametrize("who", ["removed member", "other workspace"])
async def test_a_live_session_is_not_found_by_who_is_not_in_its_workspace(who: str) -> None:
    def setting_up() -> tuple[Any, User]:
        review = a_team_session()
        if who == "removed member":
            return review, _removed(review.team)
        return review, Membership.objects.get(workspace=TeamWorkspaceFactory(), role=Role.OWNER).user

    review, user = await database_sync_to_async(setting_up)()
    socket, connected, _ = await member_socket(user, review.team if who == "removed member" else None, review.code)

    assert await refused_with(socket, connected) == 4404


# --- the events socket: following an object is `video.view` -----------------------------------------


async def test_following_a_teams_video_on_the_events_socket_follows_the_policy_for_every_actor() -> None:
    def setting_up() -> tuple[Workspace, int, dict[str, tuple[User, Member | None]]]:
        team = TeamWorkspaceFactory()
        video = VideoFactory(owner=_member_of(team, Role.EDITOR), workspace=team, ready=True)
        actors: dict[str, tuple[User, Member | None]] = {}
        for role in MEMBER_ROLES:
            user = _member_of(team, role)
            actors[role] = (user, _actor(user, team, role))
        actors["removed member"] = (_removed(team), None)
        actors["other workspace"] = (UserFactory(), None)
        return team, video.pk, actors

    team, video_id, actors = await database_sync_to_async(setting_up)()
    for who, (user, actor) in actors.items():
        socket, connected = await _socket("/ws/events/", user, team if actor is not None else None)
        assert connected, who
        await socket.send_json_to({"type": "subscribe", "group": f"video.{video_id}"})
        frame = await socket.receive_json_from(timeout=10)
        allowed = actor is not None and may(actor, "video.view", workspace_id=team.pk)
        assert frame["type"] == ("subscribed" if allowed else "error"), (who, frame)
        if not allowed:
            assert frame["data"]["code"] == "not_found", who  # nothing said about another's video
        await socket.disconnect()
