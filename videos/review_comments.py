"""Reviewers' comments as the exports of lower layers read them (markers, comparison and notes files).

Comments live in `reviews`, which sits above `videos` and `notes`: those may not import it. So the
exports ask this one hook, which `reviews` fills when it loads (`reviews.apps`), the way object
groups are registered in `sage.realtime`. Without `reviews` installed the exports carry no comments.

Every read names its `actor` (`workspaces.policy`): an export holds the comments that actor sees on
the page and through the API (the policy's `comment.view`, then the same selectors), never a rule
of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from videos.models import Comparison, Video
from workspaces.policy import Actor


@dataclass(frozen=True)
class ExportedComment:
    """One comment or reply, plain text, as it goes into a file."""

    id: int
    parent_id: int | None
    side: str  # "a", "b" or "video"
    start: float
    end: float | None
    author_name: str
    body: str
    by_owner: bool
    created_at: datetime
    resolved: bool
    link_name: str  # empty: a member's own comment, on no link
    # The site path of the drawing's PNG still (`/api/v1/comments/<id>/still.png`); None: no drawing.
    still_path: str | None = None

    @property
    def still_file(self) -> str:
        """Its still's name in an export's archive (`stills/<comment id>.png`)."""
        return f"stills/{self.id}.png"


def exported_comment_dict(comment: ExportedComment) -> dict[str, Any]:
    """A comment as JSON files hold it."""
    return {
        "id": comment.id,
        "parent": comment.parent_id,
        "side": comment.side,
        "start": comment.start,
        "end": comment.end,
        "author_name": comment.author_name,
        "by_owner": comment.by_owner,
        "body": comment.body,
        "created_at": comment.created_at.isoformat(),
        "resolved": comment.resolved,
        "link_name": comment.link_name,
    }


class CommentReader(Protocol):
    def still_png(self, comment_id: int, actor: Actor) -> bytes | None:
        """The PNG still of the comment's drawing, when `actor` sees the comment (None when not, when
        it has none or it cannot be made)."""

    def on_comparison(self, comparison: Comparison, actor: Actor) -> list[ExportedComment]:
        """The comparison's comments `actor` sees, threads in time order, replies after their parent."""

    def on_videos(self, videos: Iterable[Video], actor: Actor) -> dict[int, list[ExportedComment]]:
        """Per video id, the comments `actor` sees made on that video itself (not on comparisons it is in)."""


_reader: CommentReader | None = None


def register_comment_reader(reader: CommentReader) -> None:
    global _reader  # one reader per process, set once when the app registry is ready
    _reader = reader


def comments_on_comparison(comparison: Comparison, *, actor: Actor) -> list[ExportedComment]:
    return [] if _reader is None else _reader.on_comparison(comparison, actor)


def comments_on_videos(videos: Iterable[Video], *, actor: Actor) -> dict[int, list[ExportedComment]]:
    return {} if _reader is None else _reader.on_videos(videos, actor)


def comment_still_png(comment_id: int, *, actor: Actor) -> bytes | None:
    return None if _reader is None else _reader.still_png(comment_id, actor)
