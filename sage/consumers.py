"""`/ws/events/`: the signed-in user's live events, plus object groups they may watch.

`JsonSocket` is the base of every JSON socket: frames are read as strictly as API bodies
(`sage.json_input`), and a refusal is an error frame with the API's code and message
(`sage.errors.ApplicationError`), on a connection that stays open.
"""

from __future__ import annotations

import re
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer

from sage import json_input
from sage.errors import ApplicationError, Invalid, MalformedJson, NotFound
from sage.realtime import object_authorizer, object_group, user_group, workspace_group
from workspaces.current import SCOPE_KEY, session_membership
from workspaces.models import Membership

CLOSE_UNAUTHENTICATED = 4401
CLOSE_MEMBERSHIP_ENDED = 4403
CLOSE_NOT_FOUND = 4404
# A `websocket.receive` carrying this key is a frame over the server's cap, read and thrown away
# (sage.daphne_sockets); its value is the cap in bytes.
FRAME_TOO_LARGE = "sage.frame_too_large"

# `<kind>.<id>`, ASCII only: `str.isdigit` and `int` accept other scripts' digits ("video.３" would be
# video 3 under a group name Channels refuses), and Channels' group names are ASCII anyway.
GROUP_NAME = re.compile(r"([a-z_]{1,30})\.([0-9A-Za-z-]{1,40})", re.ASCII)


class JsonSocket(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without the `close_old_connections` it runs before every message: a hop
        to the process's one shared sync thread, where every socket's session and user are also
        looked up when it connects (Channels' middleware). Each frame to each socket (every chunk of
        every answer) queued there behind the others and behind sockets connecting, and paid a
        thread hop of CPU (in a burst of fifty questions, ~3 % of the web process's). These sockets
        never use that thread's database connection: every query they make goes through
        `database_sync_to_async`, which closes stale connections around itself, on its own thread."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        """Channels' own, except for a frame over the server's cap, which arrives read and thrown
        away (sage.daphne_sockets): answered with `too_large` on a connection that stays open."""
        if (limit := message.get(FRAME_TOO_LARGE)) is not None:
            await self.frame_too_large(int(limit))
            return
        await super().websocket_receive(message)

    async def frame_too_large(self, limit_bytes: int) -> None:
        await self.send_error(Invalid(f"A frame is at most {limit_bytes // 1024:,} KB.", code="too_large"))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None:
            await self.send_error(MalformedJson("Send JSON as text frames."))
            return
        try:
            content = json_input.loads(text_data)
        except MalformedJson as error:
            await self.send_error(error)
            return
        await self.receive_json(content, **kwargs)

    async def send_error(self, error: ApplicationError, **extra: Any) -> None:
        await self.send_json(self.error_frame(error, **extra))

    def error_frame(self, error: ApplicationError, **extra: Any) -> dict[str, Any]:
        return {"type": "error", **error.as_frame(), **extra}

    async def membership_role_changed(self, message: dict[str, Any]) -> None:
        """The member's role in a workspace changed (workspaces.live): nothing to do for a socket that
        reads the role where it decides; the sockets that act by a role they keep say otherwise."""

    async def refuse(self, code: int) -> None:
        """Refuse the socket with `code` (4401, 4404): accepted, then closed before any frame. A
        handshake refused outright is an HTTP 403, which a browser sees only as 1006 and retries
        for ever; a close after the accept carries its code, which the page reads (stop, sign in)."""
        await self.accept()
        await self.close(code=code)


class RefusedSocket(AsyncWebsocketConsumer):
    """A socket refused before any of the site's consumers sees it (a path no socket has, a session
    socket from an origin the site does not serve): accepted, then closed with 4404 before any frame,
    so that the client reads a code (a refused handshake is only 1006 to a browser)."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)


def socket_membership(scope: dict[str, Any]) -> Membership:
    """The membership the socket acts through: its page's (the session's, as
    workspaces.current.WorkspaceMiddleware resolves it for pages), resolved once, at its first use
    (sync: a team's costs a query, so call it inside the socket's first database hop), and kept in
    the scope. A socket opened before a switch keeps its workspace until it reconnects, as its page
    does until reloaded."""
    membership: Membership | None = scope.get(SCOPE_KEY)
    if membership is None:
        membership = session_membership(scope["user"], scope.get("session"))
        scope[SCOPE_KEY] = membership
    return membership


class EventsConsumer(JsonSocket):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        membership = await database_sync_to_async(socket_membership)(self.scope)
        self.workspace_id: int = membership.workspace_id
        self.joined: set[str] = {user_group(user.pk), workspace_group(self.workspace_id)}
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", set()):
            await self.channel_layer.group_discard(group, self.channel_name)

    def error_frame(self, error: ApplicationError, **extra: Any) -> dict[str, Any]:
        # Events carry their fields under `data`, errors too.
        return {"type": "error", "data": {**error.as_frame(), **extra}}

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "subscribe":
            await self.send_error(Invalid("Unknown message type."))
            return
        requested = content.get("group")
        named = GROUP_NAME.fullmatch(requested) if isinstance(requested, str) else None
        if named is None:
            await self.send_error(Invalid("A group is <kind>.<id>, e.g. video.12."), group=requested)
            return
        kind, pk = named.groups()
        may_watch = object_authorizer(kind)
        if may_watch is None or not await database_sync_to_async(may_watch)(self.scope[SCOPE_KEY], pk):
            # Same answer for "does not exist" and "not yours": nothing leaks about other users' objects.
            await self.send_error(NotFound(), group=requested)
            return
        group = object_group(kind, pk)
        self.joined.add(group)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "subscribed", "data": {"group": group}})

    async def push_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": message["event"], "data": message["data"]})

    async def membership_role_changed(self, message: dict[str, Any]) -> None:
        """The page's member has another role in the workspace it acts in: the page is told (what it
        shows may be more or less than that role may do, until reloaded)."""
        if message.get("workspace_id") == self.workspace_id:
            data = {"workspace_id": self.workspace_id, "role": message.get("role")}
            await self.send_json({"type": "membership.role_changed", "data": data})

    async def membership_ended(self, message: dict[str, Any]) -> None:
        """The member was removed from (or left) a workspace: a page acting in it loses its live events
        at once, with a frame saying why (its next request finds the personal workspace)."""
        if message.get("workspace_id") == self.workspace_id:
            await self.send_json({"type": "membership.ended", "data": {"workspace_id": self.workspace_id}})
            await self.close(code=CLOSE_MEMBERSHIP_ENDED)
