"""The landing page describes pricing as it is sold: monthly plans, and token packs when on sale."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import TokenPackFactory

pytestmark = pytest.mark.django_db


def test_the_landing_page_lists_the_plans_sold_and_no_longer_says_there_are_no_subscriptions() -> None:
    page = Client().get("/").content.decode()

    assert "No subscriptions" not in page
    assert "<strong>Free</strong>: free, 1,800 tokens a month" in page
    assert "<strong>Pro</strong>: $19 / month, 36,000 tokens a month" in page
    assert "Token packs" not in page  # payments are not configured here


def test_the_landing_page_offers_token_packs_from_the_cheapest_when_payments_are_on(settings) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_landing", "whsec_landing"
    TokenPackFactory(name="Big", tokens=36_000, amount=4_900)
    TokenPackFactory(name="Small", tokens=3_600, amount=499)

    page = Client().get("/").content.decode()

    assert "<strong>Token packs</strong>: from $4.99 for 3,600 tokens, once, no subscription" in page
    assert "buy a token pack whenever you need more" in page
