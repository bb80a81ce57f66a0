"""Which pack to offer for a shortfall is decided once, on the server: the API's 402, a page's refusal,
the offer the upload rows ask for and the billing page opened for a shortfall all name the same pack,
also where two packs tie (the largest two sell the same tokens at different prices)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from billing.ledger import InsufficientTokens
from billing.views import insufficient_tokens_message
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def tie(settings):
    """Payments on (nothing here calls Stripe); the two largest packs sell 2 tokens, the dearer one first
    in the operators' order: for 3 tokens short none covers, and the cheaper of the two is offered."""
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_offer", "whsec_offer"
    TokenPackFactory(name="One", tokens=1, amount=100, sort_order=3)
    dear = TokenPackFactory(name="Pair dear", tokens=2, amount=300, sort_order=1)
    cheap = TokenPackFactory(name="Pair cheap", tokens=2, amount=200, sort_order=2)
    return dear, cheap


def test_the_402_a_page_refusal_the_upload_rows_offer_and_the_billing_page_name_the_same_pack(tie) -> None:
    _, cheap = tie
    user = empty_wallet_user()
    api = APIClient()
    api.force_authenticate(user)
    client = Client()
    client.force_login(user)
    link = f"/billing/?pack={cheap.pk}&short=3#buy-tokens"

    refused = api.post("/api/v1/uploads", {"filename": "a.mp4", "size": 10, "duration_seconds": 3}, format="json")
    assert refused.status_code == 402
    assert refused.json()["error"]["buy_url"] == f"http://testserver{link}"
    assert refused.json()["error"]["buy_pack"] == {"name": "Pair cheap", "tokens": 2, "price": "$2"}

    assert f'href="{link.replace("&", "&amp;")}">Buy Pair cheap' in str(
        insufficient_tokens_message(InsufficientTokens(needed=3, available=0))
    )

    offer = client.get(reverse("billing:buy-offer"), {"short": 3}, HTTP_ACCEPT="application/json")
    assert offer.status_code == 200
    assert offer.json() == {
        "tokens": {"short": 3},
        "billing_url": "/billing/",
        "buy_url": link,
        "buy_pack": {"name": "Pair cheap", "tokens": 2, "price": "$2"},
    }

    # Opened for a shortfall alone (or by a link made before the packs changed), the page chooses by
    # the same rule.
    for query in ({"short": 3}, {"pack": tie[0].pk, "short": 3}):
        page = client.get(reverse("billing:billing"), query).content.decode()
        assert f'<li class="card pack-card pack-chosen" data-pack-id="{cheap.pk}">' in page
        assert page.count("pack-chosen ") + page.count('pack-chosen"') == 1


def test_the_upload_rows_offer_without_payments_names_no_pack_and_refuses_nonsense(settings) -> None:
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = None
    TokenPackFactory(name="One", tokens=1, amount=100)
    client = Client()
    client.force_login(empty_wallet_user())

    offer = client.get(reverse("billing:buy-offer"), {"short": 3})
    assert offer.json() == {"tokens": {"short": 3}, "billing_url": "/billing/"}
    for nonsense in ("0", "-1", "x", "", "1e3"):
        assert client.get(reverse("billing:buy-offer"), {"short": nonsense}).status_code == 400
    assert Client().get(reverse("billing:buy-offer"), {"short": 3}).status_code == 302  # signed in only
