"""Buying a token pack on the site: the card is saved with a SetupIntent, then charged server-side.

The browser never sends an amount or card data to SAGE. Stripe.js confirms the SetupIntent made
here (card data goes straight to Stripe) and gives back a PaymentMethod id; `pack_purchase_start`
charges that payment method the pack row's amount, tagged with the pack and the person, and the
webhook (billing.payments) credits the tokens once Stripe says the payment succeeded.

Each person's calls here run one at a time under their wallet's row lock: two tabs make one Stripe
Customer, and a double-submitted purchase (same pack, same payment method) makes one charge. The
Stripe idempotency key says the same to Stripe itself (a retried request after a dropped connection
returns the first PaymentIntent); the cache remembers the PaymentIntent for fakes that ignore keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts.models import User
from billing.models import PackPurchase, TokenPack, Wallet
from billing.pack_credits import PACK_METADATA_KEY, USER_METADATA_KEY
from billing.services import wallet_create
from billing.stripe_client import stripe_client, stripe_ref_id
from sage.errors import ApplicationError, NotFound

# How long a purchase request is remembered by its idempotency key (Stripe keeps keys 24 hours).
PURCHASE_MEMORY_SECONDS = 24 * 60 * 60


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


@dataclass(frozen=True)
class CardSetup:
    client_secret: str
    publishable_key: str


@dataclass(frozen=True)
class PurchaseStarted:
    payment_intent_id: str
    status: str  # Stripe's PaymentIntent status: succeeded, processing, requires_action, …
    client_secret: str | None  # only when the browser must act (3-D Secure)


@dataclass(frozen=True)
class PaymentResult:
    """What the result page says about one PaymentIntent."""

    payment_intent_id: str
    state: str  # "paid" (credited), "waiting" (Stripe has not confirmed, or the webhook not come), "failed"
    tokens: int
    pack_name: str
    message: str


def _locked_wallet(user: User) -> Wallet:
    wallet_create(user=user)  # an old account may have none yet
    return Wallet.objects.select_for_update().get(user=user)


def stripe_customer_for(user: User) -> str:
    """The person's Stripe Customer id, created the first time and kept on their wallet."""
    with transaction.atomic():
        wallet = _locked_wallet(user)
        if wallet.stripe_customer_id:
            return wallet.stripe_customer_id
        customer = stripe_client().v1.customers.create(
            params={"email": user.email, "metadata": {USER_METADATA_KEY: str(user.pk)}},
            options={"idempotency_key": f"sage-customer-{user.pk}"},
        )
        wallet.stripe_customer_id = customer.id
        wallet.save(update_fields=["stripe_customer_id", "updated_at"])
        return customer.id


def card_setup_start(*, user: User) -> CardSetup:
    """A SetupIntent for the person's customer; Stripe.js confirms it with the card entered."""
    customer_id = stripe_customer_for(user)
    setup = stripe_client().v1.setup_intents.create(params={"customer": customer_id})
    return CardSetup(client_secret=str(setup.client_secret), publishable_key=str(settings.STRIPE_PUBLISHABLE_KEY))


def pack_for_sale(pack_id: int) -> TokenPack:
    pack = TokenPack.objects.filter(pk=pack_id, is_active=True).first()
    if pack is None:
        raise NotFound("No such token pack.")
    return pack


def pack_purchase_start(*, user: User, pack: TokenPack, payment_method_id: str, return_url: str) -> PurchaseStarted:
    """Charge `payment_method_id` (a card of this person's customer) the pack's price, once.
    `return_url`: where Stripe sends the browser back after a redirect-based authentication."""
    if not payment_method_id.startswith("pm_"):
        raise PaymentMethodInvalid()
    customer_id = stripe_customer_for(user)
    client = stripe_client()
    key = f"sage-pack-{user.pk}-{pack.pk}-{payment_method_id}"
    with transaction.atomic():
        _locked_wallet(user)  # one purchase request of this person at a time (see the module doc)
        if remembered := cache.get(key):
            intent = client.v1.payment_intents.retrieve(str(remembered))
        else:
            payment_method_attach_checked(client, customer_id=customer_id, payment_method_id=payment_method_id)
            intent = _charge(
                client, user=user, pack=pack, customer_id=customer_id, pm=payment_method_id, key=key, back=return_url
            )
            cache.set(key, intent.id, PURCHASE_MEMORY_SECONDS)
    return _started(intent)


