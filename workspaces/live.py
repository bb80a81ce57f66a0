"""Telling a person's open sockets that a membership ended, so they close at once.

The selectors already refuse a removed member's next request; a socket that stays open would still
receive the workspace's events. The sockets of an account listen on the group `user_group(user_id)`
and close on a "membership.ended" message for the workspace they act in.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

MEMBERSHIP_ENDED = "membership.ended"


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def membership_ended(user_id: int, workspace_id: int) -> None:
    """Send `user_id`'s sockets the end of their membership of `workspace_id` (call after commit)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": MEMBERSHIP_ENDED, "workspace_id": workspace_id})
    except Exception:
        # The removal is done and every later request is refused through the selectors; a lost
        # notice must not undo it or fail the page that removed them.
        logger.warning("could not tell user %s's sockets that workspace %s ended", user_id, workspace_id, exc_info=True)
