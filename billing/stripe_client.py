"""The one place SAGE talks to Stripe from: whether payments are configured, the SDK client, the
metadata keys SAGE writes on Stripe's objects, Stripe's copy of an object, the person's Customer,
and the errors a payer sees when Stripe refuses or cannot be reached.

A `StripeClient` per call site rather than the SDK's module globals (`stripe.api_key`,
`stripe.api_base`): settings stay the only source, and tests point STRIPE_API_BASE at localstripe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import stripe
from django.conf import settings
from django.db import transaction

from accounts.models import User
from billing.ledger import wallet_create
from billing.wallets import wallet_locked
from sage.errors import ApplicationError

# Set on every Checkout Session / PaymentIntent / Customer / Subscription SAGE creates: what was
# bought (a pack, or a plan) and by whom.
PACK_METADATA_KEY = "sage_pack_id"
USER_METADATA_KEY = "sage_user_id"
# A pack bought for a team workspace's wallet (absent: the buyer's own wallet).
WORKSPACE_METADATA_KEY = "sage_workspace_id"
PLAN_METADATA_KEY = "sage_plan"

# Errors worth trying again later (Stripe unreachable or asking us to slow down); anything else
# Stripe answers is a refusal that a retry would only repeat.
TRANSIENT_STRIPE_ERRORS: tuple[type[Exception], ...] = (stripe.APIConnectionError, stripe.RateLimitError)


class PaymentRefused(ApplicationError):
    """Stripe declined the card, or it cannot be used: the message is Stripe's, meant for the payer."""

    code = "payment_refused"
    status = 402
    default_message = "The payment was refused."


class StripeBusy(ApplicationError):
    """Stripe could not be reached, or asked us to slow down: nothing was done; try again soon."""

    code = "stripe_busy"
    status = 503
    default_message = "Stripe cannot be reached just now; try again in a minute."


class PaymentMethodInvalid(ApplicationError):
    code = "payment_method_invalid"
    status = 400
    default_message = "That card is not one of yours: enter it again."


class PaymentsNotConfigured(ApplicationError):
    code = "payments_not_configured"
    status = 503
    default_message = "Payments are not configured on this site; an operator can grant tokens."


def payments_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def stripe_client() -> stripe.StripeClient:
    if not payments_configured():
        raise PaymentsNotConfigured()
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        str(settings.STRIPE_SECRET_KEY),
        base_addresses={"api": base} if base else None,
        # The SDK's own retries (with Stripe's idempotency keys on POSTs) for dropped connections.
        max_network_retries=2,
    )


def stripe_ref_id(value: object) -> str:
    """An object reference in a Stripe payload or answer: an id, or the expanded object carrying one."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) else ""


class _Retrievable(Protocol):
    def retrieve(self, id: str, /) -> stripe.StripeObject: ...


def stripe_object(
    service: _Retrievable, object_id: str, *, named: str, refuse: Callable[[str], Exception]
) -> dict[str, Any]:
    """Stripe's own copy of an object (`service` is e.g. `stripe_client().v1.charges`, `named` how a
    message calls it). One Stripe does not have (404 and the like: a retry would get the same answer)
    raises what `refuse` makes of the message; transient errors propagate, for the caller to retry."""
    try:
        return service.retrieve(object_id).to_dict()
    except stripe.InvalidRequestError as exc:
        raise refuse(f"Stripe has no {named} {object_id!r} ({exc.http_status}).") from None


def stripe_customer_for(user: User) -> str:
    """The person's Stripe Customer id, created the first time and kept on their wallet."""
    with transaction.atomic():
        wallet_create(user=user)  # an old account may have none yet
        wallet = wallet_locked(user_id=user.pk)
        if wallet.stripe_customer_id:
            return wallet.stripe_customer_id
        customer = stripe_client().v1.customers.create(
            params={"email": user.email, "metadata": {USER_METADATA_KEY: str(user.pk)}},
            options={"idempotency_key": f"sage-customer-{user.pk}"},
        )
        wallet.stripe_customer_id = customer.id
        wallet.save(update_fields=["stripe_customer_id", "updated_at"])
        return customer.id


def payment_method_attach_checked(client: stripe.StripeClient, *, customer_id: str, payment_method_id: str) -> None:
    """Refuses a payment method of another customer. One saved by this person's SetupIntent is
    attached to their customer already; one not attached to any customer is attached now (Stripe
    refuses to attach a card it declines)."""
    method = stripe_object(
        client.v1.payment_methods, payment_method_id, named="payment method", refuse=lambda _: PaymentMethodInvalid()
    )
    owner = stripe_ref_id(method.get("customer"))
    if owner == customer_id:
        return
    if owner:
        raise PaymentMethodInvalid()
    try:
        client.v1.payment_methods.attach(payment_method_id, params={"customer": customer_id})
    except stripe.CardError as exc:
        raise PaymentRefused(card_message(exc)) from None


def payment_failure_reason(intent: dict[str, Any], fallback: str) -> str:
    error = intent.get("last_payment_error") or {}
    return str(error.get("message") or fallback)


def card_message(exc: stripe.StripeError) -> str:
    """A declined card's message for the payer (Stripe's own, when it gives one)."""
    message = exc.user_message or "Your card was declined."
    return f"{message} Nothing was charged; try another card."
