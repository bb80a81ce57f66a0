"""A deleted link closes its open pages, as a revoked one does (deletes come by cascade: the
comparison, the video or the owner went); a video that leaves a project (moved out, deleted, or
the project trashed) closes the pages of it that the project's links opened."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from reviews.live import push_link_closed, push_project_closed, push_videos_left
from reviews.models import ShareLink
from videos.models import Project, Video
from videos.signals import videos_left_project


@receiver(post_delete, sender=ShareLink, dispatch_uid="reviews.share_link_deleted")
def share_link_deleted(sender: type[ShareLink], instance: ShareLink, **kwargs: Any) -> None:
    push_link_closed(instance.pk)


@receiver(videos_left_project, dispatch_uid="reviews.videos_left_project")
def videos_left(sender: type[Project], project_id: int, video_ids: list[int], **kwargs: Any) -> None:
    push_videos_left(project_id, video_ids)
    if Project.objects.filter(pk=project_id, deleted_at__isnull=False).exists():
        push_project_closed(project_id)  # the project's own page, which shows no one video


@receiver(post_delete, sender=Video, dispatch_uid="reviews.project_video_deleted")
def project_video_deleted(sender: type[Video], instance: Video, **kwargs: Any) -> None:
    if instance.project_id is not None:
        push_videos_left(instance.project_id, [instance.pk])
