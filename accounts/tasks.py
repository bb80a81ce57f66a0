from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions() -> None:
    """Daily: drop expired sessions so the table does not grow without bound."""
    call_command("clearsessions")
