"""A plan's paid invoice delivered many times at once, on the real Postgres with one connection per
thread (as web processes would): its tokens are granted once."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from billing.models import LedgerEntry, StripeEvent, SubscriptionInvoice, Wallet
from tests.at_once import at_once
from tests.billing.stripe_fake import deliver, event_from_fake
from tests.billing.test_subscriptions import (  # noqa: F401  (fixtures: localstripe with proration_behavior)
    built_invoice_paid,
    first_invoice_id,
    localstripe_url,
    paid_plans,
    subscribed,
)

pytestmark = pytest.mark.django_db(transaction=True)


def ledger_sum(user) -> int:
    return LedgerEntry.objects.filter(wallet__user=user).aggregate(total=Sum("amount"))["total"] or 0


def test_the_same_invoice_event_delivered_ten_times_at_once_grants_once(stripe_fake, paid_plans) -> None:  # noqa: F811
    pro = paid_plans["pro"]
    user, subscription = subscribed(stripe_fake, pro)
    event = event_from_fake(
        stripe_fake, type="invoice.payment_succeeded", object_id=first_invoice_id(stripe_fake, subscription)
    )

    responses = at_once(10, lambda i: deliver(event))

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 10
    assert StripeEvent.objects.count() == 1 and StripeEvent.objects.get().processed_at is not None
    wallet = Wallet.objects.get(user=user)
    assert wallet.balance == pro.monthly_tokens == ledger_sum(user)
    assert SubscriptionInvoice.objects.count() == 1


def test_invoice_paid_and_payment_succeeded_for_one_invoice_at_once_grant_once(stripe_fake, paid_plans) -> None:  # noqa: F811
    team = paid_plans["team"]
    user, subscription = subscribed(stripe_fake, team)
    invoice_id = first_invoice_id(stripe_fake, subscription)
    succeeded = event_from_fake(stripe_fake, type="invoice.payment_succeeded", object_id=invoice_id)
    paid = built_invoice_paid(stripe_fake, invoice_id)

    responses = at_once(10, lambda i: deliver(paid if i % 2 else succeeded))

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 10
    assert StripeEvent.objects.filter(processed_at__isnull=False).count() == 2
    wallet = Wallet.objects.get(user=user)
    assert wallet.balance == team.monthly_tokens == ledger_sum(user)
    assert LedgerEntry.objects.filter(wallet=wallet, ref_type="subscriptioninvoice").count() == 1
