"""Issue 52, live: a team's open pages hear what happens in the team, and a removed member's sockets
close at once. Sockets open as browsers open them: with the session cookie of a signed-in browser
that chose the team in the header."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat.models import Message
from sage.asgi import application
from sage.consumers import CLOSE_MEMBERSHIP_ENDED
from tests.factories import ConversationFactory, MembershipFactory, TeamWorkspaceFactory, UserFactory, VideoFactory
from videos.models import Video
from videos.pipeline.progress import push_video
from workspaces.models import Membership, Role, Workspace
from workspaces.services import member_change_role, membership_remove

pytestmark = pytest.mark.django_db(transaction=True)


def _session_cookie(user: User, workspace: Workspace | None) -> bytes:
    client = Client()
    client.force_login(user)
    if workspace is not None:
        assert client.post(reverse("workspace-switch"), {"workspace": workspace.pk}).status_code == 302
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _events_socket(user: User, workspace: Workspace | None) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(_session_cookie)(user, workspace)
    socket = WebsocketCommunicator(
        application, "/ws/events/", headers=[(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )
    connected, _ = await socket.connect()
    assert connected
    return socket


def _team_of_three() -> tuple[Workspace, User, User, User]:
    team = TeamWorkspaceFactory()
    producer = Membership.objects.get(workspace=team, role=Role.OWNER).user
    editor = MembershipFactory(workspace=team, role=Role.EDITOR).user
    return team, producer, editor, UserFactory()


def _editor_uploads(editor: User, team: Workspace) -> Video:
    video = VideoFactory(owner=editor, workspace=team, title="Harbour cut v2", status=Video.Status.PROCESSING)
    push_video(video)  # what the pipeline sends as the video moves on
    return video


async def test_a_colleagues_new_video_reaches_every_member_page_in_the_team_and_nobody_else() -> None:
    team, producer, editor, stranger = await database_sync_to_async(_team_of_three)()
    in_team = await _events_socket(producer, team)
    producer_personal = await _events_socket(producer, None)  # another tab, in their personal workspace
    outsider = await _events_socket(stranger, None)

    video = await database_sync_to_async(_editor_uploads)(editor, team)

    event = await in_team.receive_json_from(timeout=10)
    assert (event["type"], event["data"]["id"], event["data"]["status"]) == ("video", video.pk, "processing")
    assert await producer_personal.receive_nothing(timeout=0.5)
    assert await outsider.receive_nothing(timeout=0.2)
    for socket in (in_team, producer_personal, outsider):
        await socket.disconnect()


async def test_a_removed_members_team_socket_is_told_and_closed_and_their_other_sockets_stay() -> None:
    team, _, editor, _ = await database_sync_to_async(_team_of_three)()
    in_team = await _events_socket(editor, team)
    personal = await _events_socket(editor, None)

    def remove_editor() -> None:
        owner = Membership.objects.get(workspace=team, role=Role.OWNER)
        membership_remove(membership=owner, member=Membership.objects.get(workspace=team, user=editor))

    await database_sync_to_async(remove_editor)()

    assert await in_team.receive_json_from(timeout=10) == {
        "type": "membership.ended",
        "data": {"workspace_id": team.pk},
    }
    assert (await in_team.receive_output(timeout=5))["code"] == CLOSE_MEMBERSHIP_ENDED
    # The tab in their personal workspace goes on hearing their own events.
    assert await personal.receive_nothing(timeout=0.5)
    await personal.disconnect()


async def test_a_member_whose_role_no_longer_reaches_cannot_ask_on_an_open_conversations_socket() -> None:
    def demoted_editor_with_a_conversation() -> tuple[Workspace, User, int]:
        team = TeamWorkspaceFactory()
        membership = MembershipFactory(workspace=team, role=Role.EDITOR)
        conversation = ConversationFactory(owner=membership.user, workspace=team)
        Membership.objects.filter(pk=membership.pk).update(role=Role.VIEWER)  # an admin made them a viewer
        return team, membership.user, conversation.pk

    team, viewer, conversation_id = await database_sync_to_async(demoted_editor_with_a_conversation)()
    cookie = await database_sync_to_async(_session_cookie)(viewer, team)
    socket = WebsocketCommunicator(
        application, f"/ws/chat/{conversation_id}/", headers=[(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )
    connected, _ = await socket.connect()
    assert connected  # they may still read what was said

    await socket.send_json_to({"type": "message", "text": "What changed in v2?", "client_id": "q-1"})

    refused = await socket.receive_json_from(timeout=10)
    assert (refused["type"], refused["code"], refused["client_id"]) == ("error", "permission_denied", "q-1")
    assert "editors" in refused["message"]
    assert not await database_sync_to_async(Message.objects.filter(conversation_id=conversation_id).exists)()
    await socket.disconnect()


async def test_a_removed_members_video_progress_socket_closes_and_hears_nothing_more() -> None:
    team, producer, editor, _ = await database_sync_to_async(_team_of_three)()
    video = await database_sync_to_async(_editor_uploads)(editor, team)
    cookie = await database_sync_to_async(_session_cookie)(producer, team)
    other = await database_sync_to_async(lambda: MembershipFactory(workspace=team, role=Role.VIEWER).user)()
    viewer_cookie = await database_sync_to_async(_session_cookie)(other, team)
    headers = [(b"origin", b"http://localhost")]
    owner_page = WebsocketCommunicator(application, f"/ws/videos/{video.pk}/", headers=[*headers, (b"cookie", cookie)])
    viewer_page = WebsocketCommunicator(
        application, f"/ws/videos/{video.pk}/", headers=[*headers, (b"cookie", viewer_cookie)]
    )
    assert (await owner_page.connect())[0] and (await viewer_page.connect())[0]

    def remove_viewer() -> None:
        owner = Membership.objects.get(workspace=team, role=Role.OWNER)
        membership_remove(membership=owner, member=Membership.objects.get(workspace=team, user=other))

    await database_sync_to_async(remove_viewer)()
    assert (await viewer_page.receive_output(timeout=10))["code"] == CLOSE_MEMBERSHIP_ENDED

    # The owner's page goes on hearing the video's progress, and only this video's.
    await database_sync_to_async(_editor_uploads)(editor, team)  # another video of the team
    await database_sync_to_async(lambda: push_video(Video.objects.get(pk=video.pk)))()
    heard = await owner_page.receive_json_from(timeout=10)
    assert (heard["type"], heard["data"]["id"]) == ("video", video.pk)
    assert await owner_page.receive_nothing(timeout=0.5)
    await owner_page.disconnect()


async def test_role_changes_reach_the_members_pages_in_that_workspace_only() -> None:
    team, producer, editor, _ = await database_sync_to_async(_team_of_three)()
    editor_page = await _events_socket(editor, team)
    producer_page = await _events_socket(producer, team)
    editor_elsewhere = await _events_socket(editor, None)

    def demote_then_promote() -> None:
        owner = Membership.objects.get(workspace=team, role=Role.OWNER)
        member = Membership.objects.get(workspace=team, user=editor)
        member_change_role(membership=owner, member=member, role=Role.VIEWER)
        member_change_role(membership=owner, member=member, role=Role.ADMIN)

    await database_sync_to_async(demote_then_promote)()

    told = [await editor_page.receive_json_from(timeout=10) for _ in range(2)]
    assert told == [
        {"type": "membership.role_changed", "data": {"workspace_id": team.pk, "role": "viewer"}},
        {"type": "membership.role_changed", "data": {"workspace_id": team.pk, "role": "admin"}},
    ]
    assert await editor_elsewhere.receive_nothing(timeout=0.3)  # a page in another workspace: not its news
    assert await producer_page.receive_nothing(timeout=0.2)  # the owner's own role did not change
    for socket in (editor_page, producer_page, editor_elsewhere):
        await socket.disconnect()
