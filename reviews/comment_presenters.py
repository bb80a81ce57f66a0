"""A comment as JSON: the one shape the guest API, the owner's API and both sockets send.

Guests get no `link_id`/`link_name` (a link's name is the owner's label for the reviewer, e.g.
"Client, round 2", not theirs to see); `mine` says the comment was made with the caller's reviewer
key, and is false on pushes (a page knows the ids it made). `drawing` is the shapes drawn over the
picture at `start` (`reviews.drawings`) or null; `has_still` says its PNG still can be had; `frame`
is the frame on screen at `start` on that side's video (`sage.timebase`), the one its link shows.
`can_delete` is the policy's answer (`comment.delete`, with who made it) for the one actor a
response is for; a push goes to many, so it has none (pages keep what they were told, and a
member's page answers for a comment it never fetched from `author_id`, members' view only)."""

from __future__ import annotations

from typing import Any

from reviews.models import Comment
from reviews.stills import has_still, still_video
from sage.timebase import Timebase
from videos.models import Video
from workspaces.policy import Actor, may


def comment_workspace_id(comment: Comment) -> int:
    """The workspace whose members see `comment`: its link's (a guest's), else its object's (a member's own)."""
    if comment.link is not None:
        return comment.link.workspace_id
    on = comment.comparison if comment.comparison is not None else comment.video
    assert on is not None  # the check constraint: one or the other
    return on.workspace_id


def comment_made_by(comment: Comment) -> int | str | None:
    """Who made `comment`, as the policy's `made_by` names them: a member's user id, else the digest
    of the reviewer key a guest made it with (None: neither, an account since deleted)."""
    return comment.author_id if comment.author_id is not None else (comment.author_key_digest or None)


def may_delete(actor: Actor, comment: Comment) -> bool:
    return may(actor, "comment.delete", workspace_id=comment_workspace_id(comment), made_by=comment_made_by(comment))


def comment_json(
    comment: Comment,
    *,
    owner_view: bool,
    key_digest: str = "",
    with_replies: bool = True,
    on_video: Video | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """`comment`'s fields; a top-level comment's `replies` come from `comment.replies` (prefetch them
    for lists: `reviews.selectors.COMMENT_THREADS`), oldest first. `on_video`: the side's video when
    the caller has it (a reply's is its parent's)."""
    video = on_video or still_video(comment)
    data: dict[str, Any] = {
        "id": comment.pk,
        "side": comment.side,
        "start": comment.start,
        "frame": (video.timebase if video is not None else Timebase.measured(None)).frame_at(comment.start),
        "end": comment.end,
        "body": comment.body,
        "author_name": comment.author_name,
        "by_owner": comment.by_owner,
        "created_at": comment.created_at.isoformat(),
        "resolved": comment.resolved_at is not None,
        "resolved_at": comment.resolved_at.isoformat() if comment.resolved_at else None,
        "parent": comment.parent_id,
        "replies": [],
        "mine": bool(key_digest) and comment.author_key_digest == key_digest,
        "comparison_id": comment.comparison_id,
        "video_id": comment.video_id,
        "drawing": comment.drawing,
        "has_still": has_still(comment),
    }
    if actor is not None:
        data["can_delete"] = may_delete(actor, comment)
    if owner_view:
        # Whose it is, for members' pages: a push carries no `can_delete`, and a commenter's page
        # offers Delete on what its member made (the policy's own-comment rule).
        data["author_id"] = comment.author_id
        data["link_id"] = comment.link_id
        # A member's own comment came through no link: members only see it.
        data["link_name"] = comment.link.name if comment.link is not None else ""
    if with_replies and comment.parent_id is None:
        replies = sorted(comment.replies.all(), key=lambda reply: (reply.created_at, reply.pk))
        data["replies"] = [
            comment_json(
                reply, owner_view=owner_view, key_digest=key_digest, with_replies=False, on_video=video, actor=actor
            )
            for reply in replies
        ]
    return data
