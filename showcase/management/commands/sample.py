"""`manage.py sample`: make the shared sample every account can open (once; a worker processes it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from showcase.services import sample_ensure

MESSAGES = {
    "ready": "The shared sample is ready.",
    "processing": "The shared sample's videos are being processed; its comparison follows.",
    "started": "The shared sample's videos were made and queued; a worker processes them in about a minute.",
}


class Command(BaseCommand):
    help = "Make the shared, read-only sample comparison every account can open (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        status = sample_ensure()
        self.stdout.write(MESSAGES[status.state])
