"""Issue 65, on the chat socket: an editor asking in a team whose wallet is low gets an error frame
naming whom to ask, with no pack to buy."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.guests import Viewer
from billing.ledger import ledger_debit
from billing.models import Wallet
from chat.models import Conversation
from chat.services import conversation_create
from sage.asgi import application
from tests.factories import TeamWorkspaceFactory, UserFactory
from workspaces.current import SCOPE_KEY, membership_or_none
from workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def editors_conversation_in_a_drained_team() -> tuple[WebsocketCommunicator, Conversation]:
    olivia = UserFactory(display_name="Olivia")
    team = TeamWorkspaceFactory(name="Northlight", created_by=olivia)
    eve = UserFactory(display_name="Eve")
    Membership.objects.create(workspace=team, user=eve, role=Role.EDITOR)
    balance = Wallet.objects.get(workspace=team).balance
    ledger_debit(user=olivia, amount=balance, key="drain", memo="spent", workspace_id=team.pk)
    conversation = conversation_create(viewer=Viewer(user=eve, guest_id=None, workspace_id=team.pk))
    # A socket of a page acting in the team (its door reads the session's choice; here given).
    socket = WebsocketCommunicator(
        application, f"/ws/chat/{conversation.pk}/", headers=[(b"origin", b"http://localhost")]
    )
    socket.scope["user"] = eve
    socket.scope[SCOPE_KEY] = membership_or_none(eve, team.pk)
    return socket, conversation


async def test_an_editors_refusal_on_the_chat_socket_names_whom_to_ask(settings) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_sage", "whsec_sage"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_sage"
    socket, _conversation = await editors_conversation_in_a_drained_team()
    connected, _ = await socket.connect(timeout=10)
    assert connected

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frame = await socket.receive_json_from(timeout=10)

    assert frame["type"] == "error" and frame["code"] == "insufficient_tokens"
    assert "buy_url" not in frame and frame["ask"] == [{"name": "Olivia", "role": "owner"}]
    assert "ask Olivia (owner); they have been told." in frame["message"]
    await socket.disconnect()
