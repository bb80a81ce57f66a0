"""A deleted link closes its open pages, as a revoked one does (deletes come by cascade: the
comparison, the video or the owner went); a video or comparison that leaves a project (moved out,
deleted, or the project trashed) closes the pages of it that the project's links opened.

A comment saved with a drawing (whichever path saved it: a guest's, a member's, a session's) has its
still made ahead by a task (`reviews.stills.still_request`), so the list's thumbnails and the exports
find it stored; a save that changes its drawing, side or time makes the new one."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from reviews.live import push_left_project, push_link_closed, push_project_closed
from reviews.models import Comment, ShareLink
from reviews.stills import still_request
from videos.models import Comparison, Project, Video
from videos.signals import left_project


@receiver(post_delete, sender=ShareLink, dispatch_uid="reviews.share_link_deleted")
def share_link_deleted(sender: type[ShareLink], instance: ShareLink, **kwargs: Any) -> None:
    push_link_closed(instance.pk)


# What a still shows: a save that touches none of these (resolving) needs no new one.
_STILL_FIELDS = frozenset({"drawing", "side", "start", "comparison", "video"})


@receiver(post_save, sender=Comment, dispatch_uid="reviews.comment_still")
def comment_saved(
    sender: type[Comment], instance: Comment, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    if instance.drawing is None or (update_fields is not None and not _STILL_FIELDS & update_fields):
        return
    still_request(instance)


@receiver(left_project, dispatch_uid="reviews.left_project")
def things_left_project(
    sender: type[Project],
    project_id: int,
    video_ids: list[int],
    comparison_ids: list[int],
    trashed: bool,
    **kwargs: Any,
) -> None:
    push_left_project(project_id, video_ids=video_ids, comparison_ids=comparison_ids)
    if trashed:
        push_project_closed(project_id)  # the project's own page too, which shows no one thing


@receiver(post_delete, sender=Video, dispatch_uid="reviews.project_video_deleted")
def project_video_deleted(sender: type[Video], instance: Video, **kwargs: Any) -> None:
    if instance.project_id is not None:
        push_left_project(instance.project_id, video_ids=[instance.pk], comparison_ids=[])


@receiver(post_delete, sender=Comparison, dispatch_uid="reviews.project_comparison_deleted")
def project_comparison_deleted(sender: type[Comparison], instance: Comparison, **kwargs: Any) -> None:
    if instance.project_id is not None:
        push_left_project(instance.project_id, video_ids=[], comparison_ids=[instance.pk])
