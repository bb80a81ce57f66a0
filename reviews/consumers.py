"""`/ws/shared/<token>/`: a shared page's live events, for anyone holding a live link.

Server → client: `{"type": "comment.created"|"comment.updated"|"comment.deleted", "data": comment}`
(`mine` is false: the page knows the ids it made), `{"type": "link.updated", "data": {"can_comment",
"can_set_status"}}`, `{"type": "review_status", "data": status}` (`reviews.approvals`: a version's or a
comparison's review status the page shows changed),
and `{"type": "link.closed"}` followed by a close with code 4404 when the link is revoked, deleted or
expires. Clients send nothing (anything sent gets an error frame).

The socket joins its link's group only (`share-link.<pk>`): a guest of one link never hears another
link's comments. The token is resolved as an HTTP request's is (`reviews.access`), so a revoked,
expired or locked link never connects (closed with 4404).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from reviews.access import share_link_for_scope
from reviews.live import LINK_CLOSED, link_group
from reviews.models import ShareLink
from reviews.services import share_link_opened
from sage.consumers import JsonSocket
from sage.errors import ApplicationError, Invalid

CLOSE_NOT_FOUND = 4404


def _open_link(scope: dict[str, Any], token: str) -> ShareLink | None:
    try:
        link = share_link_for_scope(scope, token)
    except ApplicationError:  # no such link, revoked, expired, or a password this browser never gave
        return None
    share_link_opened(link=link)
    return link


class SharedLinkConsumer(JsonSocket):
    async def connect(self) -> None:
        token = str(self.scope["url_route"]["kwargs"]["token"])
        link = await database_sync_to_async(_open_link)(self.scope, token)
        if link is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = link_group(link.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.expiry: asyncio.Task[None] | None = None
        if link.expires_at is not None:
            delay = (link.expires_at - timezone.now()).total_seconds()
            self.expiry = asyncio.ensure_future(self._close_at_expiry(delay))

    async def _close_at_expiry(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))
        await self._closed()

    async def _closed(self) -> None:
        await self.send_json({"type": LINK_CLOSED})
        await self.close(code=CLOSE_NOT_FOUND)

    async def disconnect(self, code: int) -> None:
        expiry = getattr(self, "expiry", None)
        if expiry is not None and expiry is not asyncio.current_task():
            expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await expiry
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_error(Invalid("This socket only sends; use the API to comment.", code="unknown"))

    async def push_event(self, message: dict[str, Any]) -> None:
        if message["event"] == LINK_CLOSED:
            await self._closed()
            return
        await self.send_json({"type": message["event"], "data": message["data"]})
