"""Live events of share links: to the link's guests (`share-link.<pk>`, the shared page's socket,
`reviews.consumers`) and to the workspace's members (`/ws/events/`, `sage.realtime.push_to_workspace`).

Everything here is sent after the current transaction commits (`sage.realtime` defers it), so a
page never shows a comment that was rolled back, and a revoked link's sockets close only once the
revocation is stored (a reconnect then gets 404)."""

from __future__ import annotations

from typing import Any

from reviews.comment_presenters import comment_json
from reviews.models import Comment, ShareLink
from sage.realtime import object_group, push_to_object, push_to_workspace
from workspaces.policy import LinkGuest, may

LINK_KIND = "share-link"
# Every open page of a project's links, whichever link: told when videos leave the project.
PROJECT_LINKS_KIND = "shared-project"
COMMENT_EVENTS = ("comment.created", "comment.updated", "comment.deleted")
LINK_UPDATED = "link.updated"
LINK_CLOSED = "link.closed"
# Videos and comparisons a project's links no longer reach (moved out, deleted): their pages close.
# Only ever seen by the socket itself (`reviews.consumers`), never sent on to a page.
LEFT_PROJECT = "link.left_project"


def link_group(link_pk: int) -> str:
    return object_group(LINK_KIND, link_pk)


def project_links_group(project_id: int) -> str:
    return object_group(PROJECT_LINKS_KIND, project_id)


def link_guest(link: ShareLink, *, key_digest: str = "") -> LinkGuest:
    """The access policy's actor for whoever holds `link`, with their browser's reviewer-key digest."""
    flags = frozenset(flag for flag in ("allow_status", "allow_sessions") if getattr(link, flag))
    return LinkGuest(
        link_id=link.pk, workspace_id=link.workspace_id, permission=link.permission, flags=flags, key_digest=key_digest
    )


def _guest_may(link: ShareLink, action: str) -> bool:
    return may(link_guest(link), action, workspace_id=link.workspace_id)


def can_comment(link: ShareLink) -> bool:
    """Guests may comment: a link with the `comment` permission (`comment.create` in the policy)."""
    return _guest_may(link, "comment.create")


def can_set_status(link: ShareLink) -> bool:
    """Guests may set the review status (reviews.approvals): only with comments on, so turning
    comments off silences the link's guests altogether (`review_status.set` in the policy)."""
    return _guest_may(link, "review_status.set")


def can_join_sessions(link: ShareLink) -> bool:
    """Guests may join live review sessions (review_sessions): only with comments on
    (`review_session.start` in the policy), and never through a project's link (a session is about
    one object)."""
    return _guest_may(link, "review_session.start") and link.project_id is None


def push_comment(event: str, comment: Comment, *, workspace_id: int) -> None:
    """`event` (one of COMMENT_EVENTS) to the link's guests (a member's comment on no link: none) and
    to the workspace (every member's open page). Build the data before a delete: the pushes go after
    the commit, when the row is gone."""
    assert event in COMMENT_EVENTS
    owner_data = comment_json(comment, owner_view=True)
    if comment.link_id is not None:
        push_to_object(LINK_KIND, comment.link_id, event, comment_json(comment, owner_view=False))
    push_to_workspace(workspace_id, event, owner_data)


def push_link_updated(link: ShareLink) -> None:
    data: dict[str, Any] = {
        "can_comment": can_comment(link),
        "can_set_status": can_set_status(link),
        "can_join_sessions": can_join_sessions(link),
    }
    push_to_object(LINK_KIND, link.pk, LINK_UPDATED, data)


def push_link_closed(link_pk: int) -> None:
    """The link's open pages close (their sockets send `link.closed`, then close with 4404)."""
    push_to_object(LINK_KIND, link_pk, LINK_CLOSED, {})


def push_left_project(project_id: int, *, video_ids: list[int], comparison_ids: list[int]) -> None:
    """The pages of a project's links that show one of these close (`link.closed`, then 4404): they
    are no longer the links' to show."""
    data = {"videos": video_ids, "comparisons": comparison_ids}
    push_to_object(PROJECT_LINKS_KIND, project_id, LEFT_PROJECT, data)


def push_project_closed(project_id: int) -> None:
    """Every open page of the project's links closes (the project went to the trash)."""
    push_to_object(PROJECT_LINKS_KIND, project_id, LINK_CLOSED, {})
