"""Reading recut jobs: a member sees their workspace's, anyone else gets 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from videos.models import Comparison, RecutJob
from workspaces.models import Membership


def recut_jobs_for_user(member: Membership) -> QuerySet[RecutJob]:
    return RecutJob.objects.filter(workspace_id=member.workspace_id)


def recut_job_get_for_user(member: Membership, pk: int | str) -> RecutJob:
    try:
        return recut_jobs_for_user(member).get(pk=int(pk))
    except (RecutJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such recut.") from None


def recut_jobs_of_comparison(comparison: Comparison) -> QuerySet[RecutJob]:
    return RecutJob.objects.filter(comparison=comparison)
