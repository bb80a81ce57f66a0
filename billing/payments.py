"""Stripe webhooks: each event stored once, then tokens credited or taken back through the ledger.

Stripe delivers an event at least once, in no promised order, and retries for days until answered
with a 2xx. So the webhook only checks the signature and stores the event (a replay stores nothing
new), and a task processes it. Every movement is keyed by the Stripe object it is about: a pack's
tokens by its PaymentIntent (a Checkout Session and its PaymentIntent both report one payment, and
credit it once), a refund by its PaymentIntent and the total refunded so far, a dispute by its id.
Whatever a take-back finds already spent is owed (see billing.services), and paid off first by the
next tokens credited.

Amounts come from Stripe's objects and the pack rows, never from anything a browser sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from billing.models import PackPurchase, StripeEvent, TokenPack, Wallet
from billing.services import TakeBack, ledger_grant, ledger_take_back, wallet_create
from billing.stripe_client import TRANSIENT_STRIPE_ERRORS, stripe_client
from billing.subscriptions import SUBSCRIPTION_EVENT_HANDLERS
from sage.errors import ApplicationError

log = logging.getLogger(__name__)

# Set on every Checkout Session / PaymentIntent SAGE creates for a pack: what was bought, by whom.
PACK_METADATA_KEY = "sage_pack_id"
USER_METADATA_KEY = "sage_user_id"


class InvalidWebhook(ApplicationError):
    code = "invalid_webhook"
    status = 400
    default_message = "The webhook's signature or body is not valid."


class PaymentMismatch(Exception):
    """A paid Stripe object SAGE cannot credit as it stands (unknown pack or person, a different
    amount): kept on the event for an operator, who can fix the row and re-process it."""


@dataclass(frozen=True)
class PackPayment:
    """A payment for a pack, as Stripe reported it."""

    payment_intent_id: str
    amount: int  # received, in the currency's smallest unit
    currency: str
    metadata: Mapping[str, str]
    customer_id: str


# --- receiving ---------------------------------------------------------------------------------


def stripe_event_record(*, payload: bytes, signature: str | None) -> tuple[StripeEvent, bool]:
    """Check the signature and store the event once; queue its processing. Returns the stored event
    and whether this delivery was its first. InvalidWebhook (nothing stored) if it is not Stripe's."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
        body = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError):
        raise InvalidWebhook() from None
    event_id, event_type = getattr(event, "id", None), getattr(event, "type", None)
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise InvalidWebhook("The webhook's body is not a Stripe event.")
    with transaction.atomic():
        stored, created = StripeEvent.objects.get_or_create(
            stripe_id=event_id,
            defaults={"type": event_type[:100], "payload": body, "livemode": bool(body.get("livemode"))},
        )
        if created or stored.processed_at is None:
            # A redelivery of an event not yet processed queues it again (its task may have been
            # lost); processing is idempotent, so a second run moves nothing.
            stripe_event_enqueue(stored)
    return stored, created


def stripe_event_enqueue(event: StripeEvent) -> None:
    from billing.tasks import process_stripe_event  # billing.tasks imports this module

    event_pk = event.pk
    # robust: a broker that is down must not turn a stored event into a 500 (Stripe would retry it,
    # but it is already safe here; the sweep queues it again).
    transaction.on_commit(lambda: process_stripe_event.delay(event_pk), robust=True)


# --- processing --------------------------------------------------------------------------------


def stripe_event_process(*, event_id: int, force: bool = False) -> StripeEvent | None:
    """Do what the event asks, once. `force` runs it again even if processed (from the admin):
    every movement is keyed, so that moves nothing twice either."""
    event = StripeEvent.objects.filter(pk=event_id).first()
    if event is None or (event.processed_at is not None and not force):
        return event
    StripeEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    handler = EVENT_HANDLERS.get(event.type)
    try:
        if handler is not None:
            handler(_event_object(event))
    except TRANSIENT_STRIPE_ERRORS as exc:
        StripeEvent.objects.filter(pk=event.pk).update(error=f"Will retry: {exc}"[:2000])
        raise  # the task retries these
    except Exception as exc:
        # Kept on the event, unprocessed, for an operator to see and re-process; not re-raised,
        # as a retry of a refusal or a bug would only repeat it.
        log.exception("Stripe event %s (%s) failed", event.stripe_id, event.type)
        StripeEvent.objects.filter(pk=event.pk).update(error=f"{type(exc).__name__}: {exc}"[:2000])
        event.refresh_from_db()
        return event
    StripeEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), error="")
    event.refresh_from_db()
    return event


