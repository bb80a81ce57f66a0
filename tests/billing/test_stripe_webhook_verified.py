"""A signed event is a hint, not proof: before crediting, the PaymentIntent (or invoice) is fetched from
Stripe (localstripe here), and only what Stripe says was paid, at the pack's price, by the person it
was sold to, is credited. Forged-but-signed events credit nothing and are recorded as refused."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from billing.models import PackPurchase, StripeEvent, TokenPack, Wallet
from billing.stripe_client import PACK_METADATA_KEY, USER_METADATA_KEY, stripe_customer_for
from tests.billing.stripe_fake import (
    CHECKOUT_SESSIONS_ON_STRIPE,
    built_event,
    checkout_session_completed,
    deliver,
    paid_pack_intent,
)
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.django_db


def balance(user) -> int:
    return Wallet.objects.get(user=user).balance


def forged_intent(*, intent_id: str, user, pack: TokenPack, **fields: Any) -> dict[str, Any]:
    """A PaymentIntent body as a forger would write it: succeeded, at the pack's price, for `user`."""
    return {
        "id": intent_id,
        "object": "payment_intent",
        "status": "succeeded",
        "amount": pack.amount,
        "amount_received": pack.amount,
        "currency": pack.currency,
        "metadata": {PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(user.pk)},
        **fields,
    }


def card(client: stripe.StripeClient) -> str:
    return client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    ).id


def assert_refused_and_nothing_credited(user, reason: str) -> None:
    stored = StripeEvent.objects.get()
    assert stored.refused_at is not None and stored.processed_at is None, stored.error
    assert reason in stored.error, stored.error
    assert balance(user) == 0
    assert not PackPurchase.objects.exists()


def test_a_signed_event_for_a_payment_intent_stripe_does_not_have_credits_nothing(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=10_000, amount=900)
    event = built_event("payment_intent.succeeded", forged_intent(intent_id="pi_forged123", user=user, pack=pack))

    assert deliver(event).status_code == 200

    assert_refused_and_nothing_credited(user, "Stripe has no PaymentIntent 'pi_forged123'")


def test_a_signed_event_for_an_unpaid_payment_intent_credits_nothing(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=10_000, amount=900)
    unpaid = stripe_fake.v1.payment_intents.create(
        params={
            "amount": pack.amount,
            "currency": pack.currency,
            "metadata": {PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(user.pk)},
        }
    )
    assert unpaid.status != "succeeded"
    event = built_event("payment_intent.succeeded", forged_intent(intent_id=unpaid.id, user=user, pack=pack))

    deliver(event)

    assert_refused_and_nothing_credited(user, "not paid")


def test_a_signed_event_claiming_the_packs_price_for_a_smaller_payment_credits_nothing(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=10_000, amount=900)
    cheap = TokenPackFactory(tokens=1, amount=50)
    paid = paid_pack_intent(stripe_fake, user=user, pack=cheap)  # 50 cents paid, for the cheap pack
    # The forger names the expensive pack and its price; Stripe's copy says 50 cents for the cheap one,
    # so it is the cheap pack's metadata that counts. A copy whose metadata names the expensive pack:
    stripe_fake.v1.payment_intents.update(paid["id"], params={"metadata": {PACK_METADATA_KEY: str(pack.pk)}})
    event = built_event("payment_intent.succeeded", forged_intent(intent_id=paid["id"], user=user, pack=pack))

    deliver(event)

    assert_refused_and_nothing_credited(user, "received 50 usd")


def test_a_body_naming_another_pack_credits_the_pack_stripe_says_was_paid(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=100, amount=300)
    big = TokenPackFactory(tokens=1_000_000, amount=300)
    paid = paid_pack_intent(stripe_fake, user=user, pack=pack)
    event = built_event("payment_intent.succeeded", forged_intent(intent_id=paid["id"], user=user, pack=big))

    deliver(event)
    deliver(event)

    assert balance(user) == 100
    assert PackPurchase.objects.get().pack == pack


def test_a_body_naming_another_person_credits_the_person_stripe_says_paid(stripe_fake) -> None:
    payer, other, pack = empty_wallet_user(), empty_wallet_user(), TokenPackFactory(tokens=100, amount=300)
    paid = paid_pack_intent(stripe_fake, user=payer, pack=pack)
    event = built_event("payment_intent.succeeded", forged_intent(intent_id=paid["id"], user=other, pack=pack))

    deliver(event)

    assert (balance(payer), balance(other)) == (100, 0)


