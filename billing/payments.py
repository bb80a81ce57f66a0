"""Stripe webhooks: each event stored once, then tokens credited or taken back through the ledger.

Stripe delivers an event at least once, in no promised order, and retries for days until answered
with a 2xx. So the webhook only checks the signature and stores the event (a replay stores nothing
new), and a task processes it. Every movement is keyed by the Stripe object it is about: a pack's
tokens by its PaymentIntent (a Checkout Session and its PaymentIntent both report one payment, and
credit it once), a refund by its PaymentIntent and the total refunded so far, a dispute by its id.
Whatever a take-back finds already spent is owed (see billing.services), and paid off first by the
next tokens credited. Crediting a pack lives in billing.pack_credits, disputes in billing.disputes,
plan subscriptions in billing.subscriptions; this module runs the events and handles refunds.

Amounts come from Stripe's objects and the pack rows, never from anything a browser sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import stripe
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.disputes import DISPUTE_EVENT_HANDLERS
from billing.models import PackPurchase, StripeEvent
from billing.pack_credits import (
    PACK_METADATA_KEY,
    USER_METADATA_KEY,
    PaymentMismatch,
    pack_payment_of,
    pack_purchase_credit,
    pack_purchase_credited,
    pack_purchase_ensure,
    pack_purchase_locked,
    paid_intent_on_stripe,
)
from billing.services import ledger_take_back
from billing.stripe_client import TRANSIENT_STRIPE_ERRORS, stripe_client, stripe_ref_id
from billing.subscriptions import SUBSCRIPTION_EVENT_HANDLERS, SubscriptionMismatch

log = logging.getLogger(__name__)

# What a handler raises for an event it refuses (see stripe_event_process).
STRIPE_EVENT_REFUSALS: tuple[type[Exception], ...] = (PaymentMismatch, SubscriptionMismatch)


# --- queueing and processing ------------------------------------------------------------------


def stripe_event_enqueue(event: StripeEvent) -> None:
    from billing.tasks import process_stripe_event  # billing.tasks imports this module

    event_pk = event.pk
    # robust: a broker that is down must not turn a stored event into a 500 (Stripe would retry it,
    # but it is already safe here; the sweep queues it again).
    transaction.on_commit(lambda: process_stripe_event.delay(event_pk), robust=True)


def stripe_event_process(*, event_id: int, force: bool = False) -> StripeEvent | None:
    """Do what the event asks, once. `force` runs it again even if processed or refused (from the
    admin): every movement is keyed, so that moves nothing twice either."""
    event = StripeEvent.objects.filter(pk=event_id).first()
    if event is None or ((event.processed_at is not None or event.refused_at is not None) and not force):
        return event
    StripeEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    handler = EVENT_HANDLERS.get(event.type)
    try:
        if event.raw_body:  # kept only for a body that was no readable event (billing.stripe_events)
            raise PaymentMismatch("The body is no event SAGE can read (it is kept in raw_body).")
        if handler is not None:
            handler(_event_object(event))
    except TRANSIENT_STRIPE_ERRORS as exc:
        StripeEvent.objects.filter(pk=event.pk).update(error=f"Will retry: {exc}"[:2000])
        raise  # the task retries these
    except STRIPE_EVENT_REFUSALS as exc:
        # Not what Stripe's own objects bear out, or nothing SAGE can place: refused, kept for an
        # operator (who may fix a row and process it again), never queued again by itself.
        log.warning("Stripe event %s (%s) refused: %s", event.stripe_id, event.type, exc)
        StripeEvent.objects.filter(pk=event.pk).update(error=f"Refused: {exc}"[:2000], refused_at=timezone.now())
        event.refresh_from_db()
        return event
    except Exception as exc:
        # A bug: kept on the event, unprocessed, for an operator to see and re-process (the sweep
        # tries a few times more); not re-raised, as an immediate retry would only repeat it.
        log.exception("Stripe event %s (%s) failed", event.stripe_id, event.type)
        StripeEvent.objects.filter(pk=event.pk).update(error=f"{type(exc).__name__}: {exc}"[:2000])
        event.refresh_from_db()
        return event
    StripeEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), error="", refused_at=None)
    event.refresh_from_db()
    return event


def _event_object(event: StripeEvent) -> Mapping[str, Any]:
    data = event.payload.get("data") if isinstance(event.payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise PaymentMismatch("The event has no data.object.")
    return obj


# An event body is only ever a hint of what to look at: a signed body proves that someone holding the
# webhook secret sent it, not that anything was paid. What is credited is read from Stripe's own copy
# of the PaymentIntent (or Checkout Session, or invoice), fetched now with the secret key, whose
# metadata only SAGE's server could have written. A body can make SAGE skip work, never credit more.


def _on_payment_intent_succeeded(intent: Mapping[str, Any]) -> None:
    if PACK_METADATA_KEY not in (intent.get("metadata") or {}):
        return  # not a pack (an invoice's payment, say): skipping needs no proof
    payment_intent_id = stripe_ref_id(intent)
    if not payment_intent_id:
        raise PaymentMismatch("A payment_intent.succeeded event without a PaymentIntent id.")
    if pack_purchase_credited(payment_intent_id):
        return
    paid = paid_intent_on_stripe(payment_intent_id)
    if PACK_METADATA_KEY not in (paid.get("metadata") or {}):
        raise PaymentMismatch(f"Stripe's {payment_intent_id} is not a token pack's payment.")
    pack_purchase_credit(payment=pack_payment_of(paid))


def _on_checkout_session_paid(session: Mapping[str, Any]) -> None:
    # "completed" with payment_status "unpaid" is a delayed method (a bank debit): its
    # async_payment_succeeded event credits it later. Subscriptions are not handled yet.
    if session.get("mode") != "payment" or session.get("payment_status") != "paid":
        return
    payment_intent_id = stripe_ref_id(session.get("payment_intent"))
    if not payment_intent_id:
        raise PaymentMismatch("A paid Checkout Session without a PaymentIntent.")
    if pack_purchase_credited(payment_intent_id):
        return
    paid = paid_intent_on_stripe(payment_intent_id)
    if PACK_METADATA_KEY not in (paid.get("metadata") or {}):
        # The pack and person were set on the session rather than on its PaymentIntent.
        paid = {**paid, "metadata": _session_pack_metadata(stripe_ref_id(session), payment_intent_id)}
    pack_purchase_credit(payment=pack_payment_of(paid))


def _session_pack_metadata(session_id: str, payment_intent_id: str) -> dict[str, str]:
    """The pack and person of a Checkout Session, from Stripe's copy of the session (its metadata, or
    client_reference_id for the person), which must be paid by `payment_intent_id`."""
    if not session_id:
        raise PaymentMismatch("A Checkout Session event without a session id.")
    try:
        session = stripe_client().v1.checkout.sessions.retrieve(session_id).to_dict()
    except stripe.InvalidRequestError as exc:
        raise PaymentMismatch(f"Stripe has no Checkout Session {session_id!r} ({exc.http_status}).") from None
    metadata = {str(key): str(value) for key, value in (session.get("metadata") or {}).items()}
    paid = session.get("payment_status") == "paid" and stripe_ref_id(session.get("payment_intent")) == payment_intent_id
    if not paid or PACK_METADATA_KEY not in metadata:
        raise PaymentMismatch(f"Stripe's Checkout Session {session_id} is not a paid pack of {payment_intent_id}.")
    if session.get("client_reference_id") and USER_METADATA_KEY not in metadata:
        metadata[USER_METADATA_KEY] = str(session["client_reference_id"])
    return metadata


def _on_charge_refunded(event_charge: Mapping[str, Any]) -> None:
    # A signed body alone must not take anyone's tokens back: its running total counts only up to
    # what Stripe's copy of the charge says was refunded (a lower total is an older event's, which
    # takes back nothing more), and the payment is the one Stripe's copy names.
    charge_id = stripe_ref_id(event_charge)
    if not charge_id:
        raise PaymentMismatch("A charge.refunded event without a charge id.")
    try:
        charge = stripe_client().v1.charges.retrieve(charge_id).to_dict()
    except stripe.InvalidRequestError as exc:
        raise PaymentMismatch(f"Stripe has no charge {charge_id!r} ({exc.http_status}).") from None
    payment_intent = stripe_ref_id(charge.get("payment_intent"))
    claimed = event_charge.get("amount_refunded")
    refunded = int(charge.get("amount_refunded") or 0)
    if isinstance(claimed, int) and not isinstance(claimed, bool):
        refunded = min(refunded, claimed)
    if payment_intent:
        pack_purchase_refund(payment_intent_id=payment_intent, amount_refunded=refunded)


# Event type → its handler, given the event's data.object. Types not listed are stored and marked
# processed. Another event is handled by adding its line here (or a module's table, spread in).
EVENT_HANDLERS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "checkout.session.completed": _on_checkout_session_paid,
    "checkout.session.async_payment_succeeded": _on_checkout_session_paid,
    "payment_intent.succeeded": _on_payment_intent_succeeded,
    "charge.refunded": _on_charge_refunded,
    **DISPUTE_EVENT_HANDLERS,  # chargebacks and inquiries (billing.disputes)
    **SUBSCRIPTION_EVENT_HANDLERS,  # plan subscriptions' invoices and changes (billing.subscriptions)
}


# --- taking back -------------------------------------------------------------------------------


def pack_purchase_refund(*, payment_intent_id: str, amount_refunded: int) -> PackPurchase | None:
    """Take back the refunded share of a pack's tokens, up to what the balance holds; the rest
    (already spent) is owed, on the purchase and in the wallet's total. `amount_refunded` is Stripe's
    running total for the charge: each take-back is keyed by that total and computed from it (the
    tokens its share is worth, less what earlier refunds already took or recorded as owed), so partial
    refunds take back their share once each, and a replayed or stale (lower) total moves nothing."""
    if not pack_purchase_ensure(payment_intent_id):
        return None  # not a pack
    with transaction.atomic():
        purchase = pack_purchase_locked(payment_intent_id)
        refunded = min(amount_refunded, purchase.amount)
        if refunded <= purchase.amount_refunded:
            return purchase
        due = purchase.tokens * refunded // purchase.amount - purchase.tokens_taken_back - purchase.tokens_owed
        taken = owed = 0
        if due > 0:
            take_back = ledger_take_back(
                user=purchase.wallet.user,
                up_to=due,
                key=f"stripe:refund:{payment_intent_id}:{refunded}",
                memo="Refund of a token pack",
                ref=purchase,
            )
            taken, owed = take_back.taken, take_back.owed
        purchase.amount_refunded = refunded
        purchase.tokens_taken_back += taken
        purchase.tokens_owed += owed
        purchase.save(update_fields=["amount_refunded", "tokens_taken_back", "tokens_owed", "updated_at"])
        return purchase
