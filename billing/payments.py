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

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stripe
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from billing.models import PackPurchase, StripeEvent, TokenPack, Wallet
from billing.services import TakeBack, ledger_grant, ledger_take_back, wallet_create
from billing.stripe_client import TRANSIENT_STRIPE_ERRORS, stripe_client
from billing.subscriptions import SUBSCRIPTION_EVENT_HANDLERS, SubscriptionMismatch

log = logging.getLogger(__name__)

# Set on every Checkout Session / PaymentIntent SAGE creates for a pack: what was bought, by whom.
PACK_METADATA_KEY = "sage_pack_id"
USER_METADATA_KEY = "sage_user_id"


class PaymentMismatch(Exception):
    """A Stripe object SAGE cannot credit as it stands (Stripe has no such payment, or was not paid it;
    an unknown pack or person, a different amount): the event is refused and kept for an operator,
    who can fix the row and re-process it."""


# What a handler raises for an event it refuses (see stripe_event_process).
STRIPE_EVENT_REFUSALS: tuple[type[Exception], ...] = (PaymentMismatch, SubscriptionMismatch)


@dataclass(frozen=True)
class PackPayment:
    """A payment for a pack, as Stripe reported it."""

    payment_intent_id: str
    amount: int  # received, in the currency's smallest unit
    currency: str
    metadata: Mapping[str, str]
    customer_id: str


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
    payment_intent_id = _id_of(intent)
    if not payment_intent_id:
        raise PaymentMismatch("A payment_intent.succeeded event without a PaymentIntent id.")
    if _credited(payment_intent_id):
        return
    paid = _paid_intent_on_stripe(payment_intent_id)
    if PACK_METADATA_KEY not in (paid.get("metadata") or {}):
        raise PaymentMismatch(f"Stripe's {payment_intent_id} is not a token pack's payment.")
    pack_purchase_credit(payment=_pack_payment(paid))


def _on_checkout_session_paid(session: Mapping[str, Any]) -> None:
    # "completed" with payment_status "unpaid" is a delayed method (a bank debit): its
    # async_payment_succeeded event credits it later. Subscriptions are not handled yet.
    if session.get("mode") != "payment" or session.get("payment_status") != "paid":
        return
    payment_intent_id = _id_of(session.get("payment_intent"))
    if not payment_intent_id:
        raise PaymentMismatch("A paid Checkout Session without a PaymentIntent.")
    if _credited(payment_intent_id):
        return
    paid = _paid_intent_on_stripe(payment_intent_id)
    if PACK_METADATA_KEY not in (paid.get("metadata") or {}):
        # The pack and person were set on the session rather than on its PaymentIntent.
        paid = {**paid, "metadata": _session_pack_metadata(_id_of(session), payment_intent_id)}
    pack_purchase_credit(payment=_pack_payment(paid))


def _credited(payment_intent_id: str) -> bool:
    """Already credited: a replay, or the other event of the same payment (no need to ask Stripe)."""
    return PackPurchase.objects.filter(stripe_payment_intent_id=payment_intent_id).exists()


def _paid_intent_on_stripe(payment_intent_id: str) -> dict[str, Any]:
    """Stripe's own copy of the PaymentIntent; PaymentMismatch unless it exists and succeeded."""
    try:
        intent = stripe_client().v1.payment_intents.retrieve(payment_intent_id).to_dict()
    except stripe.InvalidRequestError as exc:  # 404 and the like: a retry would get the same answer
        raise PaymentMismatch(f"Stripe has no PaymentIntent {payment_intent_id!r} ({exc.http_status}).") from None
    if intent.get("status") != "succeeded":
        raise PaymentMismatch(f"Stripe says {payment_intent_id} is {intent.get('status')!r}, not paid.")
    return intent


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
    paid = session.get("payment_status") == "paid" and _id_of(session.get("payment_intent")) == payment_intent_id
    if not paid or PACK_METADATA_KEY not in metadata:
        raise PaymentMismatch(f"Stripe's Checkout Session {session_id} is not a paid pack of {payment_intent_id}.")
    if session.get("client_reference_id") and USER_METADATA_KEY not in metadata:
        metadata[USER_METADATA_KEY] = str(session["client_reference_id"])
    return metadata


def _on_charge_refunded(event_charge: Mapping[str, Any]) -> None:
    # A signed body alone must not take anyone's tokens back: its running total counts only up to
    # what Stripe's copy of the charge says was refunded (a lower total is an older event's, which
    # takes back nothing more), and the payment is the one Stripe's copy names.
    charge_id = _id_of(event_charge)
    if not charge_id:
        raise PaymentMismatch("A charge.refunded event without a charge id.")
    try:
        charge = stripe_client().v1.charges.retrieve(charge_id).to_dict()
    except stripe.InvalidRequestError as exc:
        raise PaymentMismatch(f"Stripe has no charge {charge_id!r} ({exc.http_status}).") from None
    payment_intent = _id_of(charge.get("payment_intent"))
    claimed = event_charge.get("amount_refunded")
    refunded = int(charge.get("amount_refunded") or 0)
    if isinstance(claimed, int) and not isinstance(claimed, bool):
        refunded = min(refunded, claimed)
    if payment_intent:
        pack_purchase_refund(payment_intent_id=payment_intent, amount_refunded=refunded)


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


def _pack_payment(intent: Mapping[str, Any]) -> PackPayment:
    """A succeeded PaymentIntent (Stripe's copy) whose metadata names a pack, as a pack payment."""
    # amount_received is what Stripe took; older API versions (and localstripe) only give `amount`.
    received = intent.get("amount_received")
    return PackPayment(
        payment_intent_id=str(intent["id"]),
        amount=int(received if received is not None else intent.get("amount") or 0),
        currency=str(intent.get("currency") or ""),
        metadata=dict(intent.get("metadata") or {}),
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
    if _credited(payment_intent_id):
        return True
    intent = stripe_client().v1.payment_intents.retrieve(payment_intent_id).to_dict()
    if PACK_METADATA_KEY not in (intent.get("metadata") or {}) or intent.get("status") != "succeeded":
        return False  # not a pack (an invoice's payment, say), or never paid
    pack_purchase_credit(payment=_pack_payment(intent))
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
        if not payment.customer_id:
            return wallet
        # The payment's customer must be this person's: another's customer (or theirs another one)
        # means the metadata and the payer disagree, and no one is credited until an operator looks.
        owner = Wallet.objects.filter(stripe_customer_id=payment.customer_id).values_list("pk", flat=True).first()
        if owner not in (None, wallet.pk) or wallet.stripe_customer_id not in ("", payment.customer_id):
            raise PaymentMismatch(
                f"{payment.payment_intent_id} was paid by customer {payment.customer_id!r}, not by user {user_id}'s."
            )
        if not wallet.stripe_customer_id:
            Wallet.objects.filter(pk=wallet.pk, stripe_customer_id="").update(stripe_customer_id=payment.customer_id)
        return wallet
    if payment.customer_id:
        found = Wallet.objects.select_related("user").filter(stripe_customer_id=payment.customer_id).first()
        if found is not None:
            return found
    raise PaymentMismatch(
        f"No account for {payment.payment_intent_id} (user {user_id!r}, customer {payment.customer_id!r})."
    )
