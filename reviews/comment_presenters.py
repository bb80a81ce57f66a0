"""A comment as JSON: the one shape the guest API, the owner's API and both sockets send.

Guests get no `link_id`/`link_name` (a link's name is the owner's label for the reviewer, e.g.
"Client, round 2", not theirs to see); `mine` says the comment was made with the caller's reviewer
key, and is false on pushes (a page knows the ids it made). `drawing` is the shapes drawn over the
picture at `start` (`reviews.drawings`) or null; `has_still` says its PNG still can be had; `frame`
is the frame on screen at `start` on that side's video (`sage.timebase`), the one its link shows."""

from __future__ import annotations

from typing import Any

from reviews.models import Comment
from reviews.stills import has_still, still_video
from sage.timebase import Timebase
from videos.models import Video


def comment_json(
    comment: Comment,
    *,
    owner_view: bool,
    key_digest: str = "",
    with_replies: bool = True,
    on_video: Video | None = None,
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
    if owner_view:
        data["link_id"] = comment.link_id
        # A member's own comment came through no link: members only see it.
        data["link_name"] = comment.link.name if comment.link is not None else ""
    if with_replies and comment.parent_id is None:
        replies = sorted(comment.replies.all(), key=lambda reply: (reply.created_at, reply.pk))
        data["replies"] = [
            comment_json(reply, owner_view=owner_view, key_digest=key_digest, with_replies=False, on_video=video)
            for reply in replies
        ]
    return data
