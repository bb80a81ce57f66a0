"""Reads of share links: the owner's lists, and resolving a token someone opened.

The shared page (next: an anonymous view at the link's URL) calls `share_link_resolve` on every
request, page and media alike, then `share_link_opened`; what it shows comes from the link's one
object (`link.shared_object`), never from the owner's other objects. Sockets resolve again on
connect and are closed when the link is revoked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from django.contrib.auth.hashers import check_password
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from reviews.models import Comment, ShareLink
from reviews.reach import link_is_live, link_reaches_object, link_state
from reviews.tokens import digests_match, token_digest
from sage import ratelimit
from sage.api.fields import is_id
from sage.errors import ApplicationError, FieldInvalid, NotFound, TooManyRequests
from videos.compare.selectors import comparison_get_for_user
from videos.models import Comparison, Project, Video, VideoStack
from videos.selectors import video_get_for_user
from videos.versions.selectors import stack_get_for_user
from workspaces.models import Membership

# Wrong passwords allowed per link and client address in a window, before a pause.
PASSWORD_ATTEMPTS = 10
PASSWORD_WINDOW_S = 15 * 60


class PasswordRequired(ApplicationError):
    """The link is live but has a password, and none or a wrong one was given."""

    code = "password_required"
    status = 403
    default_message = "This link needs its password."


class PasswordAttemptsExceeded(TooManyRequests):
    default_message = "Too many wrong passwords for this link: wait a few minutes and try again."

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(PASSWORD_WINDOW_S)}


def share_links_for_object(
    member: Membership, shared: Comparison | Video | VideoStack | Project
) -> QuerySet[ShareLink]:
    """The workspace's links to `shared`, newest first (revoked ones too: what was stays visible)."""
    links = ShareLink.objects.filter(workspace_id=member.workspace_id)
    if isinstance(shared, Project):
        return links.filter(project=shared)
    if isinstance(shared, Comparison):
        return links.filter(comparison=shared)
    if isinstance(shared, VideoStack):
        return links.filter(stack=shared)
    return links.filter(video=shared)


def share_link_get_for_user(member: Membership, pk: int | str) -> ShareLink:
    try:
        return ShareLink.objects.filter(workspace_id=member.workspace_id).get(pk=int(pk))
    except (ShareLink.DoesNotExist, ValueError, TypeError):
        raise Http404("No such link.") from None


def _password_attempts_key(link: ShareLink, client: str) -> str:
    return f"share_password:{link.pk}:{client}"


def _password_checked(link: ShareLink, password: str, client: str) -> bool:
    """Whether `password` opens `link`, as one of `client`'s attempts (an address bucket,
    `sage.client_address`). Wrong ones are limited: each attempt is counted before the check and a
    right one is given back, so a burst of guesses cannot all be checked before the first is counted
    (PasswordAttemptsExceeded once `client` has used its attempts)."""
    key = _password_attempts_key(link, client)
    attempt = ratelimit.count(key, ratelimit.Rate(limit=PASSWORD_ATTEMPTS, period=PASSWORD_WINDOW_S))
    if not attempt.allowed:
        raise PasswordAttemptsExceeded()
    if not check_password(password, link.password_hash):
        return False
    ratelimit.uncount(key, attempt)
    return True


def share_link_resolve(
    token: str, password: str | None = None, *, client: str = "", unlocked: Collection[int] = ()
) -> ShareLink:
    """The live link `token` opens, or NotFound — the same 404 for a wrong, revoked or expired
    token, so a guess learns nothing. A link with a password also needs `password`, unless its id is
    among `unlocked` (links this browser already gave the password for: `reviews.access`)
    (PasswordRequired; PasswordAttemptsExceeded after too many wrong ones from `client`;
    ServiceUnavailable when they cannot be counted)."""
    offered = token_digest(token)
    found = (
        ShareLink.objects.select_related("comparison__project", "video__project", "stack__project", "project")
        .filter(token_digest=offered, revoked_at__isnull=True)
        # Unordered: the digest is unique, and ordering a query of four joins (Django's compiler)
        # was the costliest part of a crowd of guests opening sockets at once; `first()` would order
        # it by its key all the same, which took Django twice as long to compile.
        .order_by()[:1]
    )
    link = next(iter(found), None)
    # The row was found by its digest; comparing again in constant time keeps timing independent
    # of how much of the digest matched, whatever the database's index does.
    if link is None or not digests_match(link.token_digest, offered):
        raise NotFound("No such link.")
    if not link_is_live(link):
        raise NotFound("No such link.")  # expired, or its object in a deleted project (back when restored)
    if link.has_password and link.pk not in unlocked and not (password and _password_checked(link, password, client)):
        raise PasswordRequired()
    return link


# --- comments ------------------------------------------------------------------------------------


