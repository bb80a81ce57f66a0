"""`/api/v1/stacks…`: my version stacks, each with its versions and what changed between neighbours."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sage.api.errors import error_responses
from videos.models import Comparison, Video, VideoStack
from videos.versions.selectors import neighbour_comparisons, stack_get_for_user, stack_versions, stacks_for_user
from workspaces.current import acting_membership

_STACK_ID = OpenApiParameter("stack_id", int, OpenApiParameter.PATH, description="The stack's id.")


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class StackOutput(serializers.ModelSerializer[VideoStack]):
    version_count = serializers.IntegerField(read_only=True, help_text="Versions in the stack now.")
    newest_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The highest version number in the stack."
    )

    class Meta:
        model = VideoStack
        fields = ["id", "title", "created_at", "version_count", "newest_version", "project"]
        read_only_fields = fields


class VersionOutput(serializers.ModelSerializer[Video]):
    class Meta:
        model = Video
        fields = ["id", "version", "status", "title", "created_at", "ready_at"]
        read_only_fields = fields


class NeighbourComparisonOutput(serializers.ModelSerializer[Comparison]):
    version_a = serializers.IntegerField(source="video_a.version", read_only=True, help_text="A's version number.")
    version_b = serializers.IntegerField(source="video_b.version", read_only=True, help_text="B's version number.")
    counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Differences by kind and severity."
    )

    class Meta:
        model = Comparison
        fields = ["id", "video_a", "video_b", "version_a", "version_b", "similarity", "counts", "verified", "summary"]
        read_only_fields = fields


class StackDetailOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    versions = VersionOutput(many=True, help_text="Oldest (v1) first.")
    comparisons = NeighbourComparisonOutput(
        many=True,
        help_text="Each ready version against the ready version before it (cuts alignment), made automatically; "
        "a pair not compared yet is absent.",
    )


class StackListApi(generics.ListAPIView[VideoStack]):
    workspace_actions = {"GET": "video.view"}
    serializer_class = StackOutput

    def get_queryset(self) -> QuerySet[VideoStack]:
        return (
            stacks_for_user(acting_membership(self.request))
            .annotate(version_count=Count("versions"), newest_version=Max("versions__version"))
            .order_by("-created_at", "-pk")
        )

    @extend_schema(responses={200: StackOutput(many=True), **error_responses(400, 404)}, summary="My version stacks")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StackDetailApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[_STACK_ID],
        responses={200: StackDetailOutput, **error_responses(404)},
        summary="A version stack: its versions and what changed between neighbours",
    )
    def get(self, request: Request, stack_id: int) -> Response:
        stack = stack_get_for_user(acting_membership(request), stack_id)
        versions = stack_versions(stack)
        body = {
            "id": stack.pk,
            "title": stack.title,
            "created_at": stack.created_at,
            "versions": versions,
            "comparisons": neighbour_comparisons(versions),
        }
        return Response(StackDetailOutput(body).data)
