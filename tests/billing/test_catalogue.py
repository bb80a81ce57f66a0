"""Issue 65: on a fresh site the plans and token packs are put in Stripe by `manage.py stripe_catalogue`
(billing.catalogue), found again by their Prices' lookup keys: the first run creates, a second changes
nothing, a changed amount makes a new Price that takes the lookup key, and what it made can be bought.

Against localstripe, with the Prices it lacks added as Stripe documents them (tests/localstripe_prices.py):
a lookup key unique across the account, moved only by `transfer_lookup_key`."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from django.core.management import call_command

from billing.catalogue import DEFAULT_PACKS
from billing.models import Plan, PlanSubscription, StripeEvent, TokenPack, Wallet
from billing.packs import pack_purchase_start
from billing.subscriptions import subscription_start
from devtools.processes import free_port
from sage.management.commands.runsite import Command as RunsiteCommand
from tests import servers
from tests.billing.stripe_fake import built_event, deliver, event_from_fake
from tests.factories import empty_wallet_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def localstripe_url() -> Iterator[str]:
    """A Stripe account of this module's own: the catalogue's products and lookup keys are account-wide."""
    with servers.localstripe_server() as url:
        yield url


def sync() -> str:
    out = io.StringIO()
    call_command("stripe_catalogue", stdout=out)
    return out.getvalue()


def price_by_key(client: stripe.StripeClient, lookup_key: str) -> dict[str, Any]:
    found = client.v1.prices.list(params={"lookup_keys": [lookup_key]}).data
    assert len(found) == 1, f"{len(found)} prices hold {lookup_key}"
    return found[0].to_dict()


def all_prices(client: stripe.StripeClient) -> list[str]:
    return sorted(price.id for price in client.v1.prices.list(params={"limit": 100}).auto_paging_iter())


def card(client: stripe.StripeClient) -> str:
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    return method.id


def test_without_stripe_keys_the_command_does_nothing_and_says_nothing(settings) -> None:
    settings.STRIPE_SECRET_KEY = ""

    assert sync() == ""
    assert not TokenPack.objects.exists()
    assert not Plan.objects.exclude(stripe_price_id="").exists()


def test_the_first_run_creates_the_catalogue_the_second_changes_nothing_a_new_amount_moves_the_key(
    stripe_fake: stripe.StripeClient,
) -> None:
    assert not TokenPack.objects.exists() and not Plan.objects.exclude(stripe_price_id="").exists()  # a fresh site

    first = sync()

    packs = list(TokenPack.objects.order_by("sort_order"))
    assert [(pack.name, pack.tokens, pack.amount) for pack in packs] == [
        (pack["name"], pack["tokens"], pack["amount"]) for pack in DEFAULT_PACKS
    ]
    team = Plan.objects.get(slug="team")
    team_price = price_by_key(stripe_fake, "sage_plan_team_monthly")
    assert team.stripe_price_id == team_price["id"]
    assert (team_price["unit_amount"], team_price["currency"], team_price["recurring"]["interval"]) == (
        team.price_cents,
        "usd",
        "month",
    )
    assert team_price["product"] == "sage_plan_team"
    for pack in packs:
        price = price_by_key(stripe_fake, f"sage_pack_{pack.pk}")
        assert (pack.stripe_price_id, pack.stripe_product_id) == (price["id"], price["product"])
        assert (price["unit_amount"], price["type"]) == (pack.amount, "one_time")
    assert not Plan.objects.get(slug="free").stripe_price_id  # nothing to sell
    assert "Plan Team: created, $79 / month" in first
    prices_after_first = all_prices(stripe_fake)

    second = sync()

    assert all_prices(stripe_fake) == prices_after_first
    assert second.count(": unchanged, ") == 5 and "0 new prices, 5 unchanged" in second
    assert Plan.objects.get(slug="team").stripe_price_id == team_price["id"]

    Plan.objects.filter(slug="team").update(price_cents=8_900)
    third = sync()

    moved = price_by_key(stripe_fake, "sage_plan_team_monthly")
    old = stripe_fake.v1.prices.retrieve(team_price["id"]).to_dict()
    assert moved["id"] != team_price["id"] and moved["unit_amount"] == 8_900
    assert old["lookup_key"] is None and old["active"] is False and old["unit_amount"] == 7_900
    assert Plan.objects.get(slug="team").stripe_price_id == moved["id"]
    assert "Plan Team: moved, $89 / month" in third and "1 new price, 4 unchanged" in third
    assert len(all_prices(stripe_fake)) == len(prices_after_first) + 1


def test_a_pack_and_the_team_plan_are_bought_on_the_fresh_catalogue(stripe_fake: stripe.StripeClient) -> None:
    sync()
    buyer, subscriber = empty_wallet_user(), empty_wallet_user()
    pack = TokenPack.objects.order_by("sort_order").first()
    assert pack is not None
    team = Plan.objects.get(slug="team")

    started = pack_purchase_start(user=buyer, pack=pack, payment_method_id=card(stripe_fake), return_url="/")
    paid = event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=started.payment_intent_id)
    subscription = subscription_start(user=subscriber, plan=team, payment_method_id=card(stripe_fake)).subscription
    invoice_id = str(stripe_fake.v1.subscriptions.retrieve(subscription.stripe_subscription_id).latest_invoice)
    invoice_paid = event_from_fake(stripe_fake, type="invoice.payment_succeeded", object_id=invoice_id)
    for event in (paid, invoice_paid):
        assert deliver(event).status_code == 200

    assert started.status == "succeeded"
    assert Wallet.objects.get(user=buyer).balance == pack.tokens
    subscriber_wallet = Wallet.objects.select_related("plan").get(user=subscriber)
    assert subscriber_wallet.plan == team and subscriber_wallet.balance == team.monthly_tokens
    assert PlanSubscription.objects.get(pk=subscription.pk).status == "active"

    # The Team plan's price changes: the subscription made before stays on its old price, and
    # Stripe's next word of it still reads as the Team plan.
    Plan.objects.filter(slug="team").update(price_cents=9_900)
    sync()
    now = stripe_fake.v1.subscriptions.retrieve(subscription.stripe_subscription_id).to_dict()
    updated = built_event("customer.subscription.updated", now)
    assert deliver(updated).status_code == 200
    stored = StripeEvent.objects.get(stripe_id=updated["id"])
    assert (stored.error, stored.refused_at, stored.processed_at is not None) == ("", None, True)
    assert Wallet.objects.select_related("plan").get(user=subscriber).plan == team


def test_make_run_puts_the_catalogue_in_stripe_and_starts_anyway_when_stripe_is_out_of_reach(
    stripe_fake: stripe.StripeClient, settings
) -> None:
    out, err = io.StringIO(), io.StringIO()
    runsite = RunsiteCommand(stdout=out, stderr=err)

    runsite._sync_stripe_catalogue()
    team_price = Plan.objects.get(slug="team").stripe_price_id
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    runsite._sync_stripe_catalogue()

    assert team_price == price_by_key(stripe_fake, "sage_plan_team_monthly")["id"]
    assert "Stripe catalogue:" in out.getvalue()
    assert "The Stripe catalogue was not synced" in err.getvalue()
    assert Plan.objects.get(slug="team").stripe_price_id == team_price  # the prices stored last time
