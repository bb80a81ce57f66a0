"""Reads for comparisons. Ownership lives here: another user's comparison is a 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from videos.models import Comparison, Video


def comparisons_for_user(user: User) -> QuerySet[Comparison]:
    return Comparison.objects.filter(owner=user).select_related("video_a", "video_b")


def comparison_get_for_user(user: User, pk: int | str) -> Comparison:
    try:
        return comparisons_for_user(user).get(pk=int(pk))
    except (Comparison.DoesNotExist, ValueError, TypeError):
        raise Http404("No such comparison.") from None


def comparable_videos(user: User) -> QuerySet[Video]:
    """The user's videos that can be compared: ready uploads with clip vectors."""
    return (
        Video.objects.filter(owner=user, source=Video.Source.UPLOAD, status=Video.Status.READY)
        .exclude(backends__clips=None)
        .order_by("-created_at", "-pk")
    )
