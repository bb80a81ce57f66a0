"""Reads for projects. Access lives here: another workspace's project is a 404."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from videos.models import Comparison, Project, Video, VideoStack
from videos.selectors import comparisons_for_user, videos_for_user
from videos.versions.selectors import stacks_for_user, without_older_versions
from workspaces.models import Membership


def projects_for_user(member: Membership, *, deleted: bool = False) -> QuerySet[Project]:
    """The live projects of `member`'s workspace, by name (`deleted`: those in the trash,
    most recently deleted first)."""
    projects = Project.objects.filter(workspace_id=member.workspace_id, deleted_at__isnull=not deleted)
    return projects.order_by("-deleted_at", "pk") if deleted else projects


def project_get_for_user(member: Membership, pk: int | str, *, deleted: bool = False) -> Project:
    """A live project of the acting workspace (`deleted`: one in the trash, to restore it)."""
    try:
        return projects_for_user(member, deleted=deleted).get(pk=int(pk))
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


def projects_with_counts(member: Membership) -> QuerySet[Project]:
    """The live projects with their `video_count`, by name."""
    return with_video_counts(projects_for_user(member))


def top_level_count(member: Membership) -> int:
    """How many library entries are in no project."""
    return without_older_versions(videos_for_user(member).filter(project__isnull=True)).count()


def project_videos(member: Membership, project: Project) -> QuerySet[Video]:
    """The project's videos as the library lists them: each stack once, through its newest version."""
    return without_older_versions(videos_for_user(member).filter(project=project)).order_by("-created_at", "-pk")


def project_stacks(member: Membership, project: Project) -> QuerySet[VideoStack]:
    return stacks_for_user(member).filter(project=project)


def project_comparisons(member: Membership, project: Project) -> QuerySet[Comparison]:
    return comparisons_for_user(member).filter(project=project).order_by("-created_at", "-pk")
