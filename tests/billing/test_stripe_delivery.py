"""End to end without our own signing: localstripe itself delivers its signed `payment_intent.succeeded`
(registered through its `/_config/webhooks/{id}`) to SAGE served by daphne, which stores and credits it."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from billing.models import PackPurchase, StripeEvent, Wallet
from devtools import processes
from tests.billing.stripe_fake import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET, paid_pack_intent
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_payment_on_the_fake_is_delivered_signed_by_it_and_credited(stripe_fake, localstripe_url: str) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=1234, amount=499)
    hook = f"sage-{uuid.uuid4().hex[:12]}"
    env = {
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_sage_localstripe",
        "STRIPE_API_BASE": localstripe_url,
        # No worker here: the server runs the processing task itself once the event is stored.
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    with processes.daphne_server(**env) as site:
        config = f"{localstripe_url}/_config/webhooks/{hook}"
        webhook = {"url": f"{site}/billing/stripe/webhook/", "secret": TEST_WEBHOOK_SECRET}
        requests.post(config, json={**webhook, "events": ["payment_intent.succeeded"]}, timeout=5).raise_for_status()
        try:
            intent = paid_pack_intent(stripe_fake, user=user, pack=pack)

            deadline = time.monotonic() + 15  # localstripe waits 1 s before it delivers
            while time.monotonic() < deadline and not PackPurchase.objects.exists():
                time.sleep(0.2)
        finally:
            # The fake keeps its webhooks for the session: this one must not outlive the server.
            requests.post(config, json={**webhook, "events": ["none.such"]}, timeout=5).raise_for_status()

    purchase = PackPurchase.objects.get()
    assert purchase.stripe_payment_intent_id == intent["id"]
    event = StripeEvent.objects.get()
    assert event.type == "payment_intent.succeeded" and event.processed_at is not None
    assert Wallet.objects.get(user=user).balance == 1234
