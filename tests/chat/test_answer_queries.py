"""How many queries one answer costs the web process, from the question to `done` over the socket,
counted on every thread (the consumer's ORM work runs on pool threads). Pinned so it cannot grow
unnoticed: each query is Python under the web process's one interpreter lock, and fifty questions
at once queue behind each other's."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db.backends.utils import CursorWrapper

from tests.chat.helpers import cooking_conversation, frames_until_done, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def every_query(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL of every query run meanwhile, on any thread."""
    statements: list[str] = []
    lock = threading.Lock()
    execute: Callable[..., Any] = CursorWrapper.execute
    executemany: Callable[..., Any] = CursorWrapper.executemany

    def counted_execute(self: CursorWrapper, sql: str, params: Any = None) -> Any:
        with lock:
            statements.append(sql)
        return execute(self, sql, params)

    def counted_executemany(self: CursorWrapper, sql: str, param_list: Any) -> Any:
        with lock:
            statements.append(sql)
        return executemany(self, sql, param_list)

    monkeypatch.setattr(CursorWrapper, "execute", counted_execute)
    monkeypatch.setattr(CursorWrapper, "executemany", counted_executemany)
    yield statements


async def test_an_answer_costs_a_fixed_handful_of_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)
    # The first question titles the conversation; the second (measured) one reads the history too.
    await socket.send_json_to({"type": "message", "text": "What are we baking?", "client_id": "q0"})
    await frames_until_done(socket)

    with every_query(monkeypatch) as statements:
        await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
        frames = await frames_until_done(socket)

    assert frames[-1]["message"]["status"] == "complete"
    # Paying (quota and hold), the two messages, retrieval, completing and settling, the question's
    # vector and the owner's allowance: 6 of the 12 are billing's (paying 3, settling 2, the
    # allowance 1). 42 before the replay check became the question's unique constraint, the history
    # went unread for quotes, the answer's vector was averaged in the database and the allowance
    # stopped looking up the conversation and its owner; 36 before paying became one step (one
    # wallet lock for quota and hold, no savepoints, no replay checks for keys the answer's own
    # transaction made); 29 before that step became three statements of its own SQL; 24 before
    # settling became two (it was eight, a savepoint's two among them); 18 before completing the
    # answer became one statement (it was three: the lock with its hold, the save, the question's vector)
    # and the allowance one (it was two); 15 before the question, the answer and what they change in
    # the conversation became three statements (they were six, "one answer at a time" among them).
    # 14 since retrieval searches by words beside meaning (the question's key words parsed by
    # Postgres, then the full-text search: two statements more than the vector search alone).
    assert len(statements) <= 14, "\n".join(sql[:120] for sql in statements)
    await socket.disconnect()
