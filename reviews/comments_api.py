"""`/api/v1/…/comments`: reviewers' timecoded comments, for guests holding a link and for the owner.

Contract changes (for the comments UI): `drawing` and `has_still` on every comment; members' own
comments (`POST comparisons|videos|stacks/{id}/comments`), whose `link_id` is null unless put on a link.

A comment: `{"id", "side": "a"|"b"|"video", "start", "end" (null: a moment), "body", "author_name",
"by_owner", "created_at", "resolved", "resolved_at", "parent" (null: a thread's first comment),
"replies": [comment…] (a thread's first comment only; else []), "mine" (made with this request's
`X-Reviewer-Key`), "comparison_id", "video_id", "drawing" (`reviews.drawings`; null: none),
"has_still"}`, plus `"link_id", "link_name"` in the owner's views.
Bodies and names are plain text: show them as text, never as HTML.

Guests (no account; the token is the path's; a password-protected link needs the browser's unlocked
session or an `X-Share-Password` header): `GET|POST shared/{token}/comments` (a project's link:
`?video=<id>` or `?comparison=<id>`, one of the project's), `DELETE shared/{token}/comments/{id}` (only what this
`X-Reviewer-Key` made; its replies go too).
The owner (session or API token: reads `read`, writes `videos:write`): `GET comparisons|videos|
stacks/{id}/comments` (every link's, revoked ones' too, and members' own), `POST comparisons|videos|
stacks/{id}/comments` (a member's own comment, commenter role), `POST comments/{id}/replies`,
`POST comments/{id}/resolve|reopen`, `DELETE comments/{id}`.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from reviews.access import share_link_for_request
from reviews.comment_presenters import comment_json, comment_workspace_id
from reviews.comments import (
    AUTHOR_NAME_MAX,
    BODY_MAX,
    comment_create_by_guest,
    comment_delete_by_guest,
    comment_delete_by_member,
    comment_rate_check,
    comment_reply_by_owner,
    comment_set_resolved,
    reviewer_key_digest,
)
from reviews.drawings import MAX_POINTS, MAX_SHAPES
from reviews.live import can_comment, link_guest
from reviews.member_comments import comment_create_by_member
from reviews.models import Comment, ShareLink
from reviews.reach import link_shown, link_target
from reviews.selectors import (
    comment_get_for_user,
    comments_for_link,
    comments_on_comparison_for_user,
    comments_on_stack_for_user,
    comments_on_video_for_user,
)
from reviews.services import share_link_opened
from sage.api.errors import error_responses
from sage.api.fields import ClientIdField, IdField, TextField
from sage.client_address import address_bucket, client_address
from sage.errors import FieldInvalid
from videos.compare.selectors import comparison_get_for_user
from videos.models import Comparison, Video, VideoStack
from videos.selectors import video_get_for_user
from videos.versions.selectors import stack_get_for_user
from workspaces.current import acting_membership, request_actor
from workspaces.doors import NOT_WORKSPACE_WORK, WorkspaceRolePermission
from workspaces.policy import Member, require

REVIEWER_KEY_HEADER = "X-Reviewer-Key"

_TOKEN = OpenApiParameter("token", str, OpenApiParameter.PATH, description="The share link's token (from its URL).")
_COMMENT_ID = OpenApiParameter("comment_id", int, OpenApiParameter.PATH, description="The comment's id.")
_REVIEWER_KEY = OpenApiParameter(
    REVIEWER_KEY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="The reviewer's browser's random key (32–128 URL-safe characters, kept by the browser): "
    "it marks the comments it made (`mine`) and is needed to delete one. Only its SHA-256 is stored.",
)
_PASSWORD = OpenApiParameter(
    "X-Share-Password", str, OpenApiParameter.HEADER, description="The link's password, when it has one."
)
# A project's link opens each of its videos and comparisons: a guest's comments are on the one named.
PROJECT_TARGET_PARAMETERS = [
    OpenApiParameter(
        "video",
        int,
        OpenApiParameter.QUERY,
        description="A project's link only (it needs `video` or `comparison`): the id of the project's video "
        "(any version of its stacks). One outside the project, moved out or deleted is a 404; other links take "
        "no `video` (given: 404).",
    ),
    OpenApiParameter(
        "comparison",
        int,
        OpenApiParameter.QUERY,
        description="A project's link only, instead of `video`: the id of one of the project's comparisons.",
    ),
]


def shown_of_request(link: ShareLink, request: Request) -> Video | Comparison | None:
    """What a guest's request is about through `link` (a project's link: `?video=` or `?comparison=`)."""
    query = request.query_params
    return link_target(link, video=query.get("video"), comparison=query.get("comparison"))


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _actor(request: Request) -> Member:
    return request_actor(request)


DRAWING_HELP = (
    'Shapes drawn over the picture at `start` on `side`: `{"shapes": [...]}`, coordinates 0..1 of the picture '
    f"(origin top left), at most {MAX_SHAPES} shapes and {MAX_POINTS:,} points, 32 KB (docs/api.md, Drawings); "
    "null: none."
)


class CommentOutput(serializers.Serializer[Any]):
    """The schema of `comment_json` (which writes the data: one shape for the API and the sockets)."""

    id = serializers.IntegerField()
    side = serializers.ChoiceField(choices=Comment.Side.choices)
    start = serializers.FloatField(help_text="Seconds on that side's video.")
    frame = serializers.IntegerField(
        help_text="The frame on screen at `start` on that side's video (0 is the first), at its `frame_rate`."
    )
    end = serializers.FloatField(allow_null=True, help_text="Set for a range; null for a moment.")
    body = serializers.CharField(help_text="Plain text (show it as text, never as HTML).")
    author_name = serializers.CharField()
    by_owner = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    resolved = serializers.BooleanField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    # The metaclass takes declared fields out of the class: this shadows no serializer attribute.
    parent = serializers.IntegerField(  # type: ignore[assignment]
        allow_null=True, help_text="The thread's first comment; null for that one."
    )
    replies = serializers.ListField(child=serializers.DictField(), help_text="The thread's replies, oldest first.")
    mine = serializers.BooleanField(help_text="Made with this request's X-Reviewer-Key.")
    comparison_id = serializers.IntegerField(allow_null=True)
    video_id = serializers.IntegerField(allow_null=True)
    drawing = serializers.DictField(allow_null=True, help_text=DRAWING_HELP)
    can_delete = serializers.BooleanField(
        required=False,
        help_text="Whether the caller may delete it (the policy's `comment.delete`: an editor anyone's, a commenter "
        "their own, a guest what their X-Reviewer-Key made). Not on socket pushes, which go to many.",
    )
    has_still = serializers.BooleanField(
        help_text="A PNG still of the frame with the drawing can be had (`comments/{id}/still.png`; a guest: "
        "`shared/{token}/comments/{id}/still.png`): a drawing on an uploaded video's picture."
    )


class OwnerCommentOutput(CommentOutput):
    author_id = serializers.IntegerField(
        allow_null=True, help_text="The member who made it; null for a guest's, or an account since deleted."
    )
    link_id = serializers.IntegerField(
        allow_null=True, help_text="The share link it came through or was put on; null: a member's, members only."
    )
    link_name = serializers.CharField(help_text="That link's name; empty without a link.")


# A comment's text may hold line breaks and tabs and no other control character (as
# `reviews.comments.clean_body` checks): kept as sent, not trimmed first, so that the pattern the
# schema publishes is what is checked.
_BODY_PATTERN = r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"


def _comment_body_field(**kwargs: Any) -> TextField:
    return TextField(
        max_length=BODY_MAX,
        trim_whitespace=False,
        validators=[RegexValidator(_BODY_PATTERN, message="Control characters are not allowed.")],
        **kwargs,
    )


class GuestCommentInput(serializers.Serializer[Any]):
    """Checked by the service (`reviews.comments`), which gives each field's refusal; this is the schema."""

    side = serializers.ChoiceField(
        choices=Comment.Side.choices, required=False, help_text="`a` or `b` on a comparison; `video` on a video."
    )
    start = serializers.FloatField(required=False, help_text="Seconds, within that side's video.")
    end = serializers.FloatField(required=False, allow_null=True, help_text="For a range; at or after `start`.")
    body = _comment_body_field(required=False, allow_blank=True, help_text="Empty only with a `drawing`.")
    drawing = serializers.DictField(required=False, allow_null=True, help_text=DRAWING_HELP + " Not on a reply.")
    author_name = TextField(max_length=AUTHOR_NAME_MAX, name=True)
    parent = IdField(  # type: ignore[assignment]  # as in CommentOutput
        required=False, allow_null=True, help_text="Reply under this thread (its side and time are the reply's)."
    )
    client_id = ClientIdField(
        help_text="Your own id for this comment: sent again with it (after a lost reply or a 503), the POST "
        "answers 200 with the comment stored the first time instead of storing a second.",
    )


