"""Verify that every wallet's balance equals the sum of its ledger; exit 1 if any does not."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing.models import Wallet
from billing.selectors import wallets_with_wrong_balance


class Command(BaseCommand):
    help = "Check that each wallet's balance equals the sum of its ledger entries."

    def handle(self, *args: Any, **options: Any) -> None:
        wrong = list(wallets_with_wrong_balance())
        for wallet in wrong:
            self.stderr.write(
                f"Wallet {wallet.pk} ({wallet.holder}): balance {wallet.balance}, ledger sums to {wallet.ledger_sum}"  # type: ignore[attr-defined]
            )
        checked = Wallet.objects.count()
        if wrong:
            raise CommandError(f"{len(wrong)} of {checked} wallets do not match their ledger.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} wallets match their ledger."))
