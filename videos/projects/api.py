"""`/api/v1/projects…`: a workspace's projects (list, create, rename, delete to the trash, restore)
and moving a video, a stack or a comparison into one (`…/move`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sage.api.errors import error_responses
from sage.api.fields import TextField
from sage.api.query import query_filters
from videos.compare.selectors import comparison_get_for_user
from videos.models import Project
from videos.projects.selectors import (
    project_get_for_user,
    projects_for_user,
    projects_with_counts,
    with_video_counts,
)
from videos.projects.services import (
    comparison_move,
    project_create,
    project_delete,
    project_rename,
    project_restore,
    stack_move,
    video_move,
)
from videos.selectors import video_get_for_user
from videos.versions.selectors import stack_get_for_user
from workspaces.current import acting_membership, acting_workspace_id
from workspaces.models import Membership

_PROJECT_ID = OpenApiParameter("project_id", int, OpenApiParameter.PATH, description="The project's id.")


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class ProjectOutput(serializers.ModelSerializer[Project]):
    video_count = serializers.IntegerField(read_only=True, help_text="Library entries in it (a stack counts once).")

    class Meta:
        model = Project
        fields = ["id", "name", "created_at", "created_by", "deleted_at", "video_count"]
        read_only_fields = fields


class ProjectInput(serializers.Serializer[Any]):
    name = TextField(max_length=100, name=True, help_text="Unique among the workspace's projects (case aside).")


class ProjectRenameInput(serializers.Serializer[Any]):
    name = TextField(
        required=False, max_length=100, name=True, help_text="The new name (absent: unchanged). Unique, case aside."
    )


def _output(project: Project) -> dict[str, Any]:
    """The project as the API shows it, with its count (one query: what a single answer costs)."""
    return dict(ProjectOutput(with_video_counts(Project.objects.filter(pk=project.pk)).get()).data)


class ProjectFilter(serializers.Serializer[Any]):
    deleted = serializers.BooleanField(required=False, help_text="true: list the trash (restorable) instead.")


class ProjectListApi(generics.ListAPIView[Project]):
    workspace_actions = {"GET": "video.view", "POST": "video.change"}
    serializer_class = ProjectOutput

    def get_queryset(self) -> QuerySet[Project]:
        filters = query_filters(ProjectFilter, self.request)
        if filters.get("deleted"):
            return with_video_counts(projects_for_user(acting_membership(self.request), deleted=True)).order_by(
                "-deleted_at", "pk"
            )
        return projects_with_counts(acting_membership(self.request))

    @extend_schema(
        parameters=[ProjectFilter],
        responses={200: ProjectOutput(many=True), **error_responses(400, 404)},
        summary="The workspace's projects",
        description="Live projects by name, each with its `video_count`; `?deleted=true`: the trash.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ProjectInput,
        responses={201: ProjectOutput, **error_responses(400, 403)},
        summary="Create a project",
    )
    def post(self, request: Request) -> Response:
        given = ProjectInput(data=request.data)
        given.is_valid(raise_exception=True)
        user = _user(request)
        project = project_create(
            user=user, workspace_id=acting_workspace_id(request), name=given.validated_data["name"]
        )
        return Response(_output(project), status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    workspace_actions = {"GET": "video.view", "PATCH": "video.change", "DELETE": "video.change"}

    @extend_schema(
        parameters=[_PROJECT_ID], responses={200: ProjectOutput, **error_responses(404)}, summary="A project"
    )
    def get(self, request: Request, project_id: int) -> Response:
        return Response(_output(project_get_for_user(acting_membership(request), project_id)))

    @extend_schema(
        parameters=[_PROJECT_ID],
        request=ProjectRenameInput,
        responses={200: ProjectOutput, **error_responses(400, 403, 404)},
        summary="Rename a project",
    )
    def patch(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(acting_membership(request), project_id)
        given = ProjectRenameInput(data=request.data)
        given.is_valid(raise_exception=True)
        if "name" in given.validated_data:
            project = project_rename(project=project, name=given.validated_data["name"], by=_user(request))
        return Response(_output(project))

    @extend_schema(
        parameters=[_PROJECT_ID],
        responses={204: None, **error_responses(403, 404)},
        summary="Delete a project (to the trash)",
        description="The project and everything in it (videos, stacks, comparisons) leave lists, search and the "
        "API, untouched, and its share links stop opening, until it is restored (`…/restore`). After "
        "PROJECT_TRASH_DAYS (30 by default) it is deleted for good with its contents.",
    )
    def delete(self, request: Request, project_id: int) -> Response:
        user = _user(request)
        member = acting_membership(request)
        project_delete(project=project_get_for_user(member, project_id), by=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectRestoreApi(APIView):
    workspace_actions = {"POST": "video.change"}

    @extend_schema(
        parameters=[_PROJECT_ID],
        request=None,
        responses={200: ProjectOutput, **error_responses(403, 404, 409)},
        summary="Take a project out of the trash",
        description="Everything in it comes back. Refused (409 `name_taken`) while another live project has its name.",
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(acting_membership(request), project_id, deleted=True)
        return Response(_output(project_restore(project=project, by=_user(request))))


class MoveInput(serializers.Serializer[Any]):
    project = serializers.IntegerField(
        allow_null=True, help_text="The project to move into (null: out of any project, to the workspace's top level)."
    )


class MoveOutput(serializers.Serializer[Any]):
    project = serializers.IntegerField(allow_null=True, help_text="Where it is now.")


def _destination(request: Request) -> Project | None:
    given = MoveInput(data=request.data)
    given.is_valid(raise_exception=True)
    project_id = given.validated_data["project"]
    # Another workspace's (or a deleted) project is "no such project" here too: a 404.
    return None if project_id is None else project_get_for_user(acting_membership(request), project_id)


def _moved(project: Project | None) -> Response:
    return Response(MoveOutput({"project": project.pk if project is not None else None}).data)


# The one handler of every move (`…/<kind>s/<id>/move`): the thing, found by its kind's access
# selector (another workspace's: 404), goes where the body says, by its kind's service. A kind names
# its path's id `<kind>_id` and its service's argument `<kind>`, as everywhere else.
class _MoveApi(APIView):
    workspace_actions = {"POST": "video.change"}
    kind: ClassVar[str]
    found: ClassVar[staticmethod[[Membership, int], Any]]
    move: ClassVar[staticmethod[..., None]]

    @extend_schema(request=MoveInput, responses={200: MoveOutput, **error_responses(400, 403, 404)})
    def post(self, request: Request, **path: int) -> Response:
        thing = type(self).found(acting_membership(request), path[f"{self.kind}_id"])
        project = _destination(request)
        type(self).move(**{self.kind: thing, "project": project, "by": _user(request)})
        return _moved(project)


def _move_schema(
    kind: str, what: str, summary: str, description: str | None = None
) -> Callable[[type[_MoveApi]], type[_MoveApi]]:
    """A move's schema: its path's id, what it does."""
    path_id = OpenApiParameter(f"{kind}_id", int, OpenApiParameter.PATH, description=f"The {what}'s id.")
    return extend_schema_view(post=extend_schema(parameters=[path_id], summary=summary, description=description))


@_move_schema(
    "video",
    "video",
    "Move a video into a project",
    "A version moves with its whole stack: a stack's versions are always in one project.",
)
class VideoMoveApi(_MoveApi):
    kind, found, move = "video", staticmethod(video_get_for_user), staticmethod(video_move)


@_move_schema("stack", "version stack", "Move a version stack (all its versions) into a project")
class StackMoveApi(_MoveApi):
    kind, found, move = "stack", staticmethod(stack_get_for_user), staticmethod(stack_move)


@_move_schema("comparison", "comparison", "Move a comparison into a project")
class ComparisonMoveApi(_MoveApi):
    kind, found, move = "comparison", staticmethod(comparison_get_for_user), staticmethod(comparison_move)