class MemberCommentInput(serializers.Serializer[Any]):
    """Checked by the service (`reviews.member_comments`); this is the schema."""

    side = serializers.ChoiceField(
        choices=Comment.Side.choices, help_text="`a` or `b` on a comparison (a stack's: its current pair); `video`."
    )
    start = serializers.FloatField(help_text="Seconds, within that side's video (a drawing's frame).")
    end = serializers.FloatField(required=False, allow_null=True, help_text="For a range; at or after `start`.")
    body = _comment_body_field(required=False, allow_blank=True, help_text="Empty only with a `drawing`.")
    drawing = serializers.DictField(required=False, allow_null=True, help_text=DRAWING_HELP)
    link = IdField(
        required=False,
        allow_null=True,
        help_text="A live share link of this same object: the comment goes on its thread, so its guests see it "
        "(another object's link: 400; another workspace's: 404). Without it, only members see the comment.",
    )
    client_id = ClientIdField(
        help_text="Your own id for this comment: sent again with it, the POST answers 200 with the comment stored "
        "the first time.",
    )


class ReplyInput(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=BODY_MAX)


def _owner_list(request: Request, comments: QuerySet[Comment]) -> Response:
    actor = _actor(request)
    return Response({"results": [comment_json(comment, owner_view=True, actor=actor) for comment in comments]})


