from __future__ import annotations

from celery import shared_task

from review_sessions.services import participants_gone_quiet, sessions_end_due


@shared_task
def count_out_quiet_participants() -> int:
    """Every 15 s (beat): participants whose web process stopped keeping them seen (it crashed, or
    was killed) are counted out, so the others see a presenter gone within STALE_AFTER and this
    period (45 s), and the session pauses. Returns how many."""
    return participants_gone_quiet()


@shared_task
def end_review_sessions() -> int:
    """Every minute (beat): participants whose pages stopped pinging are counted out (a crashed web
    process's), then sessions past their limit or idle end, and their pages hear it. Idempotent.
    Returns how many sessions it ended."""
    participants_gone_quiet()
    return sessions_end_due()
