"""`/ws/videos/<id>/`: one video's progress, for the members of its workspace only."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from accounts.models import User
from sage.consumers import CLOSE_UNAUTHENTICATED, JsonSocket, act_in_session_workspace
from sage.realtime import object_group
from videos.selectors import videos_for_user

CLOSE_NOT_FOUND = 4404


def _in_my_workspace(user: User, video_id: int) -> bool:
    return videos_for_user(user).filter(pk=video_id).exists()


class VideoProgressConsumer(JsonSocket):  # listens only; whatever it is sent gets an error frame at most
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        video_id = int(self.scope["url_route"]["kwargs"]["video_id"])
        act_in_session_workspace(self.scope)
        if not await database_sync_to_async(_in_my_workspace)(user, video_id):
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
