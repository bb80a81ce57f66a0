"""Subscribing with a card Stripe declines, against localstripe through the endpoint: the answer says
so (402, Stripe's reason), and nothing of the attempt is left, on SAGE or on Stripe: no open
subscription, no plan, no tokens, and the declined card is not the customer's default for invoices.

A card is declined either when it is attached to the customer (localstripe: 4000000000000002) or
when the first invoice is charged (4000000000000341, which attaches fine). A 3-D Secure card
(4000002760003184) is attached without being asked anything: its one authentication is the first
invoice's payment, confirmed in the browser.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from billing.models import LedgerEntry, PlanSubscription, Wallet
from tests.billing.test_subscriptions import localstripe_url, paid_plans  # noqa: F401 (fixtures)
from tests.factories import empty_wallet_user

pytestmark = pytest.mark.django_db

DECLINED_WHEN_ATTACHED = "4000000000000002"
DECLINED_WHEN_CHARGED = "4000000000000341"
ASKS_FOR_3D_SECURE = "4000002760003184"


def card_numbered(client: stripe.StripeClient, number: str) -> str:
    """A card as stripe.js's createPaymentMethod makes it: not attached, not authenticated."""
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    return method.id


def subscribe(user: Any, slug: str, payment_method: str) -> Any:
    http = Client()
    http.force_login(user)
    return http.post(
        reverse("billing:plan-subscribe", args=[slug]),
        data={"payment_method": payment_method},
        content_type="application/json",
    )


def stripe_state(client: stripe.StripeClient, user: Any) -> tuple[str, list[str]]:
    """The customer's default card for invoices and the statuses of their subscriptions on Stripe."""
    customer_id = Wallet.objects.get(user=user).stripe_customer_id
    customer = client.v1.customers.retrieve(customer_id).to_dict()
    default = (customer.get("invoice_settings") or {}).get("default_payment_method") or ""
    subscriptions = client.v1.subscriptions.list(params={"customer": customer_id, "status": "all"})
    return str(default), [str(sub.status) for sub in subscriptions.data]


def assert_nothing_half_made(client: stripe.StripeClient, user: Any) -> None:
    wallet = Wallet.objects.select_related("plan").get(user=user)
    assert wallet.plan.slug == "free" and wallet.balance == 0
    assert not LedgerEntry.objects.filter(wallet=wallet, ref_type="subscriptioninvoice").exists()
    assert not PlanSubscription.objects.filter(wallet=wallet, status__in=PlanSubscription.OPEN_STATUSES).exists()
    default, statuses = stripe_state(client, user)
    assert default == ""
    assert all(status in ("canceled", "incomplete_expired") for status in statuses), statuses


@pytest.mark.parametrize("number", [DECLINED_WHEN_ATTACHED, DECLINED_WHEN_CHARGED], ids=["on-attach", "on-charge"])
def test_a_declined_card_is_refused_with_stripes_reason_and_leaves_nothing_half_made(
    stripe_fake,
    paid_plans,  # noqa: F811
    number,
) -> None:
    user = empty_wallet_user()

    answer = subscribe(user, "pro", card_numbered(stripe_fake, number))

    assert answer.status_code == 402, answer.content
    error = answer.json()["error"]
    assert error["code"] == "payment_refused"
    assert "declined" in error["message"] and "Nothing was charged" in error["message"]
    assert_nothing_half_made(stripe_fake, user)


def test_after_a_declined_card_another_card_subscribes(stripe_fake, paid_plans) -> None:  # noqa: F811
    user = empty_wallet_user()
    assert subscribe(user, "pro", card_numbered(stripe_fake, DECLINED_WHEN_CHARGED)).status_code == 402

    answer = subscribe(user, "pro", card_numbered(stripe_fake, "4242424242424242"))

    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "active"
    assert Wallet.objects.get(user=user).plan.slug == "pro"


def test_a_3d_secure_card_is_attached_unasked_and_its_first_payment_is_left_to_authenticate(
    stripe_fake,
    paid_plans,  # noqa: F811
) -> None:
    user = empty_wallet_user()
    payment_method = card_numbered(stripe_fake, ASKS_FOR_3D_SECURE)

    answer = subscribe(user, "pro", payment_method)

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "incomplete" and body["client_secret"].startswith("pi_")
    intent = stripe_fake.v1.payment_intents.retrieve(body["client_secret"].split("_secret_")[0])
    assert intent.status == "requires_action" and intent.payment_method == payment_method
    default, statuses = stripe_state(stripe_fake, user)
    assert default == payment_method and statuses == ["incomplete"]  # renewals are charged to it
