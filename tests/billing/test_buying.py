"""Running out of tokens leads to buying: every refusal names the smallest pack covering what is short,
and an upload that cannot be paid for is refused before any byte is sent."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from billing.ledger import InsufficientTokens, TokensOwed, ledger_grant
from billing.packs import pack_covering
from billing.views import insufficient_tokens_message
from tests.factories import TokenPackFactory, empty_wallet_user
from videos.models import Upload, Video

pytestmark = pytest.mark.django_db

UPLOADS = "/api/v1/uploads"


@pytest.fixture
def packs(settings):
    """Payments on (nothing here calls Stripe), and three packs on sale (one more, bigger, that is not)."""
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_buying", "whsec_buying"
    TokenPackFactory(name="Huge", tokens=100_000, amount=9_000, is_active=False)
    return {
        "small": TokenPackFactory(name="Small", tokens=500, amount=299),
        "medium": TokenPackFactory(name="Medium", tokens=2_000, amount=999),
        "large": TokenPackFactory(name="Large", tokens=10_000, amount=3_999),
    }


def test_the_pack_offered_is_the_smallest_that_covers_what_is_short(packs) -> None:
    assert pack_covering(1) == packs["small"]
    assert pack_covering(500) == packs["small"]
    assert pack_covering(501) == packs["medium"]
    assert pack_covering(9_999) == packs["large"]
    assert pack_covering(50_000) == packs["large"]  # none covers it: the largest on sale, not the inactive one


def test_a_page_refusal_says_what_is_needed_and_had_and_links_to_the_pack_that_covers_it(packs) -> None:
    shown = str(insufficient_tokens_message(InsufficientTokens(needed=1_250, available=400)))

    assert shown.startswith("This needs 1,250 tokens but you have 400.")
    assert f'href="/billing/?pack={packs["medium"].pk}&amp;short=850#buy-tokens"' in shown
    assert "Buy Medium (2,000 tokens, $9.99)</a>: it covers the 850 tokens you are short." in shown


def test_a_page_refusal_while_owing_counts_the_debt_in_what_is_short(packs) -> None:
    shown = str(insufficient_tokens_message(TokensOwed(owed=450, needed=100, available=40)))

    # 450 owed are paid off first, then 60 more are needed: 510, more than the small pack.
    assert f'href="/billing/?pack={packs["medium"].pk}&amp;short=510#buy-tokens"' in shown


def test_without_payments_a_refusal_links_to_the_balance_and_plans(settings) -> None:
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = None
    TokenPackFactory(name="Small", tokens=500, amount=299)

    shown = str(insufficient_tokens_message(InsufficientTokens(needed=10, available=1)))

    assert shown == 'This needs 10 tokens but you have 1. <a href="/billing/">See your balance and plans</a>.'


def test_the_api_402_buy_url_opens_the_pack_that_covers_the_shortfall(packs) -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="some", memo="some")
    api = APIClient()
    api.force_authenticate(user)

    response = api.post(UPLOADS, {"filename": "clip.mp4", "size": 1000, "duration_seconds": 700.2}, format="json")

    assert response.status_code == 402, response.content
    error = response.json()["error"]
    assert error["code"] == "insufficient_tokens"
    assert error["message"] == "This needs 701 tokens but only 100 are available."
    assert error["tokens"] == {"needed": 701, "available": 100, "owed": 0, "short": 601}
    assert error["buy_url"] == f"http://testserver/billing/?pack={packs['medium'].pk}&short=601#buy-tokens"
    assert error["buy_pack"] == {"name": "Medium", "tokens": 2_000, "price": "$9.99"}  # so a page can name it


def test_an_upload_that_cannot_be_paid_for_is_refused_before_any_byte_and_makes_no_video(packs) -> None:
    user = empty_wallet_user()
    api = APIClient()
    api.force_authenticate(user)

    # Even with no length announced, an empty balance cannot pay for any processing.
    assert api.post(UPLOADS, {"filename": "clip.mp4", "size": 1000}, format="json").status_code == 402
    assert api.post(UPLOADS, {"filename": "a.mp4", "size": 10, "duration_seconds": 5}, format="json").status_code == 402

    assert not Upload.objects.filter(owner=user).exists()
    assert not Video.objects.filter(owner=user).exists()


def test_an_upload_the_balance_covers_is_created(packs) -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=60, key="some", memo="some")
    api = APIClient()
    api.force_authenticate(user)

    response = api.post(UPLOADS, {"filename": "clip.mp4", "size": 1000, "duration_seconds": 60}, format="json")

    assert response.status_code == 201, response.content
    assert Video.objects.filter(owner=user).count() == 1


def test_the_billing_page_opened_from_a_buy_link_marks_that_pack_and_what_is_short(packs) -> None:
    client = Client()
    client.force_login(empty_wallet_user())

    page = client.get(reverse("billing:billing"), {"pack": packs["medium"].pk, "short": 850}).content.decode()

    assert f'<li class="card pack-card pack-chosen" data-pack-id="{packs["medium"].pk}">' in page
    assert "You are 850 tokens short: this pack covers it." in page
    assert page.count("data-chosen-pack") == 1
    # A malformed choice chooses nothing.
    assert "pack-chosen" not in client.get(reverse("billing:billing"), {"pack": "x"}).content.decode()
