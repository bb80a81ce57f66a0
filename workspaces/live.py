"""Telling a person's open sockets that a membership ended, so they close at once.

The selectors already refuse a removed member's next request; a socket that stays open would still
receive the workspace's events. The sockets of an account listen on the group `sage.realtime.user_group(user_id)`
and close on a "membership.ended" message for the workspace they act in.
"""

from __future__ import annotations

from sage.realtime import tell_user_sockets

MEMBERSHIP_ENDED = "membership.ended"


def membership_ended(user_id: int, workspace_id: int) -> None:
    """Tell `user_id`'s sockets their membership of `workspace_id` ended (sent after the commit; a
    lost notice is logged, never fails the removal: every later request is refused anyway)."""
    tell_user_sockets(user_id, MEMBERSHIP_ENDED, {"workspace_id": workspace_id})
