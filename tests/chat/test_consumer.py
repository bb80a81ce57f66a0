"""`/ws/chat/<id>/` over the real Redis channel layer: who may join, the order of frames, errors,
cancelling, and catching up after a reconnect."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from channels.db import database_sync_to_async

from accounts.guests import Viewer
from billing.models import Hold
from chat.models import Conversation, Message
from chat.services import conversation_create
from sage.gemini import GeminiError
from tests.chat.helpers import cooking_conversation, frames_until_done, open_socket
from tests.factories import COOKING, UserFactory
from tests.gemini_stub import GeminiReply, gemini_stub_fixture  # noqa: F401
from tests.socket_refusals import refused_with

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def messages_of(conversation: Conversation) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation).select_related("hold").order_by("pk"))


async def test_only_the_owner_may_join() -> None:
    owner, conversation = await cooking_conversation()
    stranger = await database_sync_to_async(UserFactory.create)()

    anonymous, anonymous_ok, _ = await open_socket(conversation.pk)
    stranger_socket, stranger_ok, _ = await open_socket(conversation.pk, user=stranger)
    guest, guest_ok, _ = await open_socket(conversation.pk, guest_id=uuid.uuid4())
    socket, owner_ok, _ = await open_socket(conversation.pk, user=owner)

    assert await refused_with(anonymous, anonymous_ok) == 4401
    assert await refused_with(stranger_socket, stranger_ok) == 4404
    assert await refused_with(guest, guest_ok) == 4404
    assert owner_ok
    await socket.disconnect()


async def test_a_trashed_conversation_cannot_be_joined() -> None:
    owner, conversation = await cooking_conversation()
    await database_sync_to_async(Conversation.objects.filter(pk=conversation.pk).update)(deleted_at="2020-01-01T00:00Z")

    refused, connected, _ = await open_socket(conversation.pk, user=owner)

    assert await refused_with(refused, connected) == 4404


async def test_an_extractive_answer_streams_after_the_saved_question_and_ends_with_citations() -> None:
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frames = await frames_until_done(socket)

    question, answer = frames[0]["message"], frames[1]["message"]
    assert [frames[0]["type"], frames[1]["type"]] == ["message", "message"]
    assert (question["role"], question["content"], question["client_id"]) == (
        "user",
        "How hot should the oven be?",
        "q1",
    )
    assert (answer["role"], answer["status"], answer["reply_to"]) == ("assistant", "streaming", question["id"])
    chunks = frames[2:-1]
    assert chunks and all(frame["type"] == "chunk" and frame["message_id"] == answer["id"] for frame in chunks)
    assert [frame["seq"] for frame in chunks] == list(range(1, len(chunks) + 1))
    done = frames[-1]["message"]
    assert done["status"] == "complete"
    assert done["content"] == "".join(frame["text"] for frame in chunks)
    assert "Extractive answer" in done["content"]
    assert "[00:40]" in done["content"]
    assert {"video_id": conversation.video_id, "start": 40.0, "end": 80.0, "text": COOKING[1][2]} in done["citations"]
    saved = await messages_of(conversation)
    assert saved[1].content == done["content"] and saved[1].status == Message.Status.COMPLETE
    assert saved[1].cost == 2 and saved[1].hold is not None and saved[1].hold.status == Hold.Status.SETTLED
    await socket.disconnect()


async def test_a_second_tab_of_the_same_conversation_sees_the_answer_stream_too() -> None:
    owner, conversation = await cooking_conversation()
    asking, _, _ = await open_socket(conversation.pk, user=owner)
    watching, _, _ = await open_socket(conversation.pk, user=owner)

    await asking.send_json_to({"type": "message", "text": "When do we slice the bread?", "client_id": "q1"})
    asked = await frames_until_done(asking)
    watched = await frames_until_done(watching)

    assert watched == asked
    await asking.disconnect()
    await watching.disconnect()


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ({"type": "message", "text": "   ", "client_id": "a"}, "empty"),
        ({"type": "message", "text": "x" * 2001, "client_id": "b"}, "too_long"),
        ({"type": "dance"}, "unknown"),
        ({"type": "cancel"}, "nothing_to_cancel"),
    ],
)
async def test_bad_requests_get_an_error_frame_with_a_clear_message(sent: dict, code: str) -> None:
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to(sent)
    frame = await socket.receive_json_from(timeout=10)

    assert frame["type"] == "error" and frame["code"] == code
    assert frame["message"]
    if code == "too_long":
        assert "at most 2000 characters" in frame["message"]
    assert await socket.receive_nothing(timeout=0.3)
    assert await messages_of(conversation) == []
    await socket.disconnect()


async def test_an_empty_quota_gets_an_error_frame_and_nothing_is_charged(settings) -> None:
    owner, conversation = await cooking_conversation()
    await database_sync_to_async(_use_up_quota)(owner)
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frame = await socket.receive_json_from(timeout=10)

    assert frame["type"] == "error" and frame["code"] == "quota_exceeded"
    assert "chat messages for today" in frame["message"]
    assert await messages_of(conversation) == []
    await socket.disconnect()


async def test_a_flood_of_questions_is_slowed_down_with_a_clear_error(settings) -> None:
    settings.CHAT_SOCKET_RATE_LIMIT = "2/min"
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    for number in range(2):
        await socket.send_json_to({"type": "message", "text": f"Oven, take {number}?", "client_id": f"q{number}"})
        assert (await frames_until_done(socket))[-1]["message"]["status"] == "complete"
    await socket.send_json_to({"type": "message", "text": "And again?", "client_id": "q2"})
    frame = await socket.receive_json_from(timeout=10)

    assert (frame["type"], frame["code"], frame["client_id"]) == ("error", "slow_down", "q2")
    assert "wait" in frame["message"]
    assert len(await messages_of(conversation)) == 4  # the two questions and their answers, no more
    await socket.disconnect()


def _use_up_quota(user) -> None:
    from billing.quota import quota_consume, quota_status

    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    for number in range(quota_status(viewer=viewer).limit):
        quota_consume(viewer=viewer, key=f"used-{number}")


async def test_an_empty_wallet_gets_an_insufficient_tokens_frame() -> None:
    owner, conversation = await cooking_conversation()

    @database_sync_to_async
    def empty_the_wallet() -> None:
        from billing.ledger import ledger_debit
        from billing.models import Wallet

        ledger_debit(user=owner, amount=Wallet.objects.get(user=owner).balance, key="spend-all", memo="test")

    await empty_the_wallet()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frame = await socket.receive_json_from(timeout=10)

    assert frame["type"] == "error" and frame["code"] == "insufficient_tokens"
    assert "needs 2 tokens" in frame["message"]
    await socket.disconnect()


async def test_a_gemini_answer_streams_piece_by_piece_with_its_citations(gemini_stub) -> None:
    gemini_stub.reply(GeminiReply(chunks=["Preheat to ", "250 °C ", "[00:40]."]))
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frames = await frames_until_done(socket)

    assert [frame["text"] for frame in frames if frame["type"] == "chunk"] == ["Preheat to ", "250 °C ", "[00:40]."]
    done = frames[-1]["message"]
    assert done["content"] == "Preheat to 250 °C [00:40]."
    assert done["citations"] == [{"video_id": conversation.video_id, "start": 40.0, "end": 80.0, "text": COOKING[1][2]}]
    request = gemini_stub.last
    assert request.stream
    assert "untrusted data" in (request.system or "")
    assert "[00:40]" in request.prompt and COOKING[1][2] in request.prompt
    await socket.disconnect()


class FailsMidAnswer:
    """A language model that writes two pieces at once, then fails (a dropped stream)."""

    name = "gemini"
    uses_history = True

    async def stream(self, **_: object) -> AsyncIterator[str]:
        yield "Preheat to "
        yield "250 °C "
        raise GeminiError("the stream was cut off")

    def quoted(self, evidence: object, *, question: str = "") -> list[object]:
        return []


async def test_an_llm_failing_mid_answer_keeps_what_it_wrote_and_refunds_it(monkeypatch) -> None:
    monkeypatch.setattr("chat.live.answer_backend", FailsMidAnswer)
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frames = await frames_until_done(socket)

    # The pieces that came before the failure are sent, in order, before the error.
    kinds = [frame["type"] for frame in frames]
    assert kinds == ["message", "message", "chunk", "chunk", "error", "done"], kinds
    assert [frame["text"] for frame in frames if frame["type"] == "chunk"] == ["Preheat to ", "250 °C "]
    answer = (await messages_of(conversation))[1]
    assert (answer.status, answer.content, answer.cost) == (Message.Status.ERROR, "Preheat to 250 °C ", 0)
    await socket.disconnect()


async def test_a_failing_llm_gets_an_error_frame_and_the_answer_is_refunded(gemini_stub) -> None:
    gemini_stub.reply(GeminiReply(status=400, error_message="bad request"))
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frames = await frames_until_done(socket)

    error = next(frame for frame in frames if frame["type"] == "error")
    assert error["code"] == "llm_failed" and "not charged" in error["message"]
    assert frames[-1]["message"]["status"] == "error"
    answer = (await messages_of(conversation))[1]
    assert answer.status == Message.Status.ERROR and answer.cost == 0
    assert answer.hold is not None and answer.hold.status == Hold.Status.RELEASED
    await socket.disconnect()


async def test_cancel_stops_the_answer_keeps_its_text_and_refunds_it(gemini_stub) -> None:
    gemini_stub.reply(GeminiReply(chunks=[f"word{n} " for n in range(40)], chunk_delay=0.1))
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "Tell me everything", "client_id": "q1"})
    await socket.receive_json_from(timeout=10)
    await socket.receive_json_from(timeout=10)
    first_chunk = await socket.receive_json_from(timeout=10)
    assert first_chunk.get("seq") == 1, first_chunk
    await socket.send_json_to({"type": "cancel"})
    frames = await frames_until_done(socket)

    done = frames[-1]["message"]
    assert done["status"] == "cancelled"
    assert done["content"].startswith("word0 ")
    assert len([frame for frame in frames if frame["type"] == "chunk"]) < 39
    answer = (await messages_of(conversation))[1]
    assert answer.status == Message.Status.CANCELLED and answer.hold.status == Hold.Status.RELEASED
    await socket.disconnect()


async def test_cancel_stops_a_model_that_has_stalled(gemini_stub) -> None:
    gemini_stub.reply(GeminiReply(chunks=["The oven ", "is hot."], chunk_delay=30))  # stalls after a piece
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    for _ in range(2):  # the question and the empty answer
        await socket.receive_json_from(timeout=10)
    assert (await socket.receive_json_from(timeout=10))["text"] == "The oven "
    await socket.send_json_to({"type": "cancel"})
    done = await socket.receive_json_from(timeout=5)  # long before the model's next piece

    assert done["type"] == "done"
    assert (done["message"]["status"], done["message"]["content"]) == ("cancelled", "The oven ")
    await socket.disconnect()


async def test_one_answer_at_a_time_per_conversation(gemini_stub) -> None:
    gemini_stub.reply(GeminiReply(chunks=["slow ", "answer"], chunk_delay=0.5))
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "First question", "client_id": "q1"})
    await socket.receive_json_from(timeout=10)
    await socket.receive_json_from(timeout=10)
    await socket.send_json_to({"type": "message", "text": "Second question", "client_id": "q2"})
    frames = await frames_until_done(socket)

    busy = [frame for frame in frames if frame["type"] == "error"]
    assert [(frame["code"], frame["client_id"]) for frame in busy] == [("busy", "q2")]
    assert (await messages_of(conversation))[0].content == "First question"
    assert len(await messages_of(conversation)) == 2
    await socket.disconnect()


async def test_a_reconnecting_client_gets_what_it_missed_including_the_live_rest(gemini_stub) -> None:
    pieces = [f"part{n} " for n in range(12)]
    gemini_stub.reply(GeminiReply(chunks=pieces, chunk_delay=0.15))
    owner, conversation = await cooking_conversation()
    first, _, _ = await open_socket(conversation.pk, user=owner)
    await first.send_json_to({"type": "message", "text": "Tell me everything", "client_id": "q1"})
    question = (await first.receive_json_from(timeout=10))["message"]
    answer = (await first.receive_json_from(timeout=10))["message"]
    got = [await first.receive_json_from(timeout=10) for _ in range(2)]
    assert [frame["seq"] for frame in got] == [1, 2]
    await first.disconnect()  # the connection drops mid-answer
    await asyncio.sleep(0.5)  # more pieces are written while nobody listens

    second, _, _ = await open_socket(conversation.pk, user=owner)
    await second.send_json_to({"type": "resume", "last_message_id": answer["id"], "last_seq": 2})
    rest = await frames_until_done(second)

    chunks = [frame for frame in rest if frame["type"] == "chunk"]
    assert [frame["seq"] for frame in chunks] == list(range(3, 13))  # nothing lost, repeated or reordered
    assert "".join(frame["text"] for frame in got + chunks) == "".join(pieces)
    assert rest[-1]["message"]["content"] == "".join(pieces)

    # A client that knew only the question gets the answer announced, then all of it.
    third, _, _ = await open_socket(conversation.pk, user=owner)
    await third.send_json_to({"type": "resume", "last_message_id": question["id"], "last_seq": 0})
    replay = await frames_until_done(third)
    assert [frame["type"] for frame in replay] == ["message", "done"]
    assert replay[-1]["message"]["content"] == "".join(pieces)
    await second.disconnect()
    await third.disconnect()


async def test_resending_a_client_id_replays_the_answer_and_charges_once() -> None:
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)
    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "same"})
    first = await frames_until_done(socket)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "same"})
    again = await frames_until_done(socket)

    assert [frame["type"] for frame in again] == ["message", "message", "done"]
    assert again[-1]["message"] == first[-1]["message"]
    assert len(await messages_of(conversation)) == 2

    @database_sync_to_async
    def debits() -> int:
        return Hold.objects.filter(wallet__user=owner).count()

    assert await debits() == 1
    await socket.disconnect()


async def test_a_guest_chats_in_their_own_conversation_only() -> None:
    guest_id = uuid.uuid4()
    conversation = await database_sync_to_async(conversation_create)(viewer=Viewer(user=None, guest_id=guest_id))

    other, other_ok, _ = await open_socket(conversation.pk, guest_id=uuid.uuid4())
    socket, connected, _ = await open_socket(conversation.pk, guest_id=guest_id)
    assert await refused_with(other, other_ok) == 4404
    assert connected
    await socket.send_json_to({"type": "message", "text": "What is in my library?", "client_id": "g1"})
    frames = await frames_until_done(socket)

    done = frames[-1]["message"]
    assert done["status"] == "complete" and done["cost"] == 0
    assert "no transcript to search" in done["content"]
    await socket.disconnect()


async def test_an_xss_payload_comes_back_as_the_same_plain_text() -> None:
    owner, conversation = await cooking_conversation()
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": payload, "client_id": "x"})
    frames = await frames_until_done(socket)

    # Stored and sent verbatim, never turned into markup here: the page inserts it as text.
    assert frames[0]["message"]["content"] == payload
    assert (await messages_of(conversation))[0].content == payload
    await socket.disconnect()


async def test_an_unexpected_failure_ends_the_answer_with_an_error_and_refunds_it(monkeypatch) -> None:
    import chat.live

    def broken_retrieval(**kwargs: object) -> list:
        raise RuntimeError("the index is gone")

    monkeypatch.setattr(chat.live, "retrieve", broken_retrieval)
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frames = await frames_until_done(socket)

    assert [frame["code"] for frame in frames if frame["type"] == "error"] == ["server_error"]
    assert frames[-1]["message"]["status"] == "error"
    answer = (await messages_of(conversation))[1]
    assert answer.hold is not None and answer.hold.status == Hold.Status.RELEASED
    await socket.disconnect()


async def test_a_busy_gemini_is_retried_and_the_socket_says_so_before_the_answer(gemini_stub, settings) -> None:
    settings.OUTSIDE_RETRY_ATTEMPTS = 3
    settings.OUTSIDE_RETRY_FIRST_WAIT_SECONDS = 0  # no real waiting in a test
    gemini_stub.queue(GeminiReply(status=429), GeminiReply(status=503), GeminiReply(chunks=["Preheat to ", "250 °C."]))
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frames = await frames_until_done(socket)

    answer_id = frames[1]["message"]["id"]
    kinds = [frame["type"] for frame in frames]
    assert kinds == ["message", "message", "retrying", "retrying", "chunk", "chunk", "done"]
    retrying = [frame for frame in frames if frame["type"] == "retrying"]
    assert [frame["message_id"] for frame in retrying] == [answer_id, answer_id]
    assert [frame["message"] for frame in retrying] == [
        "Gemini is busy; retrying now (try 2 of 3).",
        "Gemini is busy; retrying now (try 3 of 3).",
    ]
    assert frames[-1]["message"]["content"] == "Preheat to 250 °C."
    assert len(gemini_stub.requests) == 3
    await socket.disconnect()
