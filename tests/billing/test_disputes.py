"""Disputes (chargebacks) on token packs: `charge.dispute.created` takes the pack's tokens back like a
refund (what is spent is owed, the balance never goes negative), `charge.dispute.closed` gives them
back when won and keeps them taken when lost; every movement is keyed by the dispute id, so replays,
out-of-order and concurrent deliveries move tokens once, and the ledger always sums to the balance.

localstripe has no disputes: the dispute event bodies are BUILT here as Stripe documents the Dispute
object (https://docs.stripe.com/api/disputes/object: id dp_…, amount, currency, charge, payment_intent,
reason, status) around the fake's real payment and charge, and delivered signed to the webhook; SAGE
reads the dispute from "Stripe" (each one built is served beside localstripe, its latest state)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
import stripe
from django.db.models import Sum

from accounts.models import User
from billing.ledger import ledger_debit
from billing.models import LedgerEntry, PackPurchase, StripeEvent, Wallet
from tests.at_once import at_once
from tests.billing.stripe_fake import DISPUTES_ON_STRIPE, built_event, deliver, event_from_fake, paid_pack_intent
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _disputes_on_stripe(stripe_with_sessions_and_disputes: stripe.StripeClient) -> None:
    """Every test here: the disputes it builds are on "Stripe" for SAGE to fetch."""


def state(user: User) -> tuple[int, int]:
    wallet = Wallet.objects.get(user=user)
    return wallet.balance, wallet.tokens_owed


def ledger_sum(user: User) -> int:
    return LedgerEntry.objects.filter(wallet__user=user).aggregate(total=Sum("amount"))["total"] or 0


def bought(stripe_fake: stripe.StripeClient, *, tokens: int = 1000, amount: int = 1000, spent: int = 0):
    """A pack paid on the fake and credited by its own signed event, `spent` of it spent since."""
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=tokens, amount=amount)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    deliver(event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"]))
    if spent:
        ledger_debit(user=user, amount=spent, key=f"spent:{user.pk}", memo="a video")
    return user, intent


def dispute_event(
    intent: dict[str, Any],
    *,
    type: str = "charge.dispute.created",
    dispute_id: str | None = None,
    status: str = "needs_response",
    amount: int | None = None,
    name_payment_intent: bool = True,
) -> dict[str, Any]:
    """A `charge.dispute.*` event (BUILT: localstripe has no disputes) for the fake's charge of `intent`."""
    charge = intent["latest_charge"]  # localstripe gives it expanded
    charge_id = charge["id"] if isinstance(charge, dict) else charge
    assert isinstance(charge_id, str) and charge_id.startswith("ch_"), intent
    dispute = {
        "id": dispute_id or f"dp_built_{secrets.token_hex(8)}",
        "object": "dispute",
        "amount": intent["amount"] if amount is None else amount,
        "currency": intent["currency"],
        "charge": charge_id,
        "payment_intent": intent["id"] if name_payment_intent else None,
        "reason": "fraudulent",
        "status": status,
        "is_charge_refundable": False,
        "created": int(time.time()),
        "livemode": False,
        "metadata": {},
        "balance_transactions": [],
    }
    DISPUTES_ON_STRIPE[dispute["id"]] = dispute  # as Stripe now has it
    return built_event(type, dispute)


def closed(created: dict[str, Any], intent: dict[str, Any], status: str) -> dict[str, Any]:
    dispute = created["data"]["object"]
    return dispute_event(
        intent, type="charge.dispute.closed", dispute_id=dispute["id"], status=status, amount=dispute["amount"]
    )


def test_a_dispute_takes_the_pack_back_like_a_refund_and_owes_what_was_spent(stripe_fake) -> None:
    user, intent = bought(stripe_fake, spent=400)
    created = dispute_event(intent)

    assert deliver(created).status_code == 200
    deliver(created)  # a redelivery takes nothing more

    assert state(user) == (0, 400)
    entry = LedgerEntry.objects.get(idempotency_key=f"stripe:dispute:{created['data']['object']['id']}")
    assert entry.amount == -600 and entry.ref_type == "packpurchase"
    assert "400 already spent and now owed" in entry.memo
    # A dispute is not a refund: the purchase's refund figures are left as they were.
    purchase = PackPurchase.objects.get()
    assert (purchase.amount_refunded, purchase.tokens_taken_back, purchase.tokens_owed) == (0, 0, 0)
    assert ledger_sum(user) == 0
    assert StripeEvent.objects.get(stripe_id=created["id"]).processed_at is not None


def test_a_won_dispute_gives_back_what_it_took_paying_off_what_it_left_owed(stripe_fake) -> None:
    user, intent = bought(stripe_fake, spent=400)
    created = dispute_event(intent)
    deliver(created)
    won = closed(created, intent, "won")

    deliver(won)
    deliver(won)

    assert state(user) == (600, 0)  # as before the dispute
    dispute_id = created["data"]["object"]["id"]
    given = LedgerEntry.objects.get(idempotency_key=f"stripe:dispute:{dispute_id}:given-back")
    assert (given.kind, given.amount) == (LedgerEntry.Kind.GRANT, 1000)
    settled = LedgerEntry.objects.get(idempotency_key=f"owed:stripe:dispute:{dispute_id}:given-back")
    assert (settled.amount, settled.balance_after) == (-400, 600)
    assert ledger_sum(user) == 600