def _event_object(event: StripeEvent) -> Mapping[str, Any]:
    data = event.payload.get("data") if isinstance(event.payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise PaymentMismatch("The event has no data.object.")
    return obj


def _on_payment_intent_succeeded(intent: Mapping[str, Any]) -> None:
    payment = _pack_payment_from_intent(intent)
    if payment is not None:
        pack_purchase_credit(payment=payment)


def _on_checkout_session_paid(session: Mapping[str, Any]) -> None:
    # "completed" with payment_status "unpaid" is a delayed method (a bank debit): its
    # async_payment_succeeded event credits it later. Subscriptions are not handled yet.
    if session.get("mode") != "payment" or session.get("payment_status") != "paid":
        return
    metadata = dict(session.get("metadata") or {})
    if PACK_METADATA_KEY not in metadata:
        return
    if session.get("client_reference_id") and USER_METADATA_KEY not in metadata:
        metadata[USER_METADATA_KEY] = str(session["client_reference_id"])
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    if not isinstance(payment_intent, str) or not payment_intent:
        raise PaymentMismatch("A paid Checkout Session without a PaymentIntent.")
    pack_purchase_credit(
        payment=PackPayment(
            payment_intent_id=payment_intent,
            amount=int(session.get("amount_total") or 0),
            currency=str(session.get("currency") or ""),
            metadata=metadata,
            customer_id=_id_of(session.get("customer")),
        )
    )


def _on_charge_refunded(charge: Mapping[str, Any]) -> None:
    payment_intent = _id_of(charge.get("payment_intent"))
    if payment_intent:
        pack_purchase_refund(payment_intent_id=payment_intent, amount_refunded=int(charge.get("amount_refunded") or 0))


def _on_dispute_created(dispute: Mapping[str, Any]) -> None:
    payment = _disputed_payment(dispute)
    if payment is not None:
        pack_purchase_dispute_open(payment=payment)


def _on_dispute_closed(dispute: Mapping[str, Any]) -> None:
    payment = _disputed_payment(dispute)
    if payment is not None:
        pack_purchase_dispute_close(payment=payment, status=str(dispute.get("status") or ""))


# Event type → its handler, given the event's data.object. Types not listed are stored and marked
# processed. Another event is handled by adding its line here (or a module's table, spread in).
EVENT_HANDLERS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "checkout.session.completed": _on_checkout_session_paid,
    "checkout.session.async_payment_succeeded": _on_checkout_session_paid,
    "payment_intent.succeeded": _on_payment_intent_succeeded,
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute_created,
    "charge.dispute.closed": _on_dispute_closed,
    **SUBSCRIPTION_EVENT_HANDLERS,  # plan subscriptions' invoices and changes (billing.subscriptions)
}


