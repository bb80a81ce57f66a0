"""Stripe webhooks: each event stored once, then tokens credited or taken back through the ledger.

Stripe delivers an event at least once, in no promised order, and retries for days until answered
with a 2xx. So the webhook only checks the signature and stores the event (a replay stores nothing
new), and a task processes it. Every movement is keyed by the Stripe object it is about: a pack's
tokens by its PaymentIntent (a Checkout Session and its PaymentIntent both report one payment, and
credit it once), a refund by its PaymentIntent and the total refunded so far, a dispute by its id.
Whatever a take-back finds already spent is owed (see billing.ledger), and paid off first by the
next tokens credited. Crediting a pack lives in billing.pack_credits, disputes in billing.disputes,
plan subscriptions in billing.subscriptions; this module receives and runs the events and handles
refunds.

Amounts come from Stripe's objects and the pack rows, never from anything a browser sent.

Receiving: receiving a webhook delivery: Stripe's signature checked, the body read strictly, the event stored once.

A delivery not signed with our secret is refused (InvalidWebhook, a 400) and nothing is stored: Stripe
did not send it, and will not retry it. A signed one came from Stripe (or whoever holds the secret),
and Stripe retries anything not answered 2xx for three days; so a signed body SAGE cannot use as an
event (not a JSON object, no usable id, `NaN`, NUL, a lone surrogate, nesting no event has) is stored
as refused, with the reason, and answered 2xx all the same, as Stripe asks of events a handler cannot
use. A refused event is never queued; an operator sees it, reason and body, in the admin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stripe
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.disputes import DISPUTE_EVENT_HANDLERS
from billing.ledger import ledger_take_back
from billing.models import PackPurchase, StripeEvent
from billing.pack_credits import (
    PaymentMismatch,
    pack_payment_of,
    pack_purchase_credit,
    pack_purchase_credited,
    pack_purchase_ensure,
    pack_purchase_locked,
    paid_intent_on_stripe,
)
from billing.stripe_client import (
    PACK_METADATA_KEY,
    TRANSIENT_STRIPE_ERRORS,
    USER_METADATA_KEY,
    stripe_client,
    stripe_object,
    stripe_ref_id,
)
from billing.subscriptions import SUBSCRIPTION_EVENT_HANDLERS, SubscriptionMismatch
from sage import json_input
from sage.errors import ApplicationError, MalformedJson

log = logging.getLogger(__name__)

# What of an unreadable body is kept for the operator (a delivery is at most DATA_UPLOAD_MAX_MEMORY_SIZE).
RAW_BODY_KEPT_CHARS = 64 * 1024
# A refused body has no id of its own to be stored under: this prefix and its hash (a redelivery of
# the same body is then the same row).
UNREADABLE_ID_PREFIX = "unreadable:"
UNREADABLE_TYPE = "(unreadable)"


class InvalidWebhook(ApplicationError):
    code = "invalid_webhook"
    status = 400
    default_message = "The webhook's signature or body is not valid."


@dataclass(frozen=True)
class Delivery:
    """One delivery as stored: the event, whether this delivery was its first, and whether it was refused."""

    event: StripeEvent
    created: bool

    @property
    def refused(self) -> bool:
        return self.event.refused_at is not None


def stripe_event_record(*, payload: bytes, signature: str | None) -> Delivery:
    """Check the signature and store the event once; queue its processing unless it is refused.
    InvalidWebhook (nothing stored) if it is not signed with our secret."""
    text = _signed_text(payload, signature)
    try:
        body = json_input.loads(text, nul_allowed=False)  # stored whole in jsonb, which refuses NUL
        event_id, event_type = _event_id_and_type(body)
    except MalformedJson as refusal:
        return _refused(text, refusal.message)
    with transaction.atomic():
        stored, created = StripeEvent.objects.get_or_create(
            stripe_id=event_id,
            defaults={"type": event_type, "payload": body, "livemode": body.get("livemode") is True},
        )
        if stored.processed_at is None and stored.refused_at is None:
            # A redelivery of an event not yet processed queues it again (its task may have been
            # lost); processing is idempotent, so a second run moves nothing.
            stripe_event_enqueue(stored)
    return Delivery(stored, created)


def _signed_text(payload: bytes, signature: str | None) -> str:
    # Stripe signs UTF-8 text with a hex HMAC in an ASCII header; anything else is not its delivery
    # (and would make the SDK's constant-time compare raise TypeError rather than refuse).
    if not signature or not signature.isascii():
        raise InvalidWebhook()
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=stripe.Webhook.DEFAULT_TOLERANCE
        )
    except (UnicodeDecodeError, stripe.SignatureVerificationError):
        raise InvalidWebhook() from None
    return text


def _event_id_and_type(body: Any) -> tuple[str, str]:
    id_chars = StripeEvent._meta.get_field("stripe_id").max_length or 255
    type_chars = StripeEvent._meta.get_field("type").max_length or 100
    if not isinstance(body, dict):
        raise MalformedJson("The body is not a JSON object, so not a Stripe event.")
    event_id, event_type = body.get("id"), body.get("type")
    if not isinstance(event_id, str) or not event_id.startswith("evt_") or len(event_id) > id_chars:
        raise MalformedJson(f"The event has no id of the form evt_… of at most {id_chars} characters.")
    if not isinstance(event_type, str) or not event_type or len(event_type) > type_chars:
        raise MalformedJson(f"The event has no type of at most {type_chars} characters.")
    return event_id, event_type


def _refused(text: str, reason: str) -> Delivery:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    stored, created = StripeEvent.objects.get_or_create(
        stripe_id=f"{UNREADABLE_ID_PREFIX}{digest}",
        defaults={
            "type": UNREADABLE_TYPE,
            "payload": {},
            "raw_body": text[:RAW_BODY_KEPT_CHARS].replace("\x00", "\\x00"),
            "refused_at": timezone.now(),
            "error": f"Refused: {reason}",
        },
    )
    return Delivery(stored, created)


def delivery_answer(delivery: Delivery) -> dict[str, Any]:
    """What the webhook answers for a delivery (with its refusal in the error shape, when refused)."""
    answer: dict[str, Any] = {"received": delivery.event.stripe_id, "duplicate": not delivery.created}
    if delivery.refused:
        reason = delivery.event.error.removeprefix("Refused: ")
        answer["refused"] = True
        answer["error"] = {"code": "event_refused", "message": reason, "fields": {}}
    return answer


# What a handler raises for an event it refuses (see stripe_event_process).
STRIPE_EVENT_REFUSALS: tuple[type[Exception], ...] = (PaymentMismatch, SubscriptionMismatch)


# --- queueing and processing ------------------------------------------------------------------


def stripe_event_enqueue(event: StripeEvent) -> None:
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
        if event.raw_body:  # kept only for a body that was no readable event (stripe_event_record)
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
    sessions = stripe_client().v1.checkout.sessions
    session = stripe_object(sessions, session_id, named="Checkout Session", refuse=PaymentMismatch)
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
    charge = stripe_object(stripe_client().v1.charges, charge_id, named="charge", refuse=PaymentMismatch)
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
                wallet_id=purchase.wallet_id,  # the wallet it was bought for: a team's has no user
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


# --- tasks (registered under billing.tasks' names, which the beat schedule and queued tasks use) ---

# An event still unprocessed this long after it arrived lost its task (a broker outage, a worker
# killed mid-run) and is queued again, up to a few attempts; after that it waits for an operator.
STALE_EVENT_AFTER = dt.timedelta(minutes=10)
STALE_EVENT_MAX_ATTEMPTS = 5


@shared_task(
    name="billing.tasks.process_stripe_event",
    autoretry_for=TRANSIENT_STRIPE_ERRORS,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def process_stripe_event(stripe_event_id: int) -> None:
    """Process one stored webhook event (idempotent: a processed one is skipped)."""
    stripe_event_process(event_id=stripe_event_id)


@shared_task(name="billing.tasks.requeue_stale_stripe_events")
def requeue_stale_stripe_events() -> int:
    """Every few minutes: queue again the events whose processing was lost; returns how many."""
    stale = StripeEvent.objects.filter(
        processed_at__isnull=True,
        refused_at__isnull=True,  # refused on purpose: a retry would refuse it again
        received_at__lt=timezone.now() - STALE_EVENT_AFTER,
        attempts__lt=STALE_EVENT_MAX_ATTEMPTS,
    ).order_by("pk")[:500]
    count = 0
    for event in stale:
        stripe_event_enqueue(event)
        count += 1
    return count
