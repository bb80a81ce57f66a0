"""Billing's periodic and queued work. The Stripe event tasks live beside what they run, in
billing.stripe_events (under these names), and are imported here for Celery's autodiscovery."""

from __future__ import annotations

from celery import shared_task

from billing.ledger import grant_monthly_tokens as grant_monthly_tokens_service
from billing.stripe_events import process_stripe_event, requeue_stale_stripe_events

__all__ = ["grant_monthly_tokens", "process_stripe_event", "requeue_stale_stripe_events"]


@shared_task
def grant_monthly_tokens() -> int:
    """Hourly: grant each wallet its plan's tokens for the current month, once."""
    return grant_monthly_tokens_service()
