"""Reads for videos and uploads. Ownership lives here: another user's object is a 404."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from videos.models import Upload, Video


def videos_for_user(user: User) -> QuerySet[Video]:
    return Video.objects.filter(owner=user)


def video_get_for_user(user: User, pk: int | str) -> Video:
    try:
        return videos_for_user(user).get(pk=int(pk))
    except (Video.DoesNotExist, ValueError, TypeError):
        raise Http404("No such video.") from None


def upload_get_for_user(user: User, pk: uuid.UUID | str) -> Upload:
    try:
        return Upload.objects.select_related("video").get(pk=uuid.UUID(str(pk)), owner=user)
    except (Upload.DoesNotExist, ValueError):
        raise Http404("No such upload.") from None
