"""A member's own top-level comment (and drawing) on a comparison, a video or a stack's current pair.

Members comment in the app, not through a link: the comment has an `author` and no link, so only
the workspace's members see it, unless the member names one of the object's live links, whose
guests then see it on that link's thread. It is the workspace's own word, like the owner's replies
(`by_owner`): no e-mail digest tells the workspace of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from activity.services import Verb, activity_record
from reviews.comments import (
    checked_times,
    clean_body,
    clean_client_id,
    comment_activity_target,
    owner_display_name,
)
from reviews.drawings import clean_drawing
from reviews.live import push_comment
from reviews.models import Comment, ShareLink
from reviews.selectors import comment_link_for_member, stack_comment_target
from sage.errors import Conflict
from videos.models import Comparison, Video, VideoStack


@dataclass(frozen=True)
class MemberCommentSaved:
    comment: Comment
    replayed: bool  # its client_id was sent before by this member: the comment stored then


def _sent_before(author: User, client_id: str, link: ShareLink | None) -> Comment | None:
    if not client_id:
        return None
    earlier = Comment.objects.filter(author=author, client_id=client_id, link=link).first()
    if earlier is None and link is not None and Comment.objects.filter(link=link, client_id=client_id).exists():
        raise Conflict("That client_id names another comment on this link: send a new one.")
    return earlier


def comment_create_by_member(
    *,
    author: User,
    shared: Comparison | Video | VideoStack,
    side: object,
    start: object,
    end: object = None,
    body: object = None,
    drawing: object = None,
    client_id: object = None,
    link_id: object = None,
) -> MemberCommentSaved:
    """`author`'s comment on `shared` (the caller's selector found it in the acting workspace; a
    stack's goes on its current pair), on the thread of its link `link_id` when given. Sent again
    with the same `client_id`, it answers with the comment stored then."""
    link = None if link_id is None else comment_link_for_member(author, link_id, shared)
    key = clean_client_id(client_id)
    if (earlier := _sent_before(author, key, link)) is not None:
        return MemberCommentSaved(earlier, replayed=True)
    target = stack_comment_target(shared) if isinstance(shared, VideoStack) else shared
    try:
        comment = _member_comment_create(
            author=author,
            target=target,
            link=link,
            side=side,
            start=start,
            end=end,
            body=body,
            drawing=drawing,
            client_id=key,
        )
    except IntegrityError:
        # The same client_id won the insert between the look-up and this one.
        if (earlier := _sent_before(author, key, link)) is not None:
            return MemberCommentSaved(earlier, replayed=True)
        raise
    push_comment("comment.created", comment, workspace_id=target.workspace_id)
    return MemberCommentSaved(comment, replayed=False)


@transaction.atomic
def _member_comment_create(
    *,
    author: User,
    target: Comparison | Video,
    link: ShareLink | None,
    side: object,
    start: object,
    end: object,
    body: object,
    drawing: object,
    client_id: str,
) -> Comment:
    clean_drawn = clean_drawing(drawing)
    body_text = clean_body(body, clean_drawn)
    checked_side, start_s, end_s = checked_times(target, side, start, end)
    comment = Comment.objects.create(
        link=link,
        author=author,
        comparison=target if isinstance(target, Comparison) else None,
        video=target if isinstance(target, Video) else None,
        side=checked_side,
        start=start_s,
        end=end_s,
        body=body_text,
        drawing=clean_drawn,
        author_name=owner_display_name(author),
        by_owner=True,
        client_id=client_id,
        notified_at=timezone.now(),
    )
    activity_record(
        workspace_id=target.workspace_id,
        actor=author,
        verb=Verb.COMMENTED,
        target=comment_activity_target(comment),
        details={"comment_id": comment.pk, "link_id": comment.link_id, "guest": False},
    )
    return comment
