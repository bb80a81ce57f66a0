from __future__ import annotations

from celery import shared_task

from billing.services import grant_monthly_tokens as grant_monthly_tokens_service


@shared_task
def grant_monthly_tokens() -> int:
    """Hourly: grant each wallet its plan's tokens for the current month, once."""
    return grant_monthly_tokens_service()
