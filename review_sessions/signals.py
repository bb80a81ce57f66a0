"""A session whose object went (deleted: the session rows go by cascade) closes its open sockets,
as an ended one does."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from review_sessions.live import SESSION_ENDED, push_to_session
from review_sessions.models import ReviewSession


@receiver(post_delete, sender=ReviewSession, dispatch_uid="review_sessions.session_deleted")
def review_session_deleted(sender: type[ReviewSession], instance: ReviewSession, **kwargs: Any) -> None:
    if instance.ended_at is None:
        push_to_session(instance.code, SESSION_ENDED, {"reason": ReviewSession.EndReason.GONE.value})