def payment_method_attach_checked(client: stripe.StripeClient, *, customer_id: str, payment_method_id: str) -> None:
    """Refuses a payment method of another customer. One saved by this person's SetupIntent is
    attached to their customer already; one not attached to any customer is attached now (Stripe
    refuses to attach a card it declines)."""
    try:
        method = client.v1.payment_methods.retrieve(payment_method_id).to_dict()
    except stripe.InvalidRequestError:
        raise PaymentMethodInvalid() from None
    owner = stripe_ref_id(method.get("customer"))
    if owner == customer_id:
        return
    if owner:
        raise PaymentMethodInvalid()
    try:
        client.v1.payment_methods.attach(payment_method_id, params={"customer": customer_id})
    except stripe.CardError as exc:
        raise PaymentRefused(_card_message(exc)) from None


def _charge(
    client: stripe.StripeClient, *, user: User, pack: TokenPack, customer_id: str, pm: str, key: str, back: str
) -> stripe.PaymentIntent:
    params: dict[str, Any] = {
        "amount": pack.amount,
        "currency": pack.currency,
        "customer": customer_id,
        "payment_method": pm,
        "confirm": True,
        "metadata": {PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(user.pk)},
    }
    if not settings.STRIPE_API_BASE:
        # Stripe asks for a return_url when it confirms a payment whose methods may redirect; the
        # local fake (STRIPE_API_BASE, localstripe) refuses any parameter it does not know.
        params["return_url"] = back
    try:
        return client.v1.payment_intents.create(params=params, options={"idempotency_key": key})  # type: ignore[arg-type]
    except stripe.CardError as exc:
        raise PaymentRefused(_card_message(exc)) from None


def payment_failure_reason(intent: dict[str, Any], fallback: str) -> str:
    error = intent.get("last_payment_error") or {}
    return str(error.get("message") or fallback)


def _card_message(exc: stripe.StripeError) -> str:
    message = exc.user_message or "Your card was declined."
    return f"{message} Nothing was charged; try another card."


def _started(stripe_intent: stripe.PaymentIntent) -> PurchaseStarted:
    intent = stripe_intent.to_dict()
    status = str(intent.get("status"))
    if status == "requires_payment_method":  # declined while confirming, without a CardError
        reason = payment_failure_reason(intent, "Your card was declined.")
        raise PaymentRefused(f"{reason} Nothing was charged; try another card.")
    return PurchaseStarted(
        payment_intent_id=str(intent["id"]),
        status=status,
        client_secret=str(intent.get("client_secret")) if status == "requires_action" else None,
    )


def payment_result_for_user(*, user: User, payment_intent_id: str) -> PaymentResult:
    """How a payment this person made stands; NotFound for anyone else's (or no such payment)."""
    purchase = (
        PackPurchase.objects.select_related("pack")
        .filter(stripe_payment_intent_id=payment_intent_id, wallet__user=user)
        .first()
    )
    if purchase is not None:
        return _paid(purchase)
    if not payment_intent_id.startswith("pi_"):
        raise NotFound()
    try:
        intent = stripe_client().v1.payment_intents.retrieve(payment_intent_id).to_dict()
    except stripe.InvalidRequestError:
        raise NotFound() from None
    metadata = intent.get("metadata") or {}
    if metadata.get(USER_METADATA_KEY) != str(user.pk):
        raise NotFound()
    pack = TokenPack.objects.filter(pk=int(metadata.get(PACK_METADATA_KEY, "0") or 0)).first()
    tokens, name = (pack.tokens, pack.name) if pack is not None else (0, "token pack")
    if intent.get("status") in ("requires_payment_method", "canceled"):
        reason = payment_failure_reason(intent, "The payment did not go through.")
        return PaymentResult(payment_intent_id, "failed", tokens, name, f"{reason} Nothing was charged.")
    # The webhook may have credited it between the two reads above.
    if (purchase := PackPurchase.objects.filter(stripe_payment_intent_id=payment_intent_id).first()) is not None:
        return _paid(purchase)
    return PaymentResult(payment_intent_id, "waiting", tokens, name, "Waiting for Stripe to confirm the payment…")


def _paid(purchase: PackPurchase) -> PaymentResult:
    name = purchase.pack.name if purchase.pack is not None else "token pack"
    return PaymentResult(
        purchase.stripe_payment_intent_id, "paid", purchase.tokens, name, f"Paid: {purchase.tokens:,} tokens added."
    )
