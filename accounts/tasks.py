from __future__ import annotations

from celery import shared_task
from django.core.management import call_command

from accounts.services import extension_connects_prune


@shared_task
def clear_expired_sessions() -> None:
    """Daily: drop expired sessions, and extension connect requests that ended without a token, so
    neither table grows without bound."""
    call_command("clearsessions")
    extension_connects_prune()
