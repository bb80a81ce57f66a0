"""Reads for projects. Access lives here: another workspace's project is a 404."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from accounts.models import User
from videos.compare.selectors import comparisons_for_user
from videos.models import Comparison, Project, Video, VideoStack
from videos.selectors import videos_for_user
from videos.versions.selectors import stacks_for_user, without_older_versions
from workspaces.current import acting_workspace_id


def projects_for_user(user: User, *, deleted: bool = False) -> QuerySet[Project]:
    """The live projects of the workspace `user` acts in, by name (`deleted`: those in the trash,
    most recently deleted first)."""
    projects = Project.objects.filter(workspace_id=acting_workspace_id(user), deleted_at__isnull=not deleted)
    return projects.order_by("-deleted_at", "pk") if deleted else projects


def project_get_for_user(user: User, pk: int | str, *, deleted: bool = False) -> Project:
    """A live project of the acting workspace (`deleted`: one in the trash, to restore it)."""
    try:
        return projects_for_user(user, deleted=deleted).get(pk=int(pk))
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404("No such project.") from None


def with_video_counts(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Each project with `video_count`, how many library entries it holds (a stack counts once, as
    the library shows it), in the same query."""
    counted = projects.annotate(
        video_count=Count("videos", filter=Q(videos__stack__isnull=True), distinct=True)
        + Count("stacks", distinct=True)
    )
    return counted.order_by(Lower("name"), "pk")  # a grouped query drops the model's default order


def projects_with_counts(user: User) -> QuerySet[Project]:
    """The live projects with their `video_count`, by name."""
    return with_video_counts(projects_for_user(user))


def top_level_count(user: User) -> int:
    """How many library entries are in no project."""
    return without_older_versions(videos_for_user(user).filter(project__isnull=True)).count()


def project_videos(user: User, project: Project) -> QuerySet[Video]:
    """The project's videos as the library lists them: each stack once, through its newest version."""
    return without_older_versions(videos_for_user(user).filter(project=project)).order_by("-created_at", "-pk")


def project_stacks(user: User, project: Project) -> QuerySet[VideoStack]:
    return stacks_for_user(user).filter(project=project)


def project_comparisons(user: User, project: Project) -> QuerySet[Comparison]:
    return comparisons_for_user(user).filter(project=project).order_by("-created_at", "-pk")
