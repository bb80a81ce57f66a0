"""Writes to reviewers' comments: a guest's comment or reply through a link, the owner's reply,
resolving, deleting, and the rate limits that guard the guests' side (members' own comments:
`reviews.member_comments`; what every new comment goes through: `reviews.comment_create`).

Every comment is plain text: stripped, length-limited, and refused when it holds control
characters (a newline in a body is kept); a top-level comment may carry a drawing
(`reviews.drawings`), and then its body may be empty. Pages render it as text, never as HTML or Markdown.
A guest proves a comment is theirs with the random key their browser keeps (`X-Reviewer-Key`);
only its SHA-256 is stored. Nothing here writes anything of the owner's but comments.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from reviews.comment_create import CommentSaved, comment_create_once, comment_record, top_comment_create
from reviews.comment_presenters import comment_made_by, comment_workspace_id
from reviews.drawings import clean_drawing
from reviews.live import can_comment, link_guest, push_comment
from reviews.models import Comment, ShareLink
from reviews.reach import link_shown
from reviews.selectors import comment_for_link
from sage import ratelimit
from sage.api.fields import is_id
from sage.errors import ApplicationError, FieldInvalid, Invalid, NotFound, TooManyRequests
from sage.text import NAME_BIDI_MESSAGE, has_bidi_controls
from videos.models import Comparison, Video
from workspaces.models import Membership
from workspaces.policy import Member, decide, require

BODY_MAX = 2000
AUTHOR_NAME_MAX = 60
REVIEWER_KEY = re.compile(r"[A-Za-z0-9_-]{32,128}", re.ASCII)
# Where in a body a line break is kept; every other control character is refused.
_BODY_CONTROLS_ALLOWED = {"\n", "\t"}


class CommentsOff(ApplicationError):
    """The link is view only (or the owner turned comments off)."""

    code = "comments_off"
    status = 403
    default_message = "Comments are off on this link."


class CommentRateExceeded(TooManyRequests):
    default_message = "Too many comments in a row: wait a little and try again."

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(f"Too many comments in a row: wait {self.retry_after} s and try again.")

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def reviewer_key_digest(key: str | None) -> str:
    """The SHA-256 of a reviewer's key (FieldInvalid unless it is 32–128 URL-safe characters)."""
    if not key or not REVIEWER_KEY.fullmatch(key):
        raise FieldInvalid("Send the browser's reviewer key: 32 to 128 URL-safe characters.", field="reviewer_key")
    return hashlib.sha256(key.encode()).hexdigest()


def _has_controls(text: str, allowed: set[str]) -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in text)


def clean_text(value: object, *, field: str, limit: int, allow_lines: bool = False) -> str:
    if not isinstance(value, str):
        raise FieldInvalid("Text is required.", field=field)
    text = value.strip()
    if not text:
        raise FieldInvalid("This cannot be empty.", field=field)
    if len(text) > limit:
        raise FieldInvalid(f"At most {limit:,} characters.", field=field)
    if _has_controls(text, _BODY_CONTROLS_ALLOWED if allow_lines else set()):
        raise FieldInvalid("Control characters are not allowed.", field=field)
    return text


def clean_body(body: object, drawing: dict[str, object] | None) -> str:
    """The comment's text; empty only when the comment is a drawing (`body` absent or blank)."""
    if drawing is not None and (body is None or (isinstance(body, str) and not body.strip())):
        return ""
    return clean_text(body, field="body", limit=BODY_MAX, allow_lines=True)


def no_drawing_on_reply(drawing: object) -> None:
    # A reply sits at its thread's time: the drawing belongs on the thread's first comment.
    if drawing is not None:
        raise FieldInvalid("A reply carries no drawing: draw on a new comment.", field="drawing")


# --- rate limits ---------------------------------------------------------------------------------


def comment_rate_check(*, link: ShareLink, client: str) -> None:
    """Count one comment from `client` (an address bucket, `sage.client_address`) through `link`;
    CommentRateExceeded (429, Retry-After) when either is over its rate, ServiceUnavailable (503)
    when they cannot be counted. Counted before the comment is checked: a flood of refused comments
    costs as much as accepted ones."""
    limits = [
        (f"review_comment_address:{client}", settings.REVIEW_COMMENT_RATE_PER_ADDRESS),
        (f"review_comment_link:{link.pk}", settings.REVIEW_COMMENT_RATE_PER_LINK),
    ]
    for key, rate in limits:
        counted = ratelimit.count(key, ratelimit.Rate.parse(str(rate)))
        if not counted.allowed:
            raise CommentRateExceeded(counted.wait or 1)


# --- writes --------------------------------------------------------------------------------------


def comment_create_by_guest(
    *,
    link: ShareLink,
    reviewer_key: str | None,
    body: object,
    author_name: object,
    side: object = None,
    start: object = None,
    end: object = None,
    parent_id: object = None,
    client_id: object = None,
    shown: Video | Comparison | None = None,
    drawing: object = None,
) -> CommentSaved:
    """A reviewer's comment (or, with `parent_id`, reply) on what the link shows now: for a project's
    link, on `shown` (the caller's `reviews.reach.link_target`). `link` is live (the caller
    resolved it through `reviews.access`). Sent again with the same `client_id`, it answers with the
    comment stored then."""
    if not can_comment(link):
        raise CommentsOff()
    digest = reviewer_key_digest(reviewer_key)

    @transaction.atomic
    def create(key: str) -> Comment:
        if parent_id is not None:
            no_drawing_on_reply(drawing)
        clean_drawn = clean_drawing(drawing)
        body_text = clean_body(body, clean_drawn)
        clean_name = clean_text(author_name, field="author_name", limit=AUTHOR_NAME_MAX)
        if has_bidi_controls(clean_name):
            raise FieldInvalid(NAME_BIDI_MESSAGE, field="author_name")
        target = link_shown(link, shown)
        if parent_id is not None:
            return _guest_reply_create(
                link, target, parent_id, body=body_text, author_name=clean_name, key_digest=digest, client_id=key
            )
        return top_comment_create(
            target=target,
            link=link,
            author=None,
            author_name=clean_name,
            key_digest=digest,
            client_id=key,
            side=side,
            start=start,
            end=end,
            body=body_text,
            drawing=clean_drawn,
            # A guest acts in no workspace of theirs: the event goes to the link's.
            workspace_id=link.workspace_id,
        )

    return comment_create_once(
        link=link, author=None, key_digest=digest, client_id=client_id, workspace_id=link.workspace_id, create=create
    )


