"""Telling a person's open sockets that a membership ended (they close at once) or that its role
changed (they act by the new role at once: a presenter made viewer stops driving).

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


MEMBERSHIP_ROLE_CHANGED = "membership.role_changed"


def role_changed(user_id: int, workspace_id: int, role: str) -> None:
    """Tell `user_id`'s sockets that their role in `workspace_id` is now `role` (after the commit).
    The role is read again wherever it decides (each question, each presenter's frame); this makes
    what an open socket may do follow at once, and lets the page say so."""
    tell_user_sockets(user_id, MEMBERSHIP_ROLE_CHANGED, {"workspace_id": workspace_id, "role": role})
