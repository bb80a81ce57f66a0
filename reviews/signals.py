"""A deleted link closes its open pages, as a revoked one does (deletes come by cascade: the
comparison, the video or the owner went)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from reviews.live import push_link_closed
from reviews.models import ShareLink


@receiver(post_delete, sender=ShareLink, dispatch_uid="reviews.share_link_deleted")
def share_link_deleted(sender: type[ShareLink], instance: ShareLink, **kwargs: Any) -> None:
    push_link_closed(instance.pk)