_OWNER_LIST_RESPONSE = inline_serializer("OwnerComments", {"results": OwnerCommentOutput(many=True)})
_GUEST_LIST_RESPONSE = inline_serializer(
    "SharedComments",
    {
        "results": CommentOutput(many=True),
        "can_comment": serializers.BooleanField(help_text="Whether this link lets reviewers comment now."),
    },
)


# --- guests --------------------------------------------------------------------------------------


class _GuestApi(APIView):
    """No account: the link is the capability (`reviews.access`). No session authentication, so no
    CSRF token to fetch; writes carry a custom header (X-Reviewer-Key), which a cross-site form
    cannot send."""

    workspace_actions = dict.fromkeys(("GET", "POST", "DELETE"), NOT_WORKSPACE_WORK)  # a link's guest: the link decides

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny, WorkspaceRolePermission]

    def _link(self, request: Request, token: str) -> ShareLink:
        link = share_link_for_request(request, token)
        share_link_opened(link=link)
        return link

    def _key_digest(self, request: Request) -> str:
        key = request.headers.get(REVIEWER_KEY_HEADER)
        try:
            return reviewer_key_digest(key) if key else ""
        except FieldInvalid:
            return ""  # a malformed key on a read just marks nothing as mine


class SharedCommentsApi(_GuestApi):
    link_actions = {"GET": "comment.view", "POST": "comment.create"}

    @extend_schema(
        parameters=[_TOKEN, *PROJECT_TARGET_PARAMETERS, _REVIEWER_KEY, _PASSWORD],
        responses={200: _GUEST_LIST_RESPONSE, **error_responses(400, 403, 404, 429)},
        summary="A shared link's comments (guest)",
        description="This link's threads on what it shows now (a project's link: on its video `video` or "
        "comparison `comparison`), in time order.",
    )
    def get(self, request: Request, token: str) -> Response:
        link = self._link(request, token)
        shown = shown_of_request(link, request)
        digest = self._key_digest(request)
        comments = comments_for_link(link, link_shown(link, shown))
        guest = link_guest(link, key_digest=digest)
        results = [comment_json(comment, owner_view=False, key_digest=digest, actor=guest) for comment in comments]
        return Response({"results": results, "can_comment": can_comment(link)})

    @extend_schema(
        parameters=[_TOKEN, *PROJECT_TARGET_PARAMETERS, _REVIEWER_KEY, _PASSWORD],
        request=GuestCommentInput,
        responses={201: CommentOutput, 200: CommentOutput, **error_responses(400, 403, 404, 409, 429)},
        summary="Comment through a shared link (guest)",
        description=f"Needs a link that allows comments (else 403 `comments_off`). Rate-limited per link and per "
        f"client address (429 with Retry-After). Body at most {BODY_MAX} characters, name {AUTHOR_NAME_MAX}; "
        "both stripped; control characters refused. With a `client_id` sent before by the same reviewer key: "
        "200 and the comment stored then (409 if another reviewer's comment has it).",
    )
    def post(self, request: Request, token: str) -> Response:
        link = self._link(request, token)
        shown = shown_of_request(link, request)
        comment_rate_check(link=link, client=address_bucket(client_address(request)))
        data = request.data if isinstance(request.data, dict) else {}
        key = request.headers.get(REVIEWER_KEY_HEADER)
        saved = comment_create_by_guest(
            link=link,
            reviewer_key=key,
            body=data.get("body"),
            author_name=data.get("author_name"),
            side=data.get("side"),
            start=data.get("start"),
            end=data.get("end"),
            parent_id=data.get("parent"),
            client_id=data.get("client_id"),
            shown=shown,
            drawing=data.get("drawing"),
        )
        digest = reviewer_key_digest(key)
        guest = link_guest(link, key_digest=digest)
        body = comment_json(saved.comment, owner_view=False, key_digest=digest, actor=guest)
        return Response(body, status=status.HTTP_200_OK if saved.replayed else status.HTTP_201_CREATED)