def test_a_lost_dispute_keeps_the_tokens_taken(stripe_fake) -> None:
    user, intent = bought(stripe_fake, spent=250)
    created = dispute_event(intent)
    deliver(created)

    deliver(closed(created, intent, "lost"))

    assert state(user) == (0, 250)
    assert not LedgerEntry.objects.filter(idempotency_key__endswith=":given-back").exists()
    assert ledger_sum(user) == 0


def test_an_inquiry_closed_without_a_chargeback_gives_the_tokens_back(stripe_fake) -> None:
    user, intent = bought(stripe_fake)
    inquiry = dispute_event(intent, status="warning_needs_response")
    deliver(inquiry)
    assert state(user) == (0, 0)

    deliver(closed(inquiry, intent, "warning_closed"))

    assert state(user) == (1000, 0)


def test_a_dispute_of_part_of_the_payment_takes_back_that_share(stripe_fake) -> None:
    user, intent = bought(stripe_fake, tokens=3600, amount=900)

    deliver(dispute_event(intent, amount=300))  # a third of the payment

    assert state(user) == (2400, 0)


def test_a_close_delivered_before_its_opening_moves_tokens_once(stripe_fake) -> None:
    user, intent = bought(stripe_fake, spent=300)
    created = dispute_event(intent)
    won = closed(created, intent, "won")

    deliver(won)  # out of order: the opening's take-back is made first, then given back
    assert state(user) == (700, 0)
    deliver(created)  # late: its key is used, nothing moves

    assert state(user) == (700, 0)
    lost_user, lost_intent = bought(stripe_fake, spent=300)
    lost_created = dispute_event(lost_intent)
    deliver(closed(lost_created, lost_intent, "lost"))
    deliver(lost_created)
    assert state(lost_user) == (0, 300)
    assert ledger_sum(user) == 700 and ledger_sum(lost_user) == 0


def test_a_dispute_naming_only_the_charge_finds_its_payment_on_stripe(stripe_fake) -> None:
    # Older API versions give no payment_intent on a dispute: SAGE reads it from Stripe's charge
    # (here, the fake's real charge of the payment).
    user, intent = bought(stripe_fake, spent=100)

    deliver(dispute_event(intent, name_payment_intent=False))

    assert state(user) == (0, 100)


def test_a_dispute_delivered_before_its_purchase_credits_it_then_takes_it_back(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=800, amount=800)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)

    deliver(dispute_event(intent))  # the purchase is fetched from the fake and credited first
    deliver(event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"]))

    assert state(user) == (0, 0)
    assert PackPurchase.objects.count() == 1
    assert ledger_sum(user) == 0


@pytest.mark.django_db(transaction=True)
def test_a_dispute_delivered_ten_times_at_once_takes_back_once(stripe_fake) -> None:
    user, intent = bought(stripe_fake, spent=450)
    created = dispute_event(intent)

    responses = at_once(10, lambda i: deliver(created))

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 10
    assert state(user) == (0, 450)
    assert LedgerEntry.objects.filter(idempotency_key__startswith="stripe:dispute:").count() == 1
    assert ledger_sum(user) == 0


@pytest.mark.django_db(transaction=True)
def test_an_opening_and_a_won_close_racing_ten_at_once_end_where_they_began(stripe_fake) -> None:
    user, intent = bought(stripe_fake, spent=450)
    created = dispute_event(intent)
    won = closed(created, intent, "won")

    responses = at_once(10, lambda i: deliver(created if i % 2 else won))

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 10
    assert state(user) == (550, 0)
    dispute_id = created["data"]["object"]["id"]
    keys = sorted(
        LedgerEntry.objects.filter(idempotency_key__contains=dispute_id).values_list("idempotency_key", "amount")
    )
    assert keys == [
        (f"owed:stripe:dispute:{dispute_id}:given-back", -450),
        (f"stripe:dispute:{dispute_id}", -550),
        (f"stripe:dispute:{dispute_id}:given-back", 1000),
    ]
    assert ledger_sum(user) == 550
    assert StripeEvent.objects.filter(processed_at__isnull=True).count() == 0


def test_a_signed_event_for_a_dispute_stripe_does_not_have_takes_nothing_and_is_refused(stripe_fake) -> None:
    user, intent = bought(stripe_fake)
    forged = dispute_event(intent)
    DISPUTES_ON_STRIPE.clear()  # the forger's invention: Stripe never opened it

    deliver(forged)

    assert state(user) == (1000, 0)
    stored = StripeEvent.objects.get(stripe_id=forged["id"])
    assert stored.refused_at is not None and "Stripe has no dispute" in stored.error


def test_a_signed_won_close_of_a_dispute_stripe_says_was_lost_gives_nothing_back(stripe_fake) -> None:
    user, intent = bought(stripe_fake, spent=250)
    created = dispute_event(intent)
    deliver(created)
    forged_won = closed(created, intent, "won")
    closed(created, intent, "lost")  # what Stripe really has

    deliver(forged_won)

    assert state(user) == (0, 250)
    assert not LedgerEntry.objects.filter(idempotency_key__endswith=":given-back").exists()
