"""Gemini hanging, slow or failing (issue 49, part 4), through the real google-genai client against
the local stub: a hung or failing model ends the answer with a clear error and refunds it, a slow one
is waited for and charged once, and the next question after the fault is answered as usual."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from billing.models import Wallet
from billing.selectors import wallets_with_wrong_balance
from chat.models import Message
from tests.chat.helpers import cooking_conversation, frames_until_done, open_socket
from tests.gemini_stub import GeminiReply, gemini_stub_fixture  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

FAULTS = {
    "hanging": GeminiReply(text="too late", delay=30),  # past the client's timeout, every try
    "answering 500": GeminiReply(status=500, error_message="internal"),
    "slow": GeminiReply(text="Preheat to 250 °C.", delay=0.5),  # slower than usual, within the timeout
}


@pytest.fixture
def gemini_soon_given_up(settings) -> None:
    settings.GEMINI_TIMEOUT_SECONDS = 1
    settings.OUTSIDE_RETRY_ATTEMPTS = 2


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_gemini_fault_ends_the_answer_clearly_and_charges_only_answers(
    gemini_stub, gemini_soon_given_up, fault: str
) -> None:
    owner, conversation = await cooking_conversation()
    balance_before = await _balance(owner.pk)
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    gemini_stub.reply(FAULTS[fault])
    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    during = await frames_until_done(socket, timeout=60)
    gemini_stub.reply("Preheat to 250 °C [00:05].")
    await socket.send_json_to({"type": "message", "text": "And for how long?", "client_id": "q2"})
    after = await frames_until_done(socket, timeout=60)
    await socket.disconnect()

    answers = await _answers(conversation.pk)
    if fault == "slow":
        assert [answer.status for answer in answers] == [Message.Status.COMPLETE] * 2
    else:
        error = next(frame for frame in during if frame["type"] == "error")
        assert error["code"] == "llm_failed" and "not charged" in error["message"]
        assert [answer.status for answer in answers] == [Message.Status.ERROR, Message.Status.COMPLETE]
        assert answers[0].cost == 0
    assert after[-1]["message"]["status"] == "complete"
    assert await _balance(owner.pk) == balance_before - sum(answer.cost for answer in answers)
    assert await database_sync_to_async(lambda: list(wallets_with_wrong_balance()))() == []


@database_sync_to_async
def _balance(user_id: int) -> int:
    return Wallet.objects.get(user_id=user_id).balance


@database_sync_to_async
def _answers(conversation_id: int) -> list[Message]:
    return list(Message.objects.filter(conversation_id=conversation_id, role=Message.Role.ASSISTANT).order_by("pk"))
