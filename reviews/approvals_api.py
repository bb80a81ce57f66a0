"""`/api/v1/…/review-status`: a version's (video's) or a comparison's review status, who set it and
when, and its history; set by members whose role may comment, and by guests of a link that allows it.

Members (session or API token: reads `read`, writes `videos:write`): `GET|PUT videos/{id}/review-status`,
`GET|PUT comparisons/{id}/review-status`. Guests (no account; the token is the path's):
`GET|PUT shared/{token}/review-status` (a stack's link: its newest version's; a project's link: the
video or comparison its `?video=` or `?comparison=` names, one of the project's).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from reviews.access import share_link_for_request
from reviews.approvals import (
    StatusOff,
    review_status_set_by_guest,
    review_status_set_by_member,
    status_history,
    status_json,
    status_rate_check,
    status_target_of_link,
)
from reviews.comments import AUTHOR_NAME_MAX
from reviews.comments_api import PROJECT_TARGET_PARAMETERS, shown_of_request
from reviews.live import can_set_status
from reviews.models import ShareLink
from reviews.services import share_link_opened
from sage.api.errors import error_responses
from sage.api.fields import TextField
from sage.client_address import address_bucket, client_address
from sage.errors import NotFound
from videos.compare.selectors import comparison_get_for_user
from videos.models import Comparison, ReviewStatus, Video
from videos.selectors import video_get_for_user
from workspaces.current import acting_membership
from workspaces.doors import NOT_WORKSPACE_WORK

_VIDEO_ID = OpenApiParameter("video_id", int, OpenApiParameter.PATH, description="The video's id.")
_COMPARISON_ID = OpenApiParameter("comparison_id", int, OpenApiParameter.PATH, description="The comparison's id.")
_TOKEN = OpenApiParameter("token", str, OpenApiParameter.PATH, description="The share link's token (from its URL).")
_PASSWORD = OpenApiParameter(
    "X-Share-Password", str, OpenApiParameter.HEADER, description="The link's password, when it has one."
)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class StatusChangeOutput(serializers.Serializer[Any]):
    from_status = serializers.ChoiceField(choices=ReviewStatus.choices)
    to_status = serializers.ChoiceField(choices=ReviewStatus.choices)
    # The metaclass takes declared fields out of the class: this shadows no serializer attribute.
    label = serializers.CharField(help_text="The new status as pages say it.")  # type: ignore[assignment]
    by_name = serializers.CharField(help_text="Who set it: a member's name, or the name a guest gave.")
    by_guest = serializers.BooleanField(help_text="Set by a guest of a share link, not a member.")
    at = serializers.DateTimeField()
    link_name = serializers.CharField(
        allow_null=True, required=False, help_text="Members only: the share link a guest came through."
    )


class StatusOutput(serializers.Serializer[Any]):
    """The schema of `reviews.approvals.status_json` (one shape for the API and the sockets)."""

    target = serializers.ChoiceField(choices=["video", "comparison"])
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # as in StatusChangeOutput
    changed_by = serializers.CharField(allow_null=True, help_text="Who set the current status; null: nobody yet.")
    changed_at = serializers.DateTimeField(allow_null=True)
    history = StatusChangeOutput(many=True, help_text="Changes, newest first (at most 50).")

    def to_representation(self, instance: Any) -> Any:
        return instance  # already the shape (status_json); the serializer is the schema


class StatusInput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ReviewStatus.choices)


class GuestStatusInput(StatusInput):
    author_name = TextField(max_length=AUTHOR_NAME_MAX, name=True, help_text="The guest's name, as for comments.")


def _answer(target: Video | Comparison, *, guest_view: bool) -> Response:
    # Read again: a PUT answered with what is stored now, its history row included.
    target.refresh_from_db(fields=["review_status"])
    return Response(status_json(target, status_history(target), guest_view=guest_view))


def _member_put(request: Request, target: Video | Comparison) -> Response:
    given = StatusInput(data=request.data)
    given.is_valid(raise_exception=True)
    review_status_set_by_member(member=acting_membership(request), target=target, status=given.validated_data["status"])
    return _answer(target, guest_view=False)


_PUT_DESCRIPTION = (
    "Needs a role that may comment in the workspace acted in (viewers: 403). The same status again "
    "changes and records nothing. A change goes out live to the owner's pages and to the shared pages "
    "of the links that show it."
)


class VideoReviewStatusApi(APIView):
    workspace_actions = {"GET": "video.view", "PUT": "review_status.set"}

    @extend_schema(
        parameters=[_VIDEO_ID],
        responses={200: StatusOutput, **error_responses(404)},
        summary="A version's review status and its history",
    )
    def get(self, request: Request, video_id: int) -> Response:
        return _answer(video_get_for_user(acting_membership(request), video_id), guest_view=False)

    @extend_schema(
        parameters=[_VIDEO_ID],
        request=StatusInput,
        responses={200: StatusOutput, **error_responses(400, 403, 404)},
        summary="Set a version's review status",
        description=_PUT_DESCRIPTION,
    )
    def put(self, request: Request, video_id: int) -> Response:
        return _member_put(request, video_get_for_user(acting_membership(request), video_id))


class ComparisonReviewStatusApi(APIView):
    workspace_actions = {"GET": "video.view", "PUT": "review_status.set"}

    @extend_schema(
        parameters=[_COMPARISON_ID],
        responses={200: StatusOutput, **error_responses(404)},
        summary="A comparison's review status and its history",
    )
    def get(self, request: Request, comparison_id: int) -> Response:
        return _answer(comparison_get_for_user(acting_membership(request), comparison_id), guest_view=False)

    @extend_schema(
        parameters=[_COMPARISON_ID],
        request=StatusInput,
        responses={200: StatusOutput, **error_responses(400, 403, 404)},
        summary="Set a comparison's review status",
        description=_PUT_DESCRIPTION,
    )
    def put(self, request: Request, comparison_id: int) -> Response:
        return _member_put(request, comparison_get_for_user(acting_membership(request), comparison_id))


class GuestStatusOutput(StatusOutput):
    can_set_status = serializers.BooleanField(help_text="Whether this link lets its guests set the status now.")


class SharedReviewStatusApi(APIView):
    """No account: the link is the capability (`reviews.access`), as for guests' comments. No session
    authentication, so no CSRF token: a cross-site page cannot send a JSON PUT without CORS."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    workspace_actions = dict.fromkeys(("GET", "PUT"), NOT_WORKSPACE_WORK)  # a link's guest: the link decides
    link_actions = {"GET": "video.view", "PUT": "review_status.set"}

    def _link(self, request: Request, token: str) -> ShareLink:
        link = share_link_for_request(request, token)
        share_link_opened(link=link)
        return link

    def _answer(self, link: ShareLink, target: Video | Comparison) -> Response:
        answer = _answer(target, guest_view=True).data
        return Response({**answer, "can_set_status": can_set_status(link)})

    @extend_schema(
        parameters=[_TOKEN, *PROJECT_TARGET_PARAMETERS, _PASSWORD],
        responses={200: GuestStatusOutput, **error_responses(400, 403, 404)},
        summary="The review status of what a shared link shows (guest)",
        description="A stack's link: its newest version's; a project's link: its `video`'s or `comparison`'s. "
        "Also says `can_set_status`.",
    )
    def get(self, request: Request, token: str) -> Response:
        link = self._link(request, token)
        shown = shown_of_request(link, request)
        try:
            target = status_target_of_link(link, shown)
        except Http404:  # a stack with no version left
            raise NotFound() from None
        return self._answer(link, target)

    @extend_schema(
        parameters=[_TOKEN, *PROJECT_TARGET_PARAMETERS, _PASSWORD],
        request=GuestStatusInput,
        responses={200: GuestStatusOutput, **error_responses(400, 403, 404, 429)},
        summary="Set the review status through a shared link (guest)",
        description="Needs a link that allows it (`allow_status`, with comments on; else 403 `status_off`). "
        "Rate-limited per link and per client address as comments are (429 with Retry-After). The same "
        "status again changes and records nothing.",
    )
    def put(self, request: Request, token: str) -> Response:
        link = self._link(request, token)
        if not can_set_status(link):  # before the input: a refusal says so, not what is missing
            raise StatusOff()
        shown = shown_of_request(link, request)
        status_rate_check(link=link, client=address_bucket(client_address(request)))
        given = GuestStatusInput(data=request.data)
        given.is_valid(raise_exception=True)
        target, _ = review_status_set_by_guest(
            link=link,
            status=given.validated_data["status"],
            author_name=given.validated_data["author_name"],
            shown=shown,
        )
        return self._answer(link, target)
