"""`/ws/shared/<token>/`: a shared page's live events, for anyone holding a live link.

Server → client: `{"type": "comment.created"|"comment.updated"|"comment.deleted", "data": comment}`
(`mine` is false: the page knows the ids it made), `{"type": "link.updated", "data": {"can_comment",
"can_set_status", "can_join_sessions"}}`, `{"type": "review_status", "data": status}`
(`reviews.approvals`: a version's or a comparison's review status the page shows changed),
and `{"type": "link.closed"}` followed by a close with code 4404 when the link is revoked, deleted or
expires. Clients send nothing (anything sent gets an error frame).

The socket joins its link's group only (`share-link.<pk>`): a guest of one link never hears another
link's comments. A project's link's video or comparison page connects with `?video=<id>` or
`?comparison=<id>` (one of the project's; any other is refused with 4404) and hears only that one's
comments and status; when it leaves the project (moved out, deleted) or the project is trashed,
the page gets `link.closed` and the socket closes with 4404, as on revocation. The token is
resolved as an HTTP request's is (`reviews.access`), so a revoked, expired or locked link never
connects (closed with 4404).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from reviews.access import share_link_for_scope
from reviews.approvals import STATUS_EVENT
from reviews.live import COMMENT_EVENTS, LEFT_PROJECT, LINK_CLOSED, link_group, project_links_group
from reviews.models import ShareLink
from reviews.reach import link_target
from reviews.services import share_link_opened
from sage.consumers import JsonSocket
from sage.errors import ApplicationError, Invalid
from sage.socket_timers import call_at, cancel_timer
from videos.models import Comparison

CLOSE_NOT_FOUND = 4404


# What a project's link's page shows: ("video" or "comparison", its id).
Shown = tuple[str, int]


def _open_link(scope: dict[str, Any], token: str) -> tuple[ShareLink, Shown | None] | None:
    """The live link and, for a project's link's video or comparison page, what it keeps to
    (`?video=` or `?comparison=`; the project's own page asks for neither)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    asked = {kind: query[kind][0] for kind in ("video", "comparison") if kind in query}
    try:
        link = share_link_for_scope(scope, token)
        shown = link_target(link, **asked) if asked else None
    except ApplicationError:  # no such link, revoked, expired, a password never given, another object
        return None
    share_link_opened(link=link)
    if shown is None:
        return link, None
    return link, ("comparison" if isinstance(shown, Comparison) else "video", shown.pk)


def _about_another(message: dict[str, Any], shown: Shown) -> bool:
    """Whether a link's event is about something other than the page's object (a project's link
    carries the events of all its videos and comparisons; each page hears only its own)."""
    kind, pk = shown
    data = message.get("data") or {}
    if message["event"] in COMMENT_EVENTS:
        return bool(data.get(f"{kind}_id") != pk)
    if message["event"] == STATUS_EVENT:
        return bool(data.get("target") != kind or data.get("id") != pk)
    return False


class SharedLinkConsumer(JsonSocket):
    async def connect(self) -> None:
        token = str(self.scope["url_route"]["kwargs"]["token"])
        opened = await database_sync_to_async(_open_link)(self.scope, token)
        if opened is None:
            await self.refuse(CLOSE_NOT_FOUND)
            return
        link, self.shown = opened
        self.groups_joined = [link_group(link.pk)]
        if link.project_id is not None:
            self.groups_joined.append(project_links_group(link.project_id))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.expiry = call_at(link.expires_at, self._closed)

    async def _closed(self) -> None:
        await self.send_json({"type": LINK_CLOSED})
        await self.close(code=CLOSE_NOT_FOUND)

    async def disconnect(self, code: int) -> None:
        await cancel_timer(getattr(self, "expiry", None))
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_error(Invalid("This socket only sends; use the API to comment.", code="unknown"))

    async def push_event(self, message: dict[str, Any]) -> None:
        if message["event"] == LINK_CLOSED:
            await self._closed()
            return
        if message["event"] == LEFT_PROJECT:
            if self.shown is not None and self.shown[1] in message["data"].get(f"{self.shown[0]}s", []):
                await self._closed()  # moved out of the project or deleted: no longer the link's
            return
        if self.shown is not None and _about_another(message, self.shown):
            return
        await self.send_json({"type": message["event"], "data": message["data"]})
