from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from billing.models import StripeEvent
from billing.payments import stripe_event_enqueue, stripe_event_process
from billing.services import grant_monthly_tokens as grant_monthly_tokens_service
from billing.stripe_client import TRANSIENT_STRIPE_ERRORS

# An event still unprocessed this long after it arrived lost its task (a broker outage, a worker
# killed mid-run) and is queued again, up to a few attempts; after that it waits for an operator.
STALE_EVENT_AFTER = dt.timedelta(minutes=10)
STALE_EVENT_MAX_ATTEMPTS = 5


@shared_task
def grant_monthly_tokens() -> int:
    """Hourly: grant each wallet its plan's tokens for the current month, once."""
    return grant_monthly_tokens_service()


@shared_task(
    autoretry_for=TRANSIENT_STRIPE_ERRORS, retry_backoff=5, retry_backoff_max=600, retry_jitter=True, max_retries=8
)
def process_stripe_event(stripe_event_id: int) -> None:
    """Process one stored webhook event (idempotent: a processed one is skipped)."""
    stripe_event_process(event_id=stripe_event_id)


@shared_task
def requeue_stale_stripe_events() -> int:
    """Every few minutes: queue again the events whose processing was lost; returns how many."""
    stale = StripeEvent.objects.filter(
        processed_at__isnull=True,
        refused_at__isnull=True,  # refused on purpose: a retry would refuse it again
        received_at__lt=timezone.now() - STALE_EVENT_AFTER,
        attempts__lt=STALE_EVENT_MAX_ATTEMPTS,
    ).order_by("pk")[:500]
    count = 0
    for event in stale:
        stripe_event_enqueue(event)
        count += 1
    return count
