"""Reads for billing: a user's wallet, holds, ledger and usage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from billing.models import Hold, LedgerEntry, Plan, Wallet

# Kinds that spend tokens (negative) or give spent tokens back (positive).
SPENDING_KINDS = (LedgerEntry.Kind.HOLD, LedgerEntry.Kind.SETTLE, LedgerEntry.Kind.RELEASE, LedgerEntry.Kind.DEBIT)


def wallet_for_user(user: User) -> Wallet:
    """The user's wallet (created on first use for accounts that predate billing)."""
    wallet = Wallet.objects.select_related("plan").filter(user=user).first()
    if wallet is None:
        from billing.services import wallet_create

        wallet = wallet_create(user=user)
    return wallet


def held_tokens(wallet: Wallet) -> int:
    total = Hold.objects.filter(wallet=wallet, status=Hold.Status.OPEN).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def open_holds_for_user(user: User) -> QuerySet[Hold]:
    return Hold.objects.filter(wallet__user=user, status=Hold.Status.OPEN).order_by("-created_at")


def ledger_for_user(user: User) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(wallet__user=user).order_by("-created_at", "-pk")


def plans_for_display() -> QuerySet[Plan]:
    return Plan.objects.order_by("sort_order", "pk")


@dataclass(frozen=True)
class DailyUsage:
    day: dt.date
    tokens: int


def daily_usage(user: User, *, days: int = 30) -> list[DailyUsage]:
    """Tokens spent per UTC day over the last `days` days, oldest first, with zero-usage days."""
    today = timezone.now().astimezone(dt.UTC).date()
    first_day = today - dt.timedelta(days=days - 1)
    rows = (
        LedgerEntry.objects.filter(wallet__user=user, kind__in=SPENDING_KINDS, created_at__date__gte=first_day)
        .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(net=Sum("amount"))
    )
    # Spending entries are negative and refunds positive; a day's usage is what was spent net of
    # refunds, and a day whose refunds outweigh its spending shows as zero rather than negative.
    spent = {row["day"]: max(-int(row["net"]), 0) for row in rows}
    return [
        DailyUsage(day=first_day + dt.timedelta(days=i), tokens=spent.get(first_day + dt.timedelta(days=i), 0))
        for i in range(days)
    ]


def wallets_with_wrong_balance() -> QuerySet[Wallet]:
    """Wallets whose stored balance differs from the sum of their ledger entries."""
    return (
        Wallet.objects.annotate(ledger_sum=Sum("entries__amount", default=0))
        .exclude(balance=F("ledger_sum"))
        .select_related("user")
        .order_by("pk")
    )
