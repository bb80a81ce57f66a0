"""Session sockets opened as browsers open them: a member's with the session cookie of a signed-in
browser acting in a workspace, a guest's with the link's token, over the real ASGI app and Redis
channel layer; and the team's session most tests open them on (`team_session`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from review_sessions.models import ReviewSession
from review_sessions.presence import PRESENCE_TICK_S, PRESENCE_WINDOW_S
from reviews.models import ShareLink
from sage.asgi import application
from tests.clients import client_in
from tests.factories import (
    ComparisonFactory,
    MembershipFactory,
    ReviewSessionFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
)
from workspaces.models import Membership, Role, Workspace

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


async def closed_at_once_with(socket: WebsocketCommunicator) -> int | None:
    """The code a refused session socket is closed with: it is accepted (a crowd's handshakes are
    answered at once), then closed before any frame; None if something else came first."""
    output = await socket.receive_output(timeout=5)
    return output.get("code") if output["type"] == "websocket.close" else None


async def next_of(socket: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict[str, Any]:
    """The next frame of type `kind`, past any other (presence frames come with every join)."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def next_of_within(socket: WebsocketCommunicator, kind: str, timeout: float) -> dict[str, Any] | None:
    """The next frame of type `kind` if one comes within `timeout`, else None. A timed-out read of
    the communicator cancels the application behind the socket; waiting on `receive_nothing` does
    not, so the socket stays usable after a None."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        if await socket.receive_nothing(timeout=left, interval=0.01):
            return None
        frame = await socket.receive_json_from()
        if frame["type"] == kind:
            return frame
    return None


async def participants_when(
    socket: WebsocketCommunicator, wanted: Callable[[list[dict[str, Any]]], bool], timeout: float = 5
) -> list[dict[str, Any]]:
    """The first participants list the socket is sent that `wanted` accepts. Presence is coalesced
    (up to a window and a tick late), so waiting for quiet cannot tell that a join's list has come."""
    async with asyncio.timeout(timeout):
        while not wanted(participants := (await next_of(socket, "participants", timeout=timeout))["data"]):
            pass
    return participants


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


async def drain(socket: WebsocketCommunicator) -> list[dict[str, Any]]:
    """Read what the socket was sent until it is quiet (joins' presence frames), to watch what comes
    next; returns what it read."""
    frames = []
    # Quiet for longer than presence can be late (its source's tick, then the socket's window).
    while not await socket.receive_nothing(timeout=PRESENCE_TICK_S + PRESENCE_WINDOW_S + 0.3):
        frames.append(await socket.receive_json_from())
    return frames


async def hang_up(*sockets: WebsocketCommunicator) -> None:
    for socket in sockets:
        await socket.disconnect()


@dataclass(frozen=True)
class TeamSession:
    team: Workspace
    session: ReviewSession
    link: ShareLink  # the comparison's; the session lets its guests in unless made with guests=False
    owner: User  # started the session: its first presenter
    editor: User
    commenter: User
    viewer: User

    @property
    def code(self) -> str:
        return self.session.code

    async def join(self, user: User) -> tuple[WebsocketCommunicator, dict]:
        """`user`'s socket on the session, acting in the team, that said hello; and its welcome."""
        return await joined_member(user, self.team, self.code)

    async def join_guest(self, name: str = "Ana", key: str = GUEST_KEY) -> tuple[WebsocketCommunicator, dict]:
        token = self.link.token  # type: ignore[attr-defined]  # the factory keeps the clear token on the row
        return await joined_guest(token, self.code, name=name, key=key)


def team_session(*, guests: bool = True) -> TeamSession:
    """A team's session on a comparison of two 20 s / 23.4 s cuts with differences, started by the
    team's owner, with a member of each role below admin and a share link of the comparison that
    allows comments (and sessions, unless `guests` is off)."""
    team = TeamWorkspaceFactory()
    owner = Membership.objects.get(workspace=team, role=Role.OWNER).user
    comparison = ComparisonFactory(owner=owner, workspace=team, refined=True)
    link = ShareLinkFactory(comparison=comparison, permission="comment", allow_sessions=guests)
    session = ReviewSessionFactory(comparison=comparison, started_by=owner, link=link if guests else None)
    editor, commenter, viewer = (
        MembershipFactory(workspace=team, role=role).user for role in (Role.EDITOR, Role.COMMENTER, Role.VIEWER)
    )
    return TeamSession(team, session, link, owner, editor, commenter, viewer)
