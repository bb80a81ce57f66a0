"""The one way server code pushes live events to browsers (pipeline progress, balance changes…).

Events go to a user's group (`user.<id>`), a workspace's (`workspace.<id>`: every member's page acting
in it) or an object's group (`<kind>.<pk>`, e.g. `video.12`).
Browsers receive them on `/ws/events/` as `{"type": <event>, "data": {...}}`. Pushes are sent after
the current transaction commits, so a browser never sees a state that was rolled back.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeoutError
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# How long code serving a request waits for its push to be handed to Redis (a millisecond or two when
# all is well) before it gives the push up and goes on.
PUSH_WAIT_SECONDS = 5.0

# kind -> "may this member (the socket's workspace membership) watch object <pk> of this kind?"
# (registered by each app's AppConfig.ready)
ObjectAuthorizer = Callable[[Any, str], bool]
_object_authorizers: dict[str, ObjectAuthorizer] = {}


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def workspace_group(workspace_id: int) -> str:
    """Every open page of the workspace's members that acts in it: what happens to the workspace's
    videos, stacks and notes reaches them all."""
    return f"workspace.{workspace_id}"


def object_group(kind: str, pk: int | str) -> str:
    return f"{kind}.{pk}"


def register_object_kind(kind: str, may_watch: ObjectAuthorizer) -> None:
    """Let browsers subscribe to `<kind>.<pk>` groups, for users `may_watch` allows."""
    _object_authorizers[kind] = may_watch


def object_authorizer(kind: str) -> ObjectAuthorizer | None:
    return _object_authorizers.get(kind)


def push_to_user(user_id: int, event: str, data: dict[str, Any]) -> None:
    _push_after_commit(user_group(user_id), event, data)


def push_to_workspace(workspace_id: int, event: str, data: dict[str, Any]) -> None:
    _push_after_commit(workspace_group(workspace_id), event, data)


def push_to_object(kind: str, pk: int | str, event: str, data: dict[str, Any]) -> None:
    _push_after_commit(object_group(kind, pk), event, data)


def tell_user_sockets(user_id: int, message_type: str, fields: dict[str, Any]) -> None:
    """A message for the user's sockets themselves, not a page event: `message_type` names the
    consumers' handler (e.g. "membership.ended" closes the sockets acting in a workspace left)."""
    message = {"type": message_type, **fields}
    transaction.on_commit(lambda: _send_message(user_group(user_id), message, what=message_type))


def _push_after_commit(group: str, event: str, data: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send(group, event, data))


def _send(group: str, event: str, data: dict[str, Any]) -> None:
    _send_message(group, {"type": "push.event", "event": event, "data": data}, what=event)


def _send_message(group: str, message: dict[str, Any], *, what: str) -> None:
    event = what
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = _serving_loop()
        if loop is None:
            # A worker, a command, or a server whose loop has stopped: a loop of the push's own.
            async_to_sync(layer.group_send, force_new_loop=True)(group, message)
            return
        # Sync code serving a request: the push runs on the server's loop, as async_to_sync would
        # run it, but the wait is bounded. async_to_sync waits for ever when that loop stops before
        # running it (django/asgiref#545, open in 3.13): a server stopping mid-request then never
        # exits, waiting on this thread, until its supervisor kills it.
        sending = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        try:
            sending.result(timeout=PUSH_WAIT_SECONDS)
        except FutureTimeoutError:
            sending.cancel()
            logger.warning("gave up pushing %s to %s: the server's event loop did not run it", event, group)
    except Exception:
        # A live update is a convenience; losing one must never fail the work that produced it.
        logger.warning("could not push %s to %s", event, group, exc_info=True)


def _serving_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop this thread's sync code was called from (daphne's, for a sync view or
    a consumer's database call), as async_to_sync finds it; None outside one, or once it stopped."""
    local = SyncToAsync.threadlocal
    loop: asyncio.AbstractEventLoop | None = getattr(local, "main_event_loop", None)
    if loop is None or getattr(local, "main_event_loop_pid", None) != os.getpid() or not loop.is_running():
        return None
    return loop
