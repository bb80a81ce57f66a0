"""Receiving a webhook delivery: Stripe's signature checked, the body read strictly, the event stored once.

A delivery not signed with our secret is refused (InvalidWebhook, a 400) and nothing is stored: Stripe
did not send it, and will not retry it. A signed one came from Stripe (or whoever holds the secret),
and Stripe retries anything not answered 2xx for three days; so a signed body SAGE cannot use as an
event (not a JSON object, no usable id, `NaN`, NUL, a lone surrogate, nesting no event has) is stored
as refused, with the reason, and answered 2xx all the same, as Stripe asks of events a handler cannot
use. A refused event is never queued; an operator sees it, reason and body, in the admin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import StripeEvent
from billing.payments import stripe_event_enqueue
from sage import json_input
from sage.errors import ApplicationError, MalformedJson

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
