"""Reads for comparisons. Access lives here: another workspace's comparison is a 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from videos.models import Comparison, Video
from videos.selectors import COMPARISONS_VISIBLE, SHARED_SAMPLE, comparisons_for_user, videos_for_user
from workspaces.models import Membership


def comparison_get_for_user(member: Membership, pk: int | str) -> Comparison:
    try:
        return comparisons_for_user(member).get(pk=int(pk))
    except (Comparison.DoesNotExist, ValueError, TypeError):
        raise Http404("No such comparison.") from None


def comparison_get_to_view(member: Membership, pk: int | str) -> Comparison:
    """My comparison, or the shared sample's, to look at (the page, the API's read, exports): never
    to change, delete or re-judge for keeps — those use `comparison_get_for_user`."""
    try:
        return (
            Comparison.objects.filter(Q(workspace_id=member.workspace_id) | SHARED_SAMPLE)
            .filter(COMPARISONS_VISIBLE)
            .select_related("video_a", "video_b")
            .get(pk=int(pk))
        )
    except (Comparison.DoesNotExist, ValueError, TypeError):
        raise Http404("No such comparison.") from None


def sample_comparison() -> Comparison | None:
    """The shared sample's comparison, once the site has made it (see videos/sample.py)."""
    return Comparison.objects.filter(SHARED_SAMPLE).select_related("video_a", "video_b").order_by("pk").first()


def comparable_videos(member: Membership) -> QuerySet[Video]:
    """The user's videos that can be compared: ready uploads with clip vectors."""
    return (
        videos_for_user(member)
        .filter(source=Video.Source.UPLOAD, status=Video.Status.READY)
        .exclude(backends__clips=None)
        .order_by("-created_at", "-pk")
    )
