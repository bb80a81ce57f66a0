"""An answer that finds nothing in the video ("nothing said in the video answers this") costs
nothing: its hold is released, not settled, by the extractive backend and by a language model."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from billing.models import Hold, LedgerEntry, Wallet
from billing.prices import chat_answer_price
from chat.answering import NO_ANSWER, NOT_ANSWERED, NOTHING_FOUND, answers_the_question
from chat.models import Conversation, Message
from tests.chat.helpers import cooking_conversation, frames_until_done, open_socket
from tests.chat.test_answer_queries import every_query
from tests.gemini_stub import GeminiReply, gemini_stub_fixture  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def balance_of(user) -> int:
    return Wallet.objects.get(user=user).balance


@database_sync_to_async
def answer_of(conversation: Conversation) -> Message:
    return Message.objects.select_related("hold").get(conversation=conversation, role=Message.Role.ASSISTANT)


@database_sync_to_async
def ledger_kinds(user) -> list[str]:
    return list(LedgerEntry.objects.filter(wallet__user=user).order_by("pk").values_list("kind", flat=True))


async def ask(conversation: Conversation, owner, question: str) -> list[dict]:
    socket, _, _ = await open_socket(conversation.pk, user=owner)
    await socket.send_json_to({"type": "message", "text": question, "client_id": "q1"})
    frames = await frames_until_done(socket)
    await socket.disconnect()
    return frames


async def assert_free(owner, conversation: Conversation, frames: list[dict], balance_before: int) -> None:
    done = frames[-1]["message"]
    assert done["status"] == "complete" and done["cost"] == 0
    assert await balance_of(owner) == balance_before
    answer = await answer_of(conversation)
    assert answer.cost == 0
    assert answer.hold is not None and answer.hold.status == Hold.Status.RELEASED
    assert LedgerEntry.Kind.SETTLE not in await ledger_kinds(owner)


async def test_an_extractive_answer_that_finds_nothing_in_the_video_costs_nothing() -> None:
    owner, conversation = await cooking_conversation()
    balance_before = await balance_of(owner)

    frames = await ask(conversation, owner, "Who won the football world cup in 1998?")

    assert frames[-1]["message"]["content"] == NOT_ANSWERED
    await assert_free(owner, conversation, frames, balance_before)


async def test_a_models_nothing_in_the_video_answers_this_costs_nothing(gemini_stub) -> None:
    gemini_stub.reply(GeminiReply(chunks=["Nothing said in the video ", "answers this."]))
    owner, conversation = await cooking_conversation()
    balance_before = await balance_of(owner)

    frames = await ask(conversation, owner, "Who won the football world cup in 1998?")

    assert frames[-1]["message"]["content"] == NO_ANSWER
    assert NO_ANSWER in (gemini_stub.last.system or "")  # the model is told what to say
    await assert_free(owner, conversation, frames, balance_before)


async def test_a_models_answer_from_the_video_is_still_charged(gemini_stub) -> None:
    gemini_stub.reply(GeminiReply(chunks=["Preheat to ", "250 °C ", "[00:40]."]))
    owner, conversation = await cooking_conversation()
    balance_before = await balance_of(owner)

    frames = await ask(conversation, owner, "How hot should the oven be?")

    assert frames[-1]["message"]["cost"] == chat_answer_price() > 0
    assert await balance_of(owner) == balance_before - chat_answer_price()
    assert (await answer_of(conversation)).hold.status == Hold.Status.SETTLED


@pytest.mark.parametrize(
    ("answer", "answers"),
    [
        (NOT_ANSWERED, False),
        (NOTHING_FOUND, False),
        (NO_ANSWER, False),
        ("nothing said in the video answers this", False),
        ("**Nothing said in the video answers this.**\n", False),
        ("Nothing said in the video answers this, but the oven is preheated at [00:40].", True),
        ("Preheat to 250 °C [00:40].", True),
        ("The video does not say who won; it is about bread [00:00].", True),
    ],
)
def test_only_the_no_answer_outcome_is_free(answer: str, answers: bool) -> None:
    assert answers_the_question(answer) is answers


async def test_a_free_answer_costs_no_more_queries_than_a_paid_one(monkeypatch: pytest.MonkeyPatch) -> None:
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)
    await socket.send_json_to({"type": "message", "text": "What are we baking?", "client_id": "q0"})
    await frames_until_done(socket)

    # The answer quotes nothing, so a worker embeds it (eager here): not the web process's queries.
    monkeypatch.setattr("chat.tasks.embed_answer.delay", lambda answer_id: None)
    with every_query(monkeypatch) as statements:
        await socket.send_json_to({"type": "message", "text": "Who won the world cup in 1998?", "client_id": "q1"})
        frames = await frames_until_done(socket)

    assert frames[-1]["message"]["cost"] == 0
    # As test_answer_queries pins, and one more: a video's no-answer asks whether its screen is still read.
    assert len(statements) <= 15, "\n".join(sql[:120] for sql in statements)
    await socket.disconnect()
