"""`/ws/videos/<id>/`: one video's progress, for the members of its workspace only."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from sage.consumers import CLOSE_MEMBERSHIP_ENDED, CLOSE_UNAUTHENTICATED, JsonSocket, socket_membership
from sage.realtime import object_group, user_group
from videos.selectors import videos_for_user

CLOSE_NOT_FOUND = 4404


def _workspace_of_my_video(scope: dict[str, Any], video_id: int) -> int | None:
    """The workspace of `video_id` when it is in the one the socket acts in (its page's), else None."""
    return videos_for_user(socket_membership(scope)).filter(pk=video_id).values_list("workspace_id", flat=True).first()


class VideoProgressConsumer(JsonSocket):  # listens only; whatever it is sent gets an error frame at most
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        video_id = int(self.scope["url_route"]["kwargs"]["video_id"])
        workspace_id = await database_sync_to_async(_workspace_of_my_video)(self.scope, video_id)
        if workspace_id is None:
            await self.refuse(CLOSE_NOT_FOUND)  # not theirs, or no such video: the same answer
            return
        self.video_id, self.workspace_id = video_id, workspace_id
        # The video's progress, and the member's own notices (a removal closes the socket at once).
        self.groups_joined = [object_group("video", video_id), user_group(user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def membership_ended(self, message: dict[str, Any]) -> None:
        """Removed from (or left) the video's workspace: its progress is no longer theirs to hear."""
        if message.get("workspace_id") == self.workspace_id:
            await self.close(code=CLOSE_MEMBERSHIP_ENDED)

    async def push_event(self, message: dict[str, Any]) -> None:
        """This video's progress only: the member's own group carries their other pages' events."""
        data = message.get("data") or {}
        if message["event"] == "video" and data.get("id") == self.video_id:
            await self.send_json({"type": message["event"], "data": data})