def _threads(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    """Top-level comments with their link and replies loaded: a list costs three queries, whatever
    its length."""
    replies = Comment.objects.select_related("link").order_by("created_at", "pk")
    return (
        comments.filter(parent__isnull=True)
        # The objects and sides' videos: whether a drawing has a still (`reviews.stills.has_still`).
        .select_related("link", "video", "comparison__video_a", "comparison__video_b")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("start", "created_at", "pk")
    )


# What a review (a session, a comment) may be on, each by its model's own selector.
_REVIEWED: dict[str, Callable[[Membership, int | str], Comparison | Video | VideoStack]] = {
    "comparison": comparison_get_for_user,
    "video": video_get_for_user,
    "stack": stack_get_for_user,
}


def reviewed_object_get_for_user(member: Membership, named: Mapping[str, object]) -> Comparison | Video | VideoStack:
    """The one comparison, video or stack `named` gives by id (`{"video": 7}`; other keys are not
    read) in `member`'s workspace: Http404 for anyone else's, FieldInvalid unless exactly one
    is named."""
    kinds = [kind for kind in _REVIEWED if named.get(kind) is not None]
    if len(kinds) != 1:
        raise FieldInvalid("Name exactly one of `comparison`, `video` or `stack`.")
    [kind] = kinds
    pk = named[kind]
    assert isinstance(pk, int | str)
    return _REVIEWED[kind](member, pk)


def comments_for_link(link: ShareLink, target: Comparison | Video) -> QuerySet[Comment]:
    """The threads a link's guests see: that link's, on the object it shows now."""
    on = Q(comparison=target) if isinstance(target, Comparison) else Q(video=target)
    return _threads(Comment.objects.filter(on, link=link))


def comment_for_link(link: ShareLink, pk: int | str) -> Comment:
    """One comment made through `link` (NotFound for any other: another link's is not there)."""
    try:
        comment = Comment.objects.select_related("link", "video", "comparison").get(link=link, pk=int(pk))
    except (Comment.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such comment.") from None
    if not link_reaches_object(link, comment.video or comment.comparison):
        # A project's link reaches a comment only while what it is on is one of the project's own.
        raise NotFound("No such comment.")
    return comment


def comments_seen_in(workspace_id: int) -> QuerySet[Comment]:
    """Every comment the members of `workspace_id` see (every role: `comment.view`): through the
    link's workspace, so comments of revoked or expired links stay theirs to read; a member's own
    comment (no link) through its object's. The page, the API and the exports read this."""
    own = Q(link__isnull=True) & (Q(comparison__workspace_id=workspace_id) | Q(video__workspace_id=workspace_id))
    return Comment.objects.filter(Q(link__workspace_id=workspace_id) | own)


def _owners(member: Membership) -> QuerySet[Comment]:
    return comments_seen_in(member.workspace_id)


def comments_on_comparison_for_user(member: Membership, comparison: Comparison) -> QuerySet[Comment]:
    return _threads(_owners(member).filter(comparison=comparison))


def comments_on_video_for_user(member: Membership, video: Video) -> QuerySet[Comment]:
    """Comments made on the video itself (a link to it, or a stack's newest version shown alone),
    not on comparisons it is in."""
    return _threads(_owners(member).filter(video=video))


def comments_on_stack_for_user(member: Membership, stack: VideoStack) -> QuerySet[Comment]:
    """Every comment on the stack's versions and on comparisons between them."""
    in_stack = Q(comparison__video_a__stack=stack) | Q(comparison__video_b__stack=stack) | Q(video__stack=stack)
    return _threads(_owners(member).filter(in_stack))


def comment_get_for_user(member: Membership, pk: int | str) -> Comment:
    """A comment on one of `member`'s workspace's objects (Http404 for anyone else's)."""
    try:
        related = ("link", "video", "comparison__video_a", "comparison__video_b")
        return _owners(member).select_related(*related).get(pk=int(pk))
    except (Comment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such comment.") from None


def comment_link_for_member(member: Membership, link_id: object, shared: Comparison | Video | VideoStack) -> ShareLink:
    """The live link of `shared` in the acting workspace a member's comment goes on (its thread, so
    its guests see it): Http404 for another workspace's or an unknown id, FieldInvalid for a link of
    another object, or one revoked or expired."""
    if not is_id(link_id):
        raise FieldInvalid("A share link's id: a whole number from 1.", field="link")
    assert isinstance(link_id, int)
    link = share_link_get_for_user(member, link_id)
    if link.shared_object != shared:
        raise FieldInvalid("That link shares something else: choose a link of this one.", field="link")
    if link_state(link) != "active":
        raise FieldInvalid("That link is revoked or expired: its guests would never see the comment.", field="link")
    return link
