"""Guests, sockets and the cooking conversation for chat tests (its video and transcript:
tests.factories)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.http import HttpResponse

from accounts.guests import GUEST_COOKIE, guest_cookie_set
from accounts.models import User
from chat.models import Conversation
from sage.asgi import application
from tests.factories import ConversationFactory


@database_sync_to_async
def cooking_conversation() -> tuple[User, Conversation]:
    """A new user's conversation about the cooking video, for async tests."""
    conversation = ConversationFactory(cooking=True)
    return conversation.owner, conversation


def guest_cookie(guest_id: uuid.UUID) -> str:
    """The signed cookie value a browser of this guest holds."""
    response = HttpResponse()
    guest_cookie_set(response, guest_id, secure=False)
    return response.cookies[GUEST_COOKIE].value


async def open_socket(
    conversation_id: int, *, user: User | None = None, guest_id: uuid.UUID | None = None
) -> tuple[WebsocketCommunicator, bool, int | None]:
    headers = [(b"origin", b"http://localhost")]
    if guest_id is not None:
        headers.append((b"cookie", f"{GUEST_COOKIE}={guest_cookie(guest_id)}".encode()))
    communicator = WebsocketCommunicator(application, f"/ws/chat/{conversation_id}/", headers=headers)
    if user is not None:
        communicator.scope["user"] = user
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


async def frames_until_done(socket: WebsocketCommunicator, *, timeout: float = 20) -> list[dict]:
    """Every frame up to and including the first `done`."""
    frames: list[dict] = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] == "done":
            return frames


def in_own_connection(work: Callable[[], Any]) -> Any:
    """`work` on this thread's own database connection, closed after (for a worker thread)."""
    try:
        return work()
    finally:
        connection.close()


def wait_until_a_query_waits_on_a_lock(timeout: float = 10.0) -> None:
    """Return once some query on the test database is waiting for a row lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            (waiting,) = cursor.fetchone()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("no query came to wait on a lock")
