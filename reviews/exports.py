"""Reviewers' comments for the exports of lower layers (`videos.review_comments`): markers, the
comparison's report, the notes' files, the stills in a markers ZIP. Registered by `reviews.apps`
when the app loads.

An export holds what its actor sees on the page and through the API, by the same rule: the policy's
`comment.view` for the object's workspace, then a member's the workspace's comments
(`reviews.selectors.comments_seen_in`, every role alike), a link guest's their link's thread while
the link reaches the object (`reviews.reach`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.urls import reverse

from reviews.models import Comment, ShareLink
from reviews.reach import link_reaches_object
from reviews.selectors import comments_seen_in
from reviews.stills import comment_still_png, has_still
from sage.errors import NotFound
from videos.models import Comparison, Video
from videos.review_comments import ExportedComment
from workspaces.policy import Actor, LinkGuest, may


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


def comments_seen_by(actor: Actor, *, workspace_id: int, on: Q) -> QuerySet[Comment]:
    """The comments `on` (a filter on objects of `workspace_id`) that `actor` sees: none unless the
    policy lets them read that workspace's comments (another workspace's, a removed member's, the
    shared sample's for anyone outside it); a link guest's, their link's thread."""
    if not may(actor, "comment.view", workspace_id=workspace_id):
        return Comment.objects.none()
    if isinstance(actor, LinkGuest):
        return Comment.objects.filter(on, link_id=actor.link_id)
    return comments_seen_in(workspace_id).filter(on)


def _guest_reaches(actor: Actor, on: Comparison | Video) -> bool:
    if not isinstance(actor, LinkGuest):
        return True
    link = ShareLink.objects.filter(pk=actor.link_id).first()
    return link is not None and link_reaches_object(link, on)


def _seen_on(actor: Actor, on: Comparison | Video) -> QuerySet[Comment]:
    if not _guest_reaches(actor, on):
        return Comment.objects.none()
    of = Q(comparison=on) if isinstance(on, Comparison) else Q(video=on)
    return comments_seen_by(actor, workspace_id=on.workspace_id, on=of)


class ReviewCommentReader:
    """What each actor's exports hold: what `comments_seen_by` lets them see."""

    def on_comparison(self, comparison: Comparison, actor: Actor) -> list[ExportedComment]:
        return _in_thread_order(_seen_on(actor, comparison).select_related(*_RELATED))

    def on_videos(self, videos: Iterable[Video], actor: Actor) -> dict[int, list[ExportedComment]]:
        by_workspace: dict[int, list[int]] = {}
        for video in videos:
            if _guest_reaches(actor, video):
                by_workspace.setdefault(video.workspace_id, []).append(video.pk)
        grouped: dict[int, list[Comment]] = {}
        for workspace_id, pks in by_workspace.items():  # one query a workspace, whatever the number of videos
            seen = comments_seen_by(actor, workspace_id=workspace_id, on=Q(video_id__in=pks))
            for comment in seen.select_related(*_RELATED):
                assert comment.video_id is not None
                grouped.setdefault(comment.video_id, []).append(comment)
        return {pk: _in_thread_order(rows) for pk, rows in grouped.items()}

    def still_png(self, comment_id: int, actor: Actor) -> bytes | None:
        comment = Comment.objects.select_related(*_RELATED).filter(pk=comment_id).first()
        on = None if comment is None else comment.comparison or comment.video
        if comment is None or on is None or not _seen_on(actor, on).filter(pk=comment.pk).exists():
            return None
        try:
            return comment_still_png(comment)
        except NotFound:
            return None
