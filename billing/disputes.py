"""Disputes (chargebacks and inquiries) on a pack's payment: its tokens taken back when one opens, given
back when it closes in SAGE's favour; each movement keyed by the dispute's id. The dispute is read
from Stripe's copy, fetched when its event is processed; the event's body only names it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from billing.ledger import TakeBack, ledger_grant, ledger_take_back
from billing.models import PackPurchase
from billing.pack_credits import PaymentMismatch, pack_purchase_ensure, pack_purchase_locked
from billing.stripe_client import stripe_client, stripe_object, stripe_ref_id


@dataclass(frozen=True)
class DisputedPayment:
    """A dispute (chargeback or inquiry) on a pack's payment, as Stripe reported it."""

    dispute_id: str
    payment_intent_id: str
    amount: int  # disputed, in the currency's smallest unit
    currency: str


# Closing statuses that give the tokens back: `won` ends a chargeback with the money returned to SAGE;
# `warning_closed` ends an inquiry that never became one (no money was taken). `lost` keeps them taken.
DISPUTE_GIVES_BACK = frozenset({"won", "warning_closed"})


def _disputed_payment(dispute: Mapping[str, Any]) -> DisputedPayment | None:
    dispute_id = stripe_ref_id(dispute)
    if not dispute_id:
        raise PaymentMismatch("A dispute without an id.")
    payment_intent = stripe_ref_id(dispute.get("payment_intent"))
    if not payment_intent:
        # Older API versions name only the charge: its PaymentIntent is on Stripe's copy.
        charge_id = stripe_ref_id(dispute.get("charge"))
        if not charge_id:
            raise PaymentMismatch(f"Dispute {dispute_id} names no charge.")
        payment_intent = stripe_ref_id(stripe_client().v1.charges.retrieve(charge_id).to_dict().get("payment_intent"))
        if not payment_intent:
            return None  # a charge made without a PaymentIntent: not a pack SAGE sold
    return DisputedPayment(
        dispute_id=dispute_id,
        payment_intent_id=payment_intent,
        amount=int(dispute.get("amount") or 0),
        currency=str(dispute.get("currency") or ""),
    )


def _disputed_tokens(purchase: PackPurchase, payment: DisputedPayment) -> int:
    """The tokens the disputed amount paid for, out of those refunds have not already taken. Worked
    out from fields a dispute does not change (Stripe refuses refunds on a disputed charge), so the
    dispute's opening and closing agree on it."""
    if payment.currency.lower() != purchase.currency.lower():
        raise PaymentMismatch(
            f"Dispute {payment.dispute_id} is in {payment.currency}; the purchase was in {purchase.currency}."
        )
    disputed = min(payment.amount, purchase.amount)
    refunded_tokens = purchase.tokens * purchase.amount_refunded // purchase.amount
    return max(min(purchase.tokens * disputed // purchase.amount, purchase.tokens - refunded_tokens), 0)


def pack_purchase_dispute_open(*, payment: DisputedPayment) -> TakeBack | None:
    """Take back the disputed pack's tokens, like a refund: what the balance holds leaves it, the rest
    is owed; once per dispute (keyed by its id). The purchase's refund figures are left alone: a
    dispute is undone by its closing, not by a refund."""
    if not pack_purchase_ensure(payment.payment_intent_id):
        return None
    with transaction.atomic():
        return _dispute_take_back(pack_purchase_locked(payment.payment_intent_id), payment)


def pack_purchase_dispute_close(*, payment: DisputedPayment, status: str) -> None:
    """A closed dispute: won (or an inquiry closed) gives back what it took, once, through a grant,
    which pays off what is owed first; lost leaves it taken. The opening's take-back is made first if
    its own event has not been processed yet (events come in any order), so a late `created` finds
    its key used and takes nothing."""
    if not pack_purchase_ensure(payment.payment_intent_id):
        return
    with transaction.atomic():
        purchase = pack_purchase_locked(payment.payment_intent_id)
        take_back = _dispute_take_back(purchase, payment)
        if take_back is None or status not in DISPUTE_GIVES_BACK:
            return
        ledger_grant(
            wallet_id=purchase.wallet_id,  # the wallet it was bought for: a team's has no user
            # All it took: what left the balance and what was recorded as owed (the grant pays that first).
            amount=take_back.taken + take_back.owed,
            key=f"stripe:dispute:{payment.dispute_id}:given-back",
            memo="Dispute closed in your favour: tokens given back",
            ref=purchase,
        )


def _dispute_take_back(purchase: PackPurchase, payment: DisputedPayment) -> TakeBack | None:
    tokens = _disputed_tokens(purchase, payment)
    if tokens == 0:
        return None
    return ledger_take_back(
        wallet_id=purchase.wallet_id,  # the wallet it was bought for: a team's has no user
        up_to=tokens,
        key=f"stripe:dispute:{payment.dispute_id}",
        memo="Disputed token pack",
        ref=purchase,
    )


# --- event handlers (registered in billing.stripe_events) -------------------------------------------


def _dispute_on_stripe(event_dispute: Mapping[str, Any]) -> Mapping[str, Any]:
    """Stripe's copy of the event's dispute: what it is about, how much, and how it stands are read
    from there (a signed body alone could otherwise take tokens, or give back a lost dispute's)."""
    dispute_id = stripe_ref_id(event_dispute)
    if not dispute_id:
        raise PaymentMismatch("A dispute event without a dispute id.")
    return stripe_object(stripe_client().v1.disputes, dispute_id, named="dispute", refuse=PaymentMismatch)


def _on_dispute_created(event_dispute: Mapping[str, Any]) -> None:
    payment = _disputed_payment(_dispute_on_stripe(event_dispute))
    if payment is not None:
        pack_purchase_dispute_open(payment=payment)


def _on_dispute_closed(event_dispute: Mapping[str, Any]) -> None:
    dispute = _dispute_on_stripe(event_dispute)
    payment = _disputed_payment(dispute)
    if payment is not None:
        pack_purchase_dispute_close(payment=payment, status=str(dispute.get("status") or ""))


DISPUTE_EVENT_HANDLERS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "charge.dispute.created": _on_dispute_created,
    "charge.dispute.closed": _on_dispute_closed,
}
