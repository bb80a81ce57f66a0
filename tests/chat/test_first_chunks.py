"""First chunks first: work after an answer's first chunk waits while other answers of the process are
being prepared, never for long, and every question (answered, refused or replayed) stops counting."""

from __future__ import annotations

import asyncio

import pytest

from chat import admission, first_chunks
from tests.chat.helpers import cooking_conversation, frames_until_done, open_socket


async def test_work_after_a_first_chunk_waits_until_no_answer_is_being_prepared() -> None:
    preparing = first_chunks.Preparing()
    waiting = asyncio.ensure_future(first_chunks.after_answers_being_prepared())

    await asyncio.sleep(0.05)
    assert not waiting.done()
    preparing.done()
    await asyncio.wait_for(waiting, timeout=5)
    assert first_chunks.preparing_count() == 0


async def test_done_counts_once_and_a_long_preparation_holds_others_back_only_for_a_while(monkeypatch) -> None:
    monkeypatch.setattr(first_chunks, "MAX_WAIT_SECONDS", 0.05)
    stuck, other = first_chunks.Preparing(), first_chunks.Preparing()
    other.done()
    other.done()
    assert first_chunks.preparing_count() == 1

    await asyncio.wait_for(first_chunks.after_answers_being_prepared(), timeout=5)  # gave up waiting
    assert first_chunks.preparing_count() == 1
    stuck.done()
    assert first_chunks.preparing_count() == 0


@pytest.mark.django_db(transaction=True)
async def test_answered_refused_and_replayed_questions_all_stop_counting_as_being_prepared() -> None:
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    assert (await frames_until_done(socket))[-1]["message"]["status"] == "complete"
    await socket.send_json_to({"type": "message", "text": "   ", "client_id": "q2"})  # refused: blank
    assert (await socket.receive_json_from(timeout=10))["type"] == "error"
    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    assert (await frames_until_done(socket))[-1]["message"]["status"] == "complete"  # the replay

    assert first_chunks.preparing_count() == 0
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_question_waiting_for_a_turn_does_not_hold_back_answers_under_way(settings) -> None:
    """Answers under way wait while others are being prepared; one that only waits for a free turn
    (the process is writing all it may) is not being prepared, and must not make them wait."""
    settings.CHAT_ANSWERS_RUNNING_PER_PROCESS = 1
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)
    every_turn = admission._process.turn()
    await every_turn.acquire()  # the process's only turn, taken by an answer under way
    try:
        await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
        await socket.receive_json_from(timeout=10)  # the question, saved and paid for
        await asyncio.sleep(0.2)
        assert first_chunks.preparing_count() == 0
    finally:
        every_turn.release()
    assert (await frames_until_done(socket))[-1]["message"]["status"] == "complete"  # its turn came
    await socket.disconnect()
