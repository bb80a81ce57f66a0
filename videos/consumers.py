"""`/ws/videos/<id>/`: one video's progress, for its owner only."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from sage.consumers import CLOSE_UNAUTHENTICATED, JsonSocket
from sage.realtime import object_group
from videos.models import Video

CLOSE_NOT_FOUND = 4404


class VideoProgressConsumer(JsonSocket):  # listens only; whatever it is sent gets an error frame at most
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        video_id = int(self.scope["url_route"]["kwargs"]["video_id"])
        if not await database_sync_to_async(Video.objects.filter(pk=video_id, owner=user).exists)():
            await self.close(code=CLOSE_NOT_FOUND)  # not theirs, or no such video: the same answer
            return
        self.group = object_group("video", video_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def push_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": message["event"], "data": message["data"]})
