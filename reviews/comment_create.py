"""A new comment: the one path a link's guest's (`reviews.comments`) and a member's own
(`reviews.member_comments`) take. Written once per client id (a resend gets the comment stored
then), its time checked against its video, its event in the workspace's feed, pushed live to the
workspace's pages after the commit. Who wrote it is the difference: a member (`author`) or a guest's
browser (the digest of its reviewer key)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from accounts.models import User
from activity.services import Target, Verb, activity_record
from reviews.live import push_comment
from reviews.models import Comment, ShareLink
from sage.api.fields import CLIENT_ID_MAX, client_id_or_none
from sage.errors import Conflict, FieldInvalid
from videos.models import Comparison, Video


def _duration(target: Comparison | Video, side: str) -> float | None:
    if isinstance(target, Video):
        return target.duration
    return (target.video_a if side == Comment.Side.A else target.video_b).duration


def checked_times(
    target: Comparison | Video, side: object, start: object, end: object
) -> tuple[str, float, float | None]:
    sides = (Comment.Side.A, Comment.Side.B) if isinstance(target, Comparison) else (Comment.Side.VIDEO,)
    if side not in sides:
        raise FieldInvalid("Choose " + " or ".join(f"`{s.value}`" for s in sides) + ".", field="side")
    assert isinstance(side, str)

    def seconds(value: object, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise FieldInvalid("A time in seconds is required.", field=field)
        return float(value)

    start_s = seconds(start, "start")
    end_s = None if end is None else seconds(end, "end")
    duration = _duration(target, side)
    limit = duration if duration is not None else float("inf")
    if not 0 <= start_s <= limit:
        raise FieldInvalid(f"The time must lie within the video (0 to {limit:.1f} s).", field="start")
    if end_s is not None and not start_s <= end_s <= limit:
        raise FieldInvalid(f"The end must lie between the start and the video's end ({limit:.1f} s).", field="end")
    return side, start_s, end_s


@dataclass(frozen=True)
class CommentSaved:
    comment: Comment
    replayed: bool  # its client_id was sent before by the same author: the comment stored then, nothing new written


def clean_client_id(client_id: object) -> str:
    cleaned = client_id_or_none(client_id)
    if cleaned is None:
        raise FieldInvalid(
            f"An id of your own for the comment: text of at most {CLIENT_ID_MAX} characters.", field="client_id"
        )
    return cleaned


def _sent_before(*, link: ShareLink | None, client_id: str, author: User | None, key_digest: str) -> Comment | None:
    """The comment this author (a member, or a guest's browser by its key) already sent with
    `client_id` on `link`'s thread (a member's: or on none). The id is the sender's own: someone
    else's comment under it is refused rather than shown to them."""
    if not client_id:
        return None
    sent = Comment.objects.filter(link=link, client_id=client_id)
    if link is None:  # members' comments on no link: their ids are unique per author
        sent = sent.filter(author=author)
    earlier = sent.first()
    if earlier is None:
        return None
    theirs = earlier.author_id == author.pk if author is not None else earlier.author_key_digest == key_digest
    if not theirs:
        raise Conflict("That client_id names someone else's comment: send a new one.")
    return earlier


def comment_create_once(
    *,
    link: ShareLink | None,
    author: User | None,
    key_digest: str,
    client_id: object,
    workspace_id: int,
    create: Callable[[str], Comment],
) -> CommentSaved:
    """A new comment by `create(client_id)` (a transaction that writes it), pushed live to
    `workspace_id`'s pages; sent again with the same `client_id` (its first reply lost, or a 503
    whose commit went through), the comment stored then, and nothing new. The author is a member
    (`author`) or a link's guest (`key_digest`, their browser's)."""
    key = clean_client_id(client_id)
    if (earlier := _sent_before(link=link, client_id=key, author=author, key_digest=key_digest)) is not None:
        return CommentSaved(earlier, replayed=True)
    try:
        comment = create(key)
    except IntegrityError:
        # A request with the same client_id won the insert between the look-up and this one.
        if (earlier := _sent_before(link=link, client_id=key, author=author, key_digest=key_digest)) is not None:
            return CommentSaved(earlier, replayed=True)
        raise
    push_comment("comment.created", comment, workspace_id=workspace_id)
    return CommentSaved(comment, replayed=False)


def top_comment_create(
    *,
    target: Comparison | Video,
    link: ShareLink | None,
    author: User | None,
    author_name: str,
    key_digest: str,
    client_id: str,
    side: object,
    start: object,
    end: object,
    body: str,
    drawing: dict[str, Any] | None,
    workspace_id: int,
) -> Comment:
    """A thread's first comment on `target`, its body and drawing already cleaned, and its event in
    `workspace_id`'s feed. A member's (`author`) is the workspace's own word: no e-mail digest tells
    the workspace of it (`notified_at`)."""
    checked_side, start_s, end_s = checked_times(target, side, start, end)
    comment = Comment.objects.create(
        link=link,
        author=author,
        comparison=target if isinstance(target, Comparison) else None,
        video=target if isinstance(target, Video) else None,
        side=checked_side,
        start=start_s,
        end=end_s,
        body=body,
        drawing=drawing,
        author_name=author_name,
        by_owner=author is not None,
        author_key_digest=key_digest,
        client_id=client_id,
        notified_at=timezone.now() if author is not None else None,
    )
    comment_record(comment, workspace_id=workspace_id, actor=author)
    return comment


def comment_activity_target(comment: Comment) -> Target:
    if comment.comparison is not None:
        return Target("comparison", comment.comparison.pk, comment.comparison.title)
    assert comment.video is not None  # the check constraint: one or the other
    return Target("video", comment.video.pk, comment.video.label)


def comment_record(comment: Comment, *, workspace_id: int, actor: User | None) -> None:
    """`comment` in `workspace_id`'s activity feed: by `actor`, a member, or (None) by its guest."""
    activity_record(
        workspace_id=workspace_id,
        actor=actor,
        actor_name="" if actor is not None else comment.author_name,
        verb=Verb.COMMENTED,
        target=comment_activity_target(comment),
        details={"comment_id": comment.pk, "link_id": comment.link_id, "guest": actor is None},
    )
