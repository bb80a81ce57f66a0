"""A payment's page says what was bought and for how much, before and after Stripe's confirmation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.billing.stripe_fake import deliver, event_from_fake, paid_pack_intent
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.django_db


def test_the_payment_page_shows_the_amount_and_the_tokens_while_waiting_and_once_paid(stripe_fake) -> None:
    user = empty_wallet_user()
    pack = TokenPackFactory(name="Starter pack", tokens=3_600, amount=499, currency="eur")
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    client = Client()
    client.force_login(user)
    url = reverse("billing:payment-result", args=[intent["id"]])

    waiting = client.get(url).content.decode()
    deliver(event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"]))
    paid = client.get(url).content.decode()

    assert "Waiting for Stripe to confirm the payment…" in waiting
    assert "Starter pack: 3,600 tokens for €4.99." in waiting
    assert "Paid: 3,600 tokens added." in paid
    assert "Starter pack: 3,600 tokens for €4.99." in paid
