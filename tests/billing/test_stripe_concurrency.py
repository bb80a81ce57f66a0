"""Webhook deliveries at once, on the real Postgres with one connection per thread (as web processes
would): one event delivered ten times credits once; a refund racing its purchase and spending never
makes a balance negative, and what it could not take back is owed."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from billing.ledger import InsufficientTokens, ledger_debit
from billing.models import LedgerEntry, PackPurchase, StripeEvent, Wallet
from tests.at_once import at_once
from tests.billing.stripe_fake import deliver, event_from_fake, paid_pack_intent, refund_on_fake
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.django_db(transaction=True)


def ledger_sum(user) -> int:
    return LedgerEntry.objects.filter(wallet__user=user).aggregate(total=Sum("amount"))["total"] or 0


def test_the_same_event_delivered_ten_times_at_once_is_stored_and_credited_once(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=3600, amount=900)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    event = event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"])

    responses = at_once(10, lambda i: deliver(event))

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 10
    assert sum(1 for r in responses if r.json()["duplicate"] is False) == 1
    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().processed_at is not None
    assert PackPurchase.objects.count() == 1
    wallet = Wallet.objects.get(user=user)
    assert wallet.balance == 3600
    assert ledger_sum(user) == wallet.balance
    assert LedgerEntry.objects.filter(wallet=wallet, ref_type="packpurchase").count() == 1


@pytest.mark.parametrize("round_", range(3))
def test_a_refund_racing_its_purchase_and_spending_never_goes_negative(stripe_fake, round_: int) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=1000, amount=1000)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    purchase = event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"])
    refund = refund_on_fake(stripe_fake, payment_intent_id=intent["id"])

    def work(i: int) -> object:
        if i < 3:
            return deliver(purchase)
        if i < 6:
            return deliver(refund)
        return ledger_debit(user=user, amount=150, key=f"race:{round_}:{i}", memo="work")

    results = at_once(12, work)

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, InsufficientTokens)]
    assert not unexpected
    assert all(r.status_code == 200 for r in results[:6])
    debited = 150 * sum(1 for r in results[6:] if isinstance(r, LedgerEntry))
    wallet = Wallet.objects.get(user=user)
    bought = PackPurchase.objects.get()
    # Credited once, refunded once in full: what was not taken back was spent, and is owed.
    assert wallet.balance >= 0
    assert bought.tokens_taken_back + bought.tokens_owed == 1000
    # The balance was empty before the purchase: every debit spent pack tokens, and a debit after
    # the refund found nothing left.
    assert bought.tokens_owed == debited
    assert wallet.balance == 0
    assert wallet.balance == ledger_sum(user)
    keyed = LedgerEntry.objects.filter(wallet=wallet, ref_type="packpurchase")
    # At most 6 × 150 of the 1,000 could be spent, so something was always left to take back.
    assert sorted(entry.amount for entry in keyed) == [-(1000 - debited), 1000]