class SharedCommentDetailApi(_GuestApi):
    link_actions = {"DELETE": "comment.delete"}

    @extend_schema(
        parameters=[_TOKEN, _COMMENT_ID, _REVIEWER_KEY, _PASSWORD],
        request=None,
        responses={204: None, **error_responses(400, 404)},
        summary="Delete my comment (guest)",
        description="Only a comment this X-Reviewer-Key made; any other is a 404 (on a project's link, also "
        "one on a video no longer in the project).",
    )
    def delete(self, request: Request, token: str, comment_id: int) -> Response:
        link = self._link(request, token)
        comment_delete_by_guest(link=link, reviewer_key=request.headers.get(REVIEWER_KEY_HEADER), comment_id=comment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the owner -----------------------------------------------------------------------------------


class _MemberCommentsApi(APIView):
    """GET: the object's comments; POST: a member's own comment on it (commenter role)."""

    workspace_actions = {"GET": "comment.view", "POST": "comment.create"}

    def _create(self, request: Request, shared: Comparison | Video | VideoStack) -> Response:
        require(_actor(request), "comment.create", workspace_id=shared.workspace_id)
        data = request.data if isinstance(request.data, dict) else {}
        saved = comment_create_by_member(
            member=acting_membership(request),
            shared=shared,
            side=data.get("side"),
            start=data.get("start"),
            end=data.get("end"),
            body=data.get("body"),
            drawing=data.get("drawing"),
            client_id=data.get("client_id"),
            link_id=data.get("link"),
        )
        body = comment_json(saved.comment, owner_view=True, actor=_actor(request))
        return Response(body, status=status.HTTP_200_OK if saved.replayed else status.HTTP_201_CREATED)


def _member_post_schema(kind: str) -> Any:
    return extend_schema(
        request=MemberCommentInput,
        responses={201: OwnerCommentOutput, 200: OwnerCommentOutput, **error_responses(400, 403, 404, 409)},
        summary=f"Comment (or draw) on a {kind} as a member",
        description="Needs the commenter role in the acting workspace. A drawing needs `side` and `start` (its "
        "frame); with one, `body` may be empty. Members see every comment of the object; a link's guests see it "
        "only when it is put on their link (`link`).",
    )


class ComparisonCommentsApi(_MemberCommentsApi):
    @extend_schema(
        parameters=[OpenApiParameter("comparison_id", int, OpenApiParameter.PATH, description="The comparison's id.")],
        responses={200: _OWNER_LIST_RESPONSE, **error_responses(404)},
        summary="A comparison's comments, from all its links",
    )
    def get(self, request: Request, comparison_id: int) -> Response:
        comparison = comparison_get_for_user(acting_membership(request), comparison_id)
        return _owner_list(request, comments_on_comparison_for_user(acting_membership(request), comparison))

    @_member_post_schema("comparison")
    def post(self, request: Request, comparison_id: int) -> Response:
        return self._create(request, comparison_get_for_user(acting_membership(request), comparison_id))


class VideoCommentsApi(_MemberCommentsApi):
    @extend_schema(
        parameters=[OpenApiParameter("video_id", int, OpenApiParameter.PATH, description="The video's id.")],
        responses={200: _OWNER_LIST_RESPONSE, **error_responses(404)},
        summary="A video's comments (made on the video itself)",
    )
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(acting_membership(request), video_id)
        return _owner_list(request, comments_on_video_for_user(acting_membership(request), video))

    @_member_post_schema("video")
    def post(self, request: Request, video_id: int) -> Response:
        return self._create(request, video_get_for_user(acting_membership(request), video_id))


class StackCommentsApi(_MemberCommentsApi):
    @extend_schema(
        parameters=[OpenApiParameter("stack_id", int, OpenApiParameter.PATH, description="The version stack's id.")],
        responses={200: _OWNER_LIST_RESPONSE, **error_responses(404)},
        summary="A version stack's comments (each on the comparison or version it was made on)",
    )
    def get(self, request: Request, stack_id: int) -> Response:
        stack = stack_get_for_user(acting_membership(request), stack_id)
        return _owner_list(request, comments_on_stack_for_user(acting_membership(request), stack))

    @_member_post_schema("version stack (its current pair)")
    def post(self, request: Request, stack_id: int) -> Response:
        return self._create(request, stack_get_for_user(acting_membership(request), stack_id))


class CommentRepliesApi(APIView):
    workspace_actions = {"POST": "comment.create"}

    @extend_schema(
        parameters=[_COMMENT_ID],
        request=ReplyInput,
        responses={201: OwnerCommentOutput, **error_responses(400, 403, 404)},
        summary="Reply to a comment (owner)",
        description='The reply joins the comment\'s thread, by the owner (their display name, or "Owner").',
    )
    def post(self, request: Request, comment_id: int) -> Response:
        comment = comment_get_for_user(acting_membership(request), comment_id)
        require(_actor(request), "comment.create", workspace_id=comment_workspace_id(comment))
        data = request.data if isinstance(request.data, dict) else {}
        reply = comment_reply_by_owner(member=acting_membership(request), comment=comment, body=data.get("body"))
        return Response(comment_json(reply, owner_view=True, actor=_actor(request)), status=status.HTTP_201_CREATED)


def _set_resolved(request: Request, comment_id: int, *, resolved: bool) -> Response:
    comment = comment_get_for_user(acting_membership(request), comment_id)
    require(_actor(request), "comment.create", workspace_id=comment_workspace_id(comment))
    comment = comment_set_resolved(comment=comment, resolved=resolved)
    return Response(comment_json(comment, owner_view=True, actor=_actor(request)))


class CommentResolveApi(APIView):
    workspace_actions = {"POST": "comment.create"}

    @extend_schema(
        parameters=[_COMMENT_ID],
        request=None,
        responses={200: OwnerCommentOutput, **error_responses(400, 403, 404)},
        summary="Resolve a thread (owner; again: no change)",
    )
    def post(self, request: Request, comment_id: int) -> Response:
        return _set_resolved(request, comment_id, resolved=True)


class CommentReopenApi(APIView):
    workspace_actions = {"POST": "comment.create"}

    @extend_schema(
        parameters=[_COMMENT_ID],
        request=None,
        responses={200: OwnerCommentOutput, **error_responses(400, 403, 404)},
        summary="Re-open a thread (owner; again: no change)",
    )
    def post(self, request: Request, comment_id: int) -> Response:
        return _set_resolved(request, comment_id, resolved=False)


class CommentDetailApi(APIView):
    workspace_actions = {"DELETE": "comment.delete"}

    @extend_schema(
        parameters=[_COMMENT_ID],
        responses={204: None, **error_responses(403, 404)},
        summary="Delete a comment (member)",
        description="Editors and above delete any comment of the workspace; a commenter only their own "
        "(403 for anyone else's). Its replies go with it.",
    )
    def delete(self, request: Request, comment_id: int) -> Response:
        comment_delete_by_member(
            actor=_actor(request), comment=comment_get_for_user(acting_membership(request), comment_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
