"""Reviewers' comments for the exports of lower layers (`videos.review_comments`): markers, the
comparison's report, the notes' files. Registered by `reviews.apps` when the app loads."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse

from reviews.models import Comment
from reviews.stills import comment_still_png, has_still
from sage.errors import NotFound
from videos.models import Comparison, Video
from videos.review_comments import ExportedComment


def _exported(comment: Comment) -> ExportedComment:
    return ExportedComment(
        id=comment.pk,
        parent_id=comment.parent_id,
        side=comment.side,
        start=comment.start,
        end=comment.end,
        author_name=comment.author_name,
        # A drawing alone has no text: files say what it is.
        body=comment.body or (DRAWING_ONLY if comment.drawing is not None else ""),
        by_owner=comment.by_owner,
        created_at=comment.created_at,
        resolved=comment.resolved_at is not None,
        link_name=comment.link.name if comment.link is not None else "",
        still_path=reverse("api-comment-still", args=[comment.pk]) if has_still(comment) else None,
    )


def _in_thread_order(comments: Iterable[Comment]) -> list[ExportedComment]:
    """Threads by time, each reply right after its parent, oldest reply first."""
    rows = list(comments)
    tops = sorted((c for c in rows if c.parent_id is None), key=lambda c: (c.start, c.created_at, c.pk))
    replies: dict[int, list[Comment]] = {}
    for reply in sorted((c for c in rows if c.parent_id is not None), key=lambda c: (c.created_at, c.pk)):
        assert reply.parent_id is not None
        replies.setdefault(reply.parent_id, []).append(reply)
    ordered = []
    for top in tops:
        ordered.append(_exported(top))
        ordered.extend(_exported(reply) for reply in replies.get(top.pk, []))
    return ordered


DRAWING_ONLY = "(a drawing)"
_RELATED = ("link", "video", "comparison__video_a", "comparison__video_b")


class ReviewCommentReader:
    """Only comments through the object's workspace's own links, and its members' own (a sample's
    comparison, which everyone may export, has none of the exporter's)."""

    def on_comparison(self, comparison: Comparison) -> list[ExportedComment]:
        own = Q(link__workspace_id=comparison.workspace_id) | Q(link__isnull=True)
        comments = Comment.objects.filter(own, comparison=comparison)
        return _in_thread_order(comments.select_related(*_RELATED))

    def on_videos(self, videos: Iterable[Video]) -> dict[int, list[ExportedComment]]:
        by_pk = {video.pk: video for video in videos}
        comments = Comment.objects.filter(video_id__in=list(by_pk)).select_related(*_RELATED)
        grouped: dict[int, list[Comment]] = {}
        for comment in comments:
            assert comment.video_id is not None
            # A member's own comment (no link) is its video's workspace's.
            if comment.link is None or comment.link.workspace_id == by_pk[comment.video_id].workspace_id:
                grouped.setdefault(comment.video_id, []).append(comment)
        return {pk: _in_thread_order(rows) for pk, rows in grouped.items()}

    def still_png(self, comment_id: int) -> bytes | None:
        comment = Comment.objects.select_related(*_RELATED).filter(pk=comment_id).first()
        if comment is None:
            return None
        try:
            return comment_still_png(comment)
        except NotFound:
            return None
