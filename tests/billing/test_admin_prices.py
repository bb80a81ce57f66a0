"""Operators see prices as money and are told when a paid plan cannot be sold; people are told so on
the billing page instead of finding no Subscribe button."""

from __future__ import annotations

import pytest
from django.test import Client

from billing.models import Plan, TokenPack
from tests.factories import TokenPackFactory, UserFactory

pytestmark = pytest.mark.django_db

PLANS = "/admin/billing/plan/"
PACKS = "/admin/billing/tokenpack/"


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(email="operator@sage.example", is_staff=True, is_superuser=True))
    return client


def pack_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Starter",
        "tokens": 3_600,
        "price": "4.99",
        "currency": "eur",
        "stripe_price_id": "price_starter",
        "stripe_product_id": "prod_starter",
        "is_active": "on",
        "sort_order": 0,
    }
    return {**data, **changes}


def test_a_pack_price_is_entered_as_money_and_stored_in_cents(operator) -> None:
    response = operator.post(f"{PACKS}add/", pack_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    pack = TokenPack.objects.get()
    assert (pack.amount, pack.currency) == (499, "eur")
    listing = operator.get(PACKS).content.decode()
    assert "€4.99" in listing and ">499<" not in listing
    edit = operator.get(f"{PACKS}{pack.pk}/change/").content.decode()
    assert 'name="price" value="4.99"' in edit


def test_a_currency_without_cents_takes_whole_units_only(operator) -> None:
    assert operator.post(f"{PACKS}add/", pack_form(price="1200", currency="jpy")).status_code == 302
    assert TokenPack.objects.get().amount == 1_200

    refused = operator.post(f"{PACKS}add/", pack_form(name="Bad", price="12.50", currency="jpy"))
    assert refused.status_code == 200
    assert "JPY has no cents" in refused.content.decode()


def test_editing_a_pack_saves_the_price_entered_as_money(operator) -> None:
    pack = TokenPackFactory(amount=1_050, currency="usd")

    response = operator.post(f"{PACKS}{pack.pk}/change/", pack_form(price="10.50", currency="usd", tokens=7_200))

    assert response.status_code == 302
    pack.refresh_from_db()
    assert (pack.amount, pack.tokens) == (1_050, 7_200)


def test_the_plan_admin_warns_about_paid_plans_without_a_stripe_price(operator) -> None:
    Plan.objects.filter(slug="team").update(stripe_price_id="price_team")
    pro = Plan.objects.get(slug="pro")

    listing = operator.get(PLANS).content.decode()
    change = operator.get(f"{PLANS}{pro.pk}/change/").content.decode()

    assert "Nobody can subscribe to Pro yet: a paid plan needs its Stripe price id" in listing
    assert "No: no Stripe price id" in listing
    assert "Pro has a price but no Stripe price id: nobody can subscribe to it until one is set." in change

    Plan.objects.filter(slug="pro").update(stripe_price_id="price_pro")
    assert "Nobody can subscribe" not in operator.get(PLANS).content.decode()


def test_the_billing_page_says_a_plan_without_a_stripe_price_cannot_be_subscribed_to_yet(settings) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_plans", "whsec_plans"
    Plan.objects.filter(slug="team").update(stripe_price_id="price_team")
    client = Client()
    client.force_login(UserFactory())

    page = client.get("/billing/").content.decode()

    assert "Pro cannot be subscribed to yet." in page
    assert "Team cannot be subscribed to yet." not in page
    assert 'data-plan-action="subscribe" data-plan-name="Team"' in page
