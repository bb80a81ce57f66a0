"""A member's own top-level comment (and drawing) on a comparison, a video or a stack's current pair.

Members comment in the app, not through a link: the comment has an `author` and no link, so only
the workspace's members see it, unless the member names one of the object's live links, whose
guests then see it on that link's thread. It is the workspace's own word, like the owner's replies
(`by_owner`): no e-mail digest tells the workspace of it.
"""

from __future__ import annotations

from django.db import transaction

from reviews.comment_create import CommentSaved, comment_create_once, top_comment_create
from reviews.comments import clean_body, member_author_name
from reviews.drawings import clean_drawing
from reviews.models import Comment
from reviews.reach import stack_shown
from reviews.selectors import comment_link_for_member
from videos.models import Comparison, Video, VideoStack
from workspaces.models import Membership


def comment_create_by_member(
    *,
    member: Membership,
    shared: Comparison | Video | VideoStack,
    side: object,
    start: object,
    end: object = None,
    body: object = None,
    drawing: object = None,
    client_id: object = None,
    link_id: object = None,
) -> CommentSaved:
    """`member`'s comment on `shared` (the caller's selector found it in the acting workspace; a
    stack's goes on its current pair), on the thread of its link `link_id` when given. Sent again
    with the same `client_id`, it answers with the comment stored then."""
    link = None if link_id is None else comment_link_for_member(member, link_id, shared)
    target = stack_shown(shared) if isinstance(shared, VideoStack) else shared

    @transaction.atomic
    def create(key: str) -> Comment:
        clean_drawn = clean_drawing(drawing)
        return top_comment_create(
            target=target,
            link=link,
            author=member.user,
            author_name=member_author_name(member.user),
            key_digest="",
            client_id=key,
            side=side,
            start=start,
            end=end,
            body=clean_body(body, clean_drawn),
            drawing=clean_drawn,
            workspace_id=target.workspace_id,
        )

    return comment_create_once(
        link=link,
        author=member.user,
        key_digest="",
        client_id=client_id,
        workspace_id=target.workspace_id,
        create=create,
    )
