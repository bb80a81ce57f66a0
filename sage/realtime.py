"""The one way server code pushes live events to browsers (pipeline progress, balance changes…).

Events go to a user's group (`user.<id>`) or an object's group (`<kind>.<pk>`, e.g. `video.12`).
Browsers receive them on `/ws/events/` as `{"type": <event>, "data": {...}}`. Pushes are sent after
the current transaction commits, so a browser never sees a state that was rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# kind -> "may this user watch object <pk> of this kind?" (registered by each app's AppConfig.ready)
ObjectAuthorizer = Callable[[Any, str], bool]
_object_authorizers: dict[str, ObjectAuthorizer] = {}


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def object_group(kind: str, pk: int | str) -> str:
    return f"{kind}.{pk}"


def register_object_kind(kind: str, may_watch: ObjectAuthorizer) -> None:
    """Let browsers subscribe to `<kind>.<pk>` groups, for users `may_watch` allows."""
    _object_authorizers[kind] = may_watch


def object_authorizer(kind: str) -> ObjectAuthorizer | None:
    return _object_authorizers.get(kind)


def push_to_user(user_id: int, event: str, data: dict[str, Any]) -> None:
    _push_after_commit(user_group(user_id), event, data)


def push_to_object(kind: str, pk: int | str, event: str, data: dict[str, Any]) -> None:
    _push_after_commit(object_group(kind, pk), event, data)


def _push_after_commit(group: str, event: str, data: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send(group, event, data))


def _send(group: str, event: str, data: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "push.event", "event": event, "data": data})
    except Exception:
        # A live update is a convenience; losing one must never fail the work that produced it.
        logger.warning("could not push %s to %s", event, group, exc_info=True)
