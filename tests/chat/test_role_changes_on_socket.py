"""A chat socket follows the member's role while it is open: it was read once at connect, so an
editor made a viewer kept asking, billed to the team, until they reconnected. Each question (and a
cancel) now reads the role again: a demoted member's next question is refused saying why and costs
nothing; a removed member's is refused and the socket closes, even if the removal's notice was lost;
a viewer made editor may ask on the socket they already had open."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db.models import Sum

from accounts.models import User
from billing.models import Hold, LedgerEntry, Wallet
from chat.models import Message
from sage.asgi import application
from sage.consumers import CLOSE_MEMBERSHIP_ENDED
from tests.clients import client_in
from tests.factories import ConversationFactory, MembershipFactory, TeamWorkspaceFactory
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db(transaction=True)


def _editors_conversation() -> tuple[Workspace, Membership, int]:
    team = TeamWorkspaceFactory()
    member = MembershipFactory(workspace=team, role=Role.EDITOR)
    conversation = ConversationFactory(cooking=True, owner=member.user, workspace=team)
    return team, member, conversation.pk


def _team_spending(team: Workspace) -> tuple[int, int, int]:
    """The team wallet's balance, its holds and the sum of its ledger: what a charged question moves."""
    wallet = Wallet.objects.get(workspace=team)
    ledger = LedgerEntry.objects.filter(wallet=wallet).aggregate(total=Sum("amount"))["total"] or 0
    return wallet.balance, Hold.objects.filter(wallet=wallet).count(), ledger


async def _socket_in(team: Workspace, user: User, conversation_id: int) -> WebsocketCommunicator:
    """The conversation's socket as the member's browser, acting in the team, opens it."""

    def cookie() -> bytes:
        return f"sessionid={client_in(user, team).cookies['sessionid'].value}".encode()

    headers = [(b"origin", b"http://localhost"), (b"cookie", await database_sync_to_async(cookie)())]
    socket = WebsocketCommunicator(application, f"/ws/chat/{conversation_id}/", headers=headers)
    connected, code = await socket.connect(timeout=10)
    assert connected, code
    return socket


def _set_role(member: Membership, role: str) -> None:
    Membership.objects.filter(pk=member.pk).update(role=role)  # an admin's change, seen by no socket


async def test_an_editor_made_viewer_while_the_socket_is_open_is_refused_and_charged_nothing() -> None:
    team, member, conversation_id = await database_sync_to_async(_editors_conversation)()
    socket = await _socket_in(team, member.user, conversation_id)  # opened while an editor
    before = await database_sync_to_async(_team_spending)(team)
    await database_sync_to_async(_set_role)(member, Role.VIEWER)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q-1"})
    refused = await socket.receive_json_from(timeout=10)
    await socket.send_json_to({"type": "cancel"})
    cancel_refused = await socket.receive_json_from(timeout=10)

    assert (refused["type"], refused["code"], refused["client_id"]) == ("error", "permission_denied", "q-1")
    assert refused["message"].startswith("Only editors of this workspace can do this")
    assert (cancel_refused["type"], cancel_refused["code"]) == ("error", "permission_denied")
    assert not await database_sync_to_async(Message.objects.filter(conversation_id=conversation_id).exists)()
    assert await database_sync_to_async(_team_spending)(team) == before
    assert await socket.receive_nothing(timeout=0.3)  # still open: a viewer may read the conversation

    await database_sync_to_async(_set_role)(member, Role.EDITOR)  # and made editor again
    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q-2"})
    asked = await socket.receive_json_from(timeout=10)
    assert (asked["type"], asked["message"]["client_id"]) == ("message", "q-2")
    await socket.disconnect()


async def test_a_member_removed_while_the_socket_is_open_is_refused_and_the_socket_closes() -> None:
    team, member, conversation_id = await database_sync_to_async(_editors_conversation)()
    socket = await _socket_in(team, member.user, conversation_id)
    before = await database_sync_to_async(_team_spending)(team)
    # Removed with no notice reaching the socket (as when Redis dropped it): the question still asks.
    await database_sync_to_async(Membership.objects.filter(pk=member.pk).delete)()

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q-1"})
    refused = await socket.receive_json_from(timeout=10)

    assert (refused["type"], refused["code"], refused["client_id"]) == ("error", "membership_ended", "q-1")
    assert "no longer a member" in refused["message"]
    assert (await socket.receive_output(timeout=5))["code"] == CLOSE_MEMBERSHIP_ENDED
    assert not await database_sync_to_async(Message.objects.filter(conversation_id=conversation_id).exists)()
    assert await database_sync_to_async(_team_spending)(team) == before
