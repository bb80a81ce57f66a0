"""Session sockets opened as browsers open them: a member's with the session cookie of a signed-in
browser acting in a workspace, a guest's with the link's token, over the real ASGI app and Redis
channel layer."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from sage.asgi import application
from tests.clients import client_in
from workspaces.models import Workspace

ORIGIN = (b"origin", b"http://localhost")
GUEST_KEY = "g" * 40


def _cookie(user: User, workspace: Workspace | None) -> bytes:
    client = client_in(user, workspace)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def member_socket(
    user: User, workspace: Workspace | None, code: str
) -> tuple[WebsocketCommunicator, bool, int | None]:
    cookie = await database_sync_to_async(_cookie)(user, workspace)
    socket = WebsocketCommunicator(application, f"/ws/sessions/{code}/", headers=[ORIGIN, (b"cookie", cookie)])
    connected, close_code = await socket.connect()
    return socket, connected, close_code


async def guest_socket(token: str, code: str) -> tuple[WebsocketCommunicator, bool, int | None]:
    socket = WebsocketCommunicator(application, f"/ws/sessions/{code}/?link={token}", headers=[ORIGIN])
    connected, close_code = await socket.connect()
    return socket, connected, close_code


async def next_of(socket: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict[str, Any]:
    """The next frame of type `kind`, past any other (presence frames come with every join)."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def joined_member(user: User, workspace: Workspace | None, code: str) -> tuple[WebsocketCommunicator, dict]:
    """A member's socket that said hello, and its welcome."""
    socket, connected, close_code = await member_socket(user, workspace, code)
    assert connected, close_code
    await socket.send_json_to({"type": "hello"})
    return socket, (await next_of(socket, "welcome"))["data"]


async def joined_guest(
    token: str, code: str, name: str = "Ana", key: str = GUEST_KEY
) -> tuple[WebsocketCommunicator, dict]:
    socket, connected, close_code = await guest_socket(token, code)
    assert connected, close_code
    await socket.send_json_to({"type": "hello", "name": name, "reviewer_key": key})
    return socket, (await next_of(socket, "welcome"))["data"]


async def drain(socket: WebsocketCommunicator) -> None:
    """Read what the socket was sent until it is quiet (joins' presence frames), to watch what comes next."""
    while not await socket.receive_nothing(timeout=0.3):
        await socket.receive_json_from()