def _guest_reply_create(
    link: ShareLink,
    target: Comparison | Video,
    parent_id: object,
    *,
    body: str,
    author_name: str,
    key_digest: str,
    client_id: str,
) -> Comment:
    if not is_id(parent_id):
        raise FieldInvalid("Reply to a comment by its id: a whole number from 1.", field="parent")
    parent = comment_for_link(link, parent_id)
    on_target = parent.comparison_id == target.pk if isinstance(target, Comparison) else parent.video_id == target.pk
    if parent.parent_id is not None or not on_target:
        raise NotFound("No such comment.")
    reply = comment_reply(
        parent, body=body, author_name=author_name, by_owner=False, key_digest=key_digest, client_id=client_id
    )
    comment_record(reply, workspace_id=link.workspace_id, actor=None)
    return reply


def comment_reply(
    parent: Comment,
    *,
    body: str,
    author_name: str,
    by_owner: bool,
    key_digest: str,
    client_id: str = "",
    author: User | None = None,
) -> Comment:
    # A reply sits where its thread does: same link (or none), object, side and time.
    return Comment.objects.create(
        link_id=parent.link_id,
        author=author,
        comparison_id=parent.comparison_id,
        video_id=parent.video_id,
        parent=parent,
        side=parent.side,
        start=parent.start,
        end=parent.end,
        body=body,
        author_name=author_name,
        by_owner=by_owner,
        author_key_digest=key_digest,
        client_id=client_id,
        # The owner wrote it: there is nothing to tell them by e-mail.
        notified_at=timezone.now() if by_owner else None,
    )


def member_author_name(member: User) -> str:
    """The name a member's comment is signed with, on pages, to guests and in exports: the person
    (their display name, else their e-mail's name part), as every review tool signs it."""
    return (member.display_name.strip() or member.name)[:AUTHOR_NAME_MAX]


@transaction.atomic
def comment_reply_by_owner(*, member: Membership, comment: Comment, body: object) -> Comment:
    """The owner's reply under `comment`'s thread (a reply to a reply joins the same thread)."""
    workspace_id = comment_workspace_id(comment)
    if workspace_id != member.workspace_id:
        raise NotFound("No such comment.")  # the callers' selector already said so
    body_text = clean_text(body, field="body", limit=BODY_MAX, allow_lines=True)
    parent = comment.parent if comment.parent_id is not None else comment
    assert parent is not None
    reply = comment_reply(
        parent,
        body=body_text,
        author_name=member_author_name(member.user),
        by_owner=True,
        key_digest="",
        author=member.user,
    )
    comment_record(reply, workspace_id=workspace_id, actor=member.user)
    push_comment("comment.created", reply, workspace_id=workspace_id)
    return reply


@transaction.atomic
def comment_set_resolved(*, comment: Comment, resolved: bool) -> Comment:
    """Resolve or re-open a thread (again: no change, no event)."""
    if comment.parent_id is not None:
        raise Invalid("Only a thread's first comment is resolved or re-opened.", code="not_top_level")
    if resolved:
        changed = Comment.objects.filter(pk=comment.pk, resolved_at__isnull=True).update(resolved_at=timezone.now())
    else:
        changed = Comment.objects.filter(pk=comment.pk, resolved_at__isnull=False).update(resolved_at=None)
    comment.refresh_from_db(fields=["resolved_at"])
    if changed:
        push_comment("comment.updated", comment, workspace_id=comment_workspace_id(comment))
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment) -> None:
    """Delete a comment and its replies (the owner, any comment on their objects; a guest, their own)."""
    workspace_id = comment_workspace_id(comment)
    # The event's data is read now: after the commit the rows are gone.
    push_comment("comment.deleted", comment, workspace_id=workspace_id)
    comment.delete()


def comment_delete_by_member(*, actor: Member, comment: Comment) -> None:
    """A member deletes a comment as the policy allows (`comment.delete`): a commenter only what
    they made, an editor anyone's (PermissionDenied otherwise)."""
    require(actor, "comment.delete", workspace_id=comment_workspace_id(comment), made_by=comment_made_by(comment))
    comment_delete(comment=comment)


def comment_delete_by_guest(*, link: ShareLink, reviewer_key: str | None, comment_id: object) -> None:
    """Only the browser whose key made the comment deletes it (`comment.delete`, a guest's own);
    anyone else gets the same 404."""
    guest = link_guest(link, key_digest=reviewer_key_digest(reviewer_key))
    comment = comment_for_link(link, comment_id)  # type: ignore[arg-type]
    if decide(guest, "comment.delete", workspace_id=link.workspace_id, made_by=comment_made_by(comment)) is not None:
        raise NotFound("No such comment.")
    comment_delete(comment=comment)
