"""Make or update the plans' and token packs' Products and Prices in Stripe (billing.catalogue)."""

from __future__ import annotations

from typing import Any

import stripe
from django.core.management.base import BaseCommand, CommandError

from billing.catalogue import catalogue_sync
from billing.stripe_client import payments_configured


class Command(BaseCommand):
    help = (
        "Create or update the paid plans' and token packs' Stripe Products and Prices by lookup key "
        "(idempotent), and store their ids. Does nothing when payments are not configured."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not payments_configured():
            if options["verbosity"] > 1:
                self.stdout.write(
                    "Payments are not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET): nothing to do."
                )
            return
        try:
            lines = catalogue_sync()
        except stripe.StripeError as error:
            raise CommandError(f"Stripe refused the catalogue: {error.user_message or error}") from error
        for line in lines:
            self.stdout.write(f"{line.what}: {line.action}, {line.amount} ({line.lookup_key} = {line.price_id})")
        made = sum(1 for line in lines if line.action != "unchanged")
        summary = f"Stripe catalogue: {made} new price{'' if made == 1 else 's'}, {len(lines) - made} unchanged."
        self.stdout.write(self.style.SUCCESS(summary))
