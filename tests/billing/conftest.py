"""Payments tests run the stripe SDK against localstripe (a stateful fake Stripe) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from billing.stripe_client import stripe_client
from tests import servers
from tests.billing.stripe_fake import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET, stripe_beside


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    with servers.localstripe_server() as url:
        yield url


@pytest.fixture
def stripe_fake(settings, localstripe_url: str) -> stripe.StripeClient:
    """Payments configured with test keys, the SDK pointed at localstripe; the SDK client."""
    settings.STRIPE_SECRET_KEY = TEST_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_url
    return stripe_client()


@pytest.fixture
def stripe_with_sessions_and_disputes(
    stripe_fake: stripe.StripeClient, settings, localstripe_url: str
) -> Iterator[stripe.StripeClient]:
    """stripe_fake, with SAGE's client pointed at `stripe_beside(localstripe)`: disputes and Checkout
    Sessions a test builds are on "Stripe" (localstripe has neither)."""
    with stripe_beside(localstripe_url) as url:
        settings.STRIPE_API_BASE = url
        yield stripe_fake
