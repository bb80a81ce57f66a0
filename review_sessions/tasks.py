from __future__ import annotations

from celery import shared_task

from review_sessions.services import sessions_end_due


@shared_task
def end_review_sessions() -> int:
    """Every minute (beat): sessions past their limit or idle end, and their pages hear it. Idempotent."""
    return sessions_end_due()
