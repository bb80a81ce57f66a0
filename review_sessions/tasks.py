from __future__ import annotations

from celery import shared_task

from review_sessions.services import participants_gone_quiet, sessions_end_due


@shared_task
def end_review_sessions() -> int:
    """Every minute (beat): participants whose pages stopped pinging are counted out (a crashed web
    process's), then sessions past their limit or idle end, and their pages hear it. Idempotent.
    Returns how many sessions it ended."""
    participants_gone_quiet()
    return sessions_end_due()
