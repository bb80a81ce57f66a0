"""Wallets: the one row lock every movement of tokens takes, and what a wallet is read for.

Tokens move in billing.ledger; a wallet's first grant and its monthly grants are ledger entries too
(billing.ledger.wallet_create, wallet_grant_for_period).
"""

from __future__ import annotations

import datetime as dt

from django.db import models, transaction
from django.utils import timezone

from billing.models import Plan, Wallet


def locked_wallets() -> models.QuerySet[Wallet]:
    """Wallets read under their row lock (with their plan), for a write in the caller's transaction."""
    # `of=("self",)`: a bare FOR UPDATE locks every joined row too, and with the plan joined every
    # wallet's change waited on its plan's one row: each user's answers, holds and grants queued
    # behind every other user's on the same plan until their transactions ended.
    return Wallet.objects.select_for_update(of=("self",)).select_related("plan")


def wallet_locked(*, user_id: int | None = None, wallet_id: int | None = None) -> Wallet:
    """One wallet, by its owner or its id, locked until the caller's transaction ends (Wallet.DoesNotExist
    if there is none: billing.ledger.lock_wallet makes it on first use)."""
    if wallet_id is not None:
        return locked_wallets().get(pk=wallet_id)
    if user_id is None:
        raise TypeError("wallet_locked needs a user_id or a wallet_id.")
    return locked_wallets().get(user_id=user_id)


def current_period_start(now: dt.datetime | None = None) -> dt.date:
    """Periods are calendar months in UTC."""
    return (now or timezone.now()).astimezone(dt.UTC).date().replace(day=1)


def default_plan() -> Plan:
    plan = Plan.objects.filter(is_default=True).first() or Plan.objects.order_by("sort_order", "pk").first()
    if plan is None:
        raise RuntimeError("No billing plan exists; run migrations (they create Free, Pro and Team).")
    return plan


@transaction.atomic
def wallet_change_plan(*, wallet: Wallet, plan: Plan) -> Wallet:
    Wallet.objects.filter(pk=wallet.pk).update(plan=plan, updated_at=timezone.now())
    wallet.plan = plan
    return wallet