def test_a_payment_by_another_persons_stripe_customer_credits_nothing(stripe_fake) -> None:
    named, payer, pack = empty_wallet_user(), empty_wallet_user(), TokenPackFactory(tokens=100, amount=300)
    stripe_customer_for(named)
    payer_customer = stripe_customer_for(payer)
    # Paid by the payer's customer, with metadata naming someone else: the two disagree.
    intent = stripe_fake.v1.payment_intents.create(
        params={
            "amount": pack.amount,
            "currency": pack.currency,
            "customer": payer_customer,
            "payment_method": card(stripe_fake),
            "confirm": True,
            "metadata": {PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(named.pk)},
        }
    )
    assert intent.status == "succeeded"

    deliver(built_event("payment_intent.succeeded", intent.to_dict()))

    assert "paid by customer" in StripeEvent.objects.get().error
    assert (balance(named), balance(payer)) == (0, 0)


def test_a_checkout_session_naming_a_payment_intent_stripe_does_not_have_credits_nothing(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=10_000, amount=900)
    session = checkout_session_completed(forged_intent(intent_id="pi_forged456", user=user, pack=pack))

    deliver(session)

    assert_refused_and_nothing_credited(user, "Stripe has no PaymentIntent 'pi_forged456'")


def test_a_real_payment_is_credited_exactly_once_across_its_events(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=250, amount=250)
    paid = paid_pack_intent(stripe_fake, user=user, pack=pack)

    for _ in range(2):
        deliver(built_event("payment_intent.succeeded", paid))
        deliver(checkout_session_completed(paid))

    assert balance(user) == 250
    assert PackPurchase.objects.count() == 1
    assert not StripeEvent.objects.filter(refused_at__isnull=False).exists()


def test_a_signed_refund_event_takes_back_only_what_stripe_says_was_refunded(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=1000, amount=1000)
    paid = paid_pack_intent(stripe_fake, user=user, pack=pack)
    deliver(built_event("payment_intent.succeeded", paid))
    latest = stripe_fake.v1.payment_intents.retrieve(paid["id"]).latest_charge
    charge = stripe_fake.v1.charges.retrieve(latest if isinstance(latest, str) else latest.id).to_dict()
    # Nothing was refunded on Stripe; the forged body claims all of it.
    deliver(built_event("charge.refunded", {**charge, "refunded": True, "amount_refunded": 1000}))
    deliver(built_event("charge.refunded", {**charge, "id": "ch_forged", "amount_refunded": 1000}))

    assert balance(user) == 1000
    assert PackPurchase.objects.get().amount_refunded == 0
    assert "Stripe has no charge 'ch_forged'" in StripeEvent.objects.get(payload__data__object__id="ch_forged").error


def session_for(intent: dict[str, Any], *, metadata: dict[str, str], payment_status: str = "paid") -> dict[str, Any]:
    """A `checkout.session.completed` event whose session carries the pack and person (not its
    PaymentIntent), as Stripe would have the session."""
    event = checkout_session_completed(intent)
    event["data"]["object"]["metadata"] = metadata
    return event


def test_a_session_holding_the_pack_is_credited_from_stripes_copy_of_it(stripe_with_sessions_and_disputes) -> None:
    client = stripe_with_sessions_and_disputes
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=300, amount=500)
    paid = client.v1.payment_intents.create(
        params={"amount": 500, "currency": "usd", "payment_method": card(client), "confirm": True}
    ).to_dict()
    event = session_for(paid, metadata={PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(user.pk)})
    session = event["data"]["object"]
    CHECKOUT_SESSIONS_ON_STRIPE[session["id"]] = session

    deliver(event)
    deliver(event)

    assert balance(user) == 300
    assert PackPurchase.objects.get().stripe_payment_intent_id == paid["id"]


def test_a_session_stripe_does_not_have_or_has_unpaid_credits_nothing(stripe_with_sessions_and_disputes) -> None:
    client = stripe_with_sessions_and_disputes
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=300, amount=500)
    paid = client.v1.payment_intents.create(
        params={"amount": 500, "currency": "usd", "payment_method": card(client), "confirm": True}
    ).to_dict()
    metadata = {PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(user.pk)}
    invented = session_for(paid, metadata=metadata)  # never on Stripe
    unpaid = session_for(paid, metadata=metadata)
    CHECKOUT_SESSIONS_ON_STRIPE[unpaid["data"]["object"]["id"]] = {
        **unpaid["data"]["object"],
        "payment_status": "unpaid",
    }

    deliver(invented)
    deliver(unpaid)

    refused = [event.error for event in StripeEvent.objects.order_by("pk")]
    assert "Stripe has no Checkout Session" in refused[0]
    assert "is not a paid pack" in refused[1]
    assert balance(user) == 0 and not PackPurchase.objects.exists()