def _id_of(value: object) -> str:
    """An object reference in a payload: an id, or the expanded object carrying one."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _pack_payment_from_intent(intent: Mapping[str, Any]) -> PackPayment | None:
    metadata = dict(intent.get("metadata") or {})
    if PACK_METADATA_KEY not in metadata or intent.get("status") != "succeeded":
        return None  # not a pack (an invoice's payment, say), or not paid
    # amount_received is what Stripe took; older API versions (and localstripe) only give `amount`.
    received = intent.get("amount_received")
    return PackPayment(
        payment_intent_id=str(intent["id"]),
        amount=int(received if received is not None else intent.get("amount") or 0),
        currency=str(intent.get("currency") or ""),
        metadata=metadata,
        customer_id=_id_of(intent.get("customer")),
    )


# --- crediting and taking back -----------------------------------------------------------------


@transaction.atomic
def pack_purchase_credit(*, payment: PackPayment) -> PackPurchase:
    """Credit a paid pack once per PaymentIntent, however many events report it, in any order."""
    if (
        purchase := PackPurchase.objects.filter(stripe_payment_intent_id=payment.payment_intent_id).first()
    ) is not None:
        return purchase
    pack = _pack_for(payment)
    wallet = _wallet_for(payment)
    # Two deliveries at once: the second INSERT waits on the unique index for the first to commit,
    # then finds its row (with its grant, committed with it) and credits nothing.
    purchase, created = PackPurchase.objects.get_or_create(
        stripe_payment_intent_id=payment.payment_intent_id,
        defaults={
            "wallet": wallet,
            "pack": pack,
            "tokens": pack.tokens,
            "amount": payment.amount,
            "currency": payment.currency.lower(),
        },
    )
    if created:
        ledger_grant(
            user=wallet.user,
            amount=purchase.tokens,
            key=f"stripe:payment_intent:{payment.payment_intent_id}",
            memo=f"Bought {pack.name}",
            ref=purchase,
        )
    return purchase


def _purchase_ensure(payment_intent_id: str) -> bool:
    """Make sure the pack bought by this PaymentIntent is credited before anything is taken back from
    it: a refund or dispute can arrive before the purchase's own event (Stripe promises no order), so
    it is credited here from Stripe's copy of the payment. False if the payment is not a pack's."""
    if PackPurchase.objects.filter(stripe_payment_intent_id=payment_intent_id).exists():
        return True
    intent = stripe_client().v1.payment_intents.retrieve(payment_intent_id)
    payment = _pack_payment_from_intent(intent.to_dict())
    if payment is None:
        return False
    pack_purchase_credit(payment=payment)
    return True


def _locked_purchase(payment_intent_id: str) -> PackPurchase:
    # Locked first (then the wallet, in the ledger): take-backs of one payment go one at a time.
    return (
        PackPurchase.objects.select_for_update()
        .select_related("wallet__user")
        .get(stripe_payment_intent_id=payment_intent_id)
    )


def pack_purchase_refund(*, payment_intent_id: str, amount_refunded: int) -> PackPurchase | None:
    """Take back the refunded share of a pack's tokens, up to what the balance holds; the rest
    (already spent) is owed, on the purchase and in the wallet's total. `amount_refunded` is Stripe's
    running total for the charge: each take-back is keyed by that total and computed from it (the
    tokens its share is worth, less what earlier refunds already took or recorded as owed), so partial
    refunds take back their share once each, and a replayed or stale (lower) total moves nothing."""
    if not _purchase_ensure(payment_intent_id):
        return None  # not a pack
    with transaction.atomic():
        purchase = _locked_purchase(payment_intent_id)
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


# --- disputes ----------------------------------------------------------------------------------


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
    dispute_id = _id_of(dispute)
    if not dispute_id:
        raise PaymentMismatch("A dispute without an id.")
    payment_intent = _id_of(dispute.get("payment_intent"))
    if not payment_intent:
        # Older API versions name only the charge: its PaymentIntent is on Stripe's copy.
        charge_id = _id_of(dispute.get("charge"))
        if not charge_id:
            raise PaymentMismatch(f"Dispute {dispute_id} names no charge.")
        payment_intent = _id_of(stripe_client().v1.charges.retrieve(charge_id).to_dict().get("payment_intent"))
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
    if not _purchase_ensure(payment.payment_intent_id):
        return None
    with transaction.atomic():
        return _dispute_take_back(_locked_purchase(payment.payment_intent_id), payment)


def pack_purchase_dispute_close(*, payment: DisputedPayment, status: str) -> None:
    """A closed dispute: won (or an inquiry closed) gives back what it took, once, through a grant,
    which pays off what is owed first; lost leaves it taken. The opening's take-back is made first if
    its own event has not been processed yet (events come in any order), so a late `created` finds
    its key used and takes nothing."""
    if not _purchase_ensure(payment.payment_intent_id):
        return
    with transaction.atomic():
        purchase = _locked_purchase(payment.payment_intent_id)
        take_back = _dispute_take_back(purchase, payment)
        if take_back is None or status not in DISPUTE_GIVES_BACK:
            return
        ledger_grant(
            user=purchase.wallet.user,
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
        user=purchase.wallet.user,
        up_to=tokens,
        key=f"stripe:dispute:{payment.dispute_id}",
        memo="Disputed token pack",
        ref=purchase,
    )


def _pack_for(payment: PackPayment) -> TokenPack:
    pack_id = str(payment.metadata.get(PACK_METADATA_KEY, ""))
    pack = TokenPack.objects.filter(pk=int(pack_id)).first() if pack_id.isdigit() else None
    if pack is None:
        raise PaymentMismatch(f"No token pack {pack_id!r} for {payment.payment_intent_id}.")
    if payment.amount != pack.amount or payment.currency.lower() != pack.currency.lower():
        raise PaymentMismatch(
            f"{payment.payment_intent_id} received {payment.amount} {payment.currency}; "
            f"{pack.name} costs {pack.amount} {pack.currency}."
        )
    return pack


def _wallet_for(payment: PackPayment) -> Wallet:
    user_id = str(payment.metadata.get(USER_METADATA_KEY, ""))
    user = User.objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
    if user is not None:
        wallet = wallet_create(user=user)  # the existing wallet, or a new one for an old account
        customer_taken = Wallet.objects.filter(stripe_customer_id=payment.customer_id).exists()
        if payment.customer_id and not wallet.stripe_customer_id and not customer_taken:
            Wallet.objects.filter(pk=wallet.pk, stripe_customer_id="").update(stripe_customer_id=payment.customer_id)
        return wallet
    if payment.customer_id:
        found = Wallet.objects.select_related("user").filter(stripe_customer_id=payment.customer_id).first()
        if found is not None:
            return found
    raise PaymentMismatch(
        f"No account for {payment.payment_intent_id} (user {user_id!r}, customer {payment.customer_id!r})."
    )
