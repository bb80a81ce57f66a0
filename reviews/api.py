"""`/api/v1/…/share-links`: list, create, change, revoke and rotate the share links of an object.

Every member reads a link's name, settings and state; its URL (a capability: whoever holds it opens
the object) only members whose role may share (`share_link.read_url` in `workspaces.policy`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from reviews.models import ShareLink
from reviews.presenters import share_link_state, share_link_url
from reviews.selectors import share_link_get_for_user, share_links_for_object
from reviews.services import NAME_MAX, share_link_create, share_link_revoke, share_link_rotate, share_link_update
from sage.api.errors import error_responses
from sage.api.fields import FlagField, TextField
from videos.compare.selectors import comparison_get_for_user
from videos.models import Comparison, Project, Video, VideoStack
from videos.projects.selectors import project_get_for_user
from videos.selectors import video_get_for_user
from videos.versions.selectors import stack_get_for_user
from workspaces.current import acting_membership, request_actor
from workspaces.policy import Member, may, require

# Sharing decides who sees the videos: the scope that changes them.
_COMPARISON_ID = OpenApiParameter("comparison_id", int, OpenApiParameter.PATH, description="The comparison's id.")
_VIDEO_ID = OpenApiParameter("video_id", int, OpenApiParameter.PATH, description="The video's id.")
_LINK_ID = OpenApiParameter("link_id", int, OpenApiParameter.PATH, description="The share link's id.")


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _actor(request: Request) -> Member:
    return request_actor(request)


def _shown(request: Request, workspace_id: int) -> dict[str, Any]:
    """The output's context: whether this member may read links' URLs in `workspace_id`."""
    with_url = may(_actor(request), "share_link.read_url", workspace_id=workspace_id)
    return {"request": request, "with_url": with_url}


def _output(request: Request, link: ShareLink) -> dict[str, Any]:
    return ShareLinkOutput(link, context=_shown(request, link.workspace_id)).data


class ShareLinkCreateInput(serializers.Serializer[Any]):
    # Not trimmed here: the length the schema states is the length checked (the service strips).
    name = TextField(
        max_length=NAME_MAX,
        trim_whitespace=False,
        require_text=True,
        name=True,
        help_text="Who or what the link is for, as the owner sees it.",
    )
    permission = serializers.ChoiceField(
        choices=ShareLink.Permission.choices,
        default=ShareLink.Permission.VIEW,
        help_text="`view`: watch only; `comment`: reviewers may also comment.",
    )
    show_owner_notes = FlagField(default=False, help_text="Show the owner's notes on the shared page.")
    allow_status = FlagField(
        default=False,
        help_text="Reviewers may also set the review status (with `comment` permission only): a stack's link "
        "sets its newest version's.",
    )
    allow_sessions = FlagField(
        default=False,
        help_text="Reviewers may join and start live review sessions (with `comment` permission only; not on a "
        "project's link).",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the link stops working (none: never)."
    )
    password = TextField(
        required=False,
        allow_blank=True,
        default="",
        max_length=128,
        write_only=True,
        trim_whitespace=False,
        help_text="Asked of whoever opens the link (empty: none). Stored hashed, never shown again.",
    )


class ShareLinkOutput(serializers.ModelSerializer[ShareLink]):
    url = serializers.SerializerMethodField(
        help_text="The link to send: anyone holding it opens the object without an account. Null for members "
        "whose role may not share (viewers, commenters), and if it can no longer be read back (the server's "
        "secret key changed; it still works for its holders)."
    )
    state = serializers.SerializerMethodField(help_text="`active`, `revoked` or `expired`.")
    has_password = serializers.BooleanField(read_only=True)

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "name",
            "comparison",
            "video",
            "stack",
            "project",
            "permission",
            "show_owner_notes",
            "allow_status",
            "allow_sessions",
            "has_password",
            "expires_at",
            "created_at",
            "last_opened_at",
            "revoked_at",
            "state",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, link: ShareLink) -> str | None:
        if not self.context.get("with_url", False):
            return None
        return share_link_url(self.context["request"], link)

    def get_state(self, link: ShareLink) -> str:
        return share_link_state(link)


def _list(request: Request, shared: Comparison | Video | VideoStack | Project) -> Response:
    require(_actor(request), "share_link.view", workspace_id=shared.workspace_id)
    links = share_links_for_object(acting_membership(request), shared)
    return Response(ShareLinkOutput(links, many=True, context=_shown(request, shared.workspace_id)).data)


def _create(request: Request, shared: Comparison | Video | VideoStack | Project) -> Response:
    require(_actor(request), "share_link.manage", workspace_id=shared.workspace_id)
    given = ShareLinkCreateInput(data=request.data)
    given.is_valid(raise_exception=True)
    link, _ = share_link_create(member=acting_membership(request), shared=shared, **given.validated_data)
    return Response(_output(request, link), status=status.HTTP_201_CREATED)


def _link_to_manage(request: Request, link_id: int) -> ShareLink:
    link = share_link_get_for_user(acting_membership(request), link_id)
    require(_actor(request), "share_link.manage", workspace_id=link.workspace_id)
    return link


class ComparisonShareLinksApi(APIView):
    workspace_actions = {"GET": "share_link.view", "POST": "share_link.manage"}

    @extend_schema(
        parameters=[_COMPARISON_ID],
        responses={200: ShareLinkOutput(many=True), **error_responses(404)},
        summary="A comparison's share links",
    )
    def get(self, request: Request, comparison_id: int) -> Response:
        return _list(request, comparison_get_for_user(acting_membership(request), comparison_id))

    @extend_schema(
        parameters=[_COMPARISON_ID],
        request=ShareLinkCreateInput,
        responses={201: ShareLinkOutput, **error_responses(400, 403, 404)},
        summary="Share a comparison by link",
    )
    def post(self, request: Request, comparison_id: int) -> Response:
        return _create(request, comparison_get_for_user(acting_membership(request), comparison_id))


class VideoShareLinksApi(APIView):
    workspace_actions = {"GET": "share_link.view", "POST": "share_link.manage"}

    @extend_schema(
        parameters=[_VIDEO_ID],
        responses={200: ShareLinkOutput(many=True), **error_responses(404)},
        summary="A video's share links",
    )
    def get(self, request: Request, video_id: int) -> Response:
        return _list(request, video_get_for_user(acting_membership(request), video_id))

    @extend_schema(
        parameters=[_VIDEO_ID],
        request=ShareLinkCreateInput,
        responses={201: ShareLinkOutput, **error_responses(400, 403, 404)},
        summary="Share a video by link",
    )
    def post(self, request: Request, video_id: int) -> Response:
        return _create(request, video_get_for_user(acting_membership(request), video_id))


# --- a version stack's links: each shows the newest version against the one before, as versions come


_STACK_ID = OpenApiParameter("stack_id", int, OpenApiParameter.PATH, description="The version stack's id.")


class StackShareLinksApi(APIView):
    workspace_actions = {"GET": "share_link.view", "POST": "share_link.manage"}

    @extend_schema(
        parameters=[_STACK_ID],
        responses={200: ShareLinkOutput(many=True), **error_responses(404)},
        summary="A version stack's share links",
    )
    def get(self, request: Request, stack_id: int) -> Response:
        return _list(request, stack_get_for_user(acting_membership(request), stack_id))

    @extend_schema(
        parameters=[_STACK_ID],
        request=ShareLinkCreateInput,
        responses={201: ShareLinkOutput, **error_responses(400, 403, 404)},
        summary="Share a version stack by link",
        description="The link shows the stack's newest ready version against the ready version before it, and "
        "follows new versions as they are uploaded and compared.",
    )
    def post(self, request: Request, stack_id: int) -> Response:
        return _create(request, stack_get_for_user(acting_membership(request), stack_id))


_PROJECT_ID = OpenApiParameter("project_id", int, OpenApiParameter.PATH, description="The project's id.")


class ProjectShareLinksApi(APIView):
    workspace_actions = {"GET": "share_link.view", "POST": "share_link.manage"}

    @extend_schema(
        parameters=[_PROJECT_ID],
        responses={200: ShareLinkOutput(many=True), **error_responses(404)},
        summary="A project's share links",
    )
    def get(self, request: Request, project_id: int) -> Response:
        return _list(request, project_get_for_user(acting_membership(request), project_id))

    @extend_schema(
        parameters=[_PROJECT_ID],
        request=ShareLinkCreateInput,
        responses={201: ShareLinkOutput, **error_responses(400, 403, 404)},
        summary="Share a project by link",
        description="The link lists the project's videos (a stack's newest version) and opens each as a video's "
        "link does, watching only: comments and review statuses go through links to one object. It reaches "
        "nothing outside the project, and stops opening while the project is deleted.",
    )
    def post(self, request: Request, project_id: int) -> Response:
        return _create(request, project_get_for_user(acting_membership(request), project_id))


class ShareLinkUpdateInput(serializers.Serializer[Any]):
    permission = serializers.ChoiceField(
        choices=ShareLink.Permission.choices,
        required=False,
        help_text="`view` turns comments off (open pages hear it at once); `comment` turns them on.",
    )
    # A name of spaces only is refused by the service (it strips), so the schema says so too.
    name = TextField(required=False, max_length=NAME_MAX, trim_whitespace=False, require_text=True, name=True)
    show_owner_notes = FlagField(required=False)
    allow_status = FlagField(
        required=False, help_text="Reviewers may set the review status (with `comment` permission only)."
    )
    allow_sessions = FlagField(
        required=False,
        help_text="Reviewers may join live review sessions (with `comment` permission only). Turned off, or "
        "comments turned off, the link's guests leave their open sessions at once.",
    )


class ShareLinkDetailApi(APIView):
    workspace_actions = {"GET": "share_link.view", "PATCH": "share_link.manage"}

    @extend_schema(parameters=[_LINK_ID], responses={200: ShareLinkOutput, **error_responses(404)}, summary="A link")
    def get(self, request: Request, link_id: int) -> Response:
        link = share_link_get_for_user(acting_membership(request), link_id)
        require(_actor(request), "share_link.view", workspace_id=link.workspace_id)
        return Response(_output(request, link))

    @extend_schema(
        parameters=[_LINK_ID],
        request=ShareLinkUpdateInput,
        responses={200: ShareLinkOutput, **error_responses(400, 403, 404)},
        summary="Change a link: comments or review status on or off, its name, the owner's notes shown",
    )
    def patch(self, request: Request, link_id: int) -> Response:
        link = _link_to_manage(request, link_id)
        given = ShareLinkUpdateInput(data=request.data)
        given.is_valid(raise_exception=True)
        link = share_link_update(link=link, **given.validated_data)
        return Response(_output(request, link))


class ShareLinkRevokeApi(APIView):
    workspace_actions = {"POST": "share_link.manage"}

    @extend_schema(
        parameters=[_LINK_ID],
        request=None,
        responses={200: ShareLinkOutput, **error_responses(403, 404)},
        summary="Revoke a link (at once; again: no change)",
    )
    def post(self, request: Request, link_id: int) -> Response:
        link = share_link_revoke(link=_link_to_manage(request, link_id), by=_user(request))
        return Response(_output(request, link))


class ShareLinkRotateApi(APIView):
    workspace_actions = {"POST": "share_link.manage"}

    @extend_schema(
        parameters=[_LINK_ID],
        request=None,
        responses={200: ShareLinkOutput, **error_responses(403, 404, 409)},
        summary="Give a link a new URL (the old one stops at once)",
        description="A new token for the same link, in one step: its name, settings, comments and review "
        "status stay, the old URL opens nothing from now on and pages opened by it close. `url` is the new "
        "link to send. A revoked or expired link: 409 `link_not_live`.",
    )
    def post(self, request: Request, link_id: int) -> Response:
        link, _ = share_link_rotate(link=_link_to_manage(request, link_id), by=_user(request))
        return Response(_output(request, link))
