"""`/ws/events/`: the signed-in user's live events, plus object groups they may watch."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from sage.realtime import object_authorizer, object_group, user_group

CLOSE_UNAUTHENTICATED = 4401


class EventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.joined: set[str] = {user_group(user.pk)}
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", set()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "subscribe":
            await self.send_json({"type": "error", "data": {"message": "Unknown message type."}})
            return
        kind, _, pk = str(content.get("group", "")).partition(".")
        may_watch = object_authorizer(kind)
        allowed = bool(pk) and may_watch is not None and await database_sync_to_async(may_watch)(self.scope["user"], pk)
        if not allowed:
            # Same answer for "does not exist" and "not yours": nothing leaks about other users' objects.
            await self.send_json({"type": "error", "data": {"message": "Not found.", "group": content.get("group")}})
            return
        group = object_group(kind, pk)
        self.joined.add(group)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "subscribed", "data": {"group": group}})

    async def push_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": message["event"], "data": message["data"]})
