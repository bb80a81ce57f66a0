"""Subscribing to a plan on the billing page, against localstripe and its fake Stripe.js: the card
typed into the Pro card's fields becomes a payment method and the subscription is started with it
(a 3-D Secure card authenticates once, for the first invoice's payment); the page shows Pro at once
(the server applies Stripe's subscription before answering), and the plan's tokens reach the header
balance live when localstripe's signed `invoice.payment_succeeded` is delivered, without a reload.
Cancel asks first, then says until when Pro lasts.

localstripe's deliveries pass through the relay of test_buy_tokens, held until the page has shown
the new plan: otherwise the grant could land before the page's socket was listening. Its fake
Stripe.js is given createPaymentMethod as in test_buy_tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe
from django.conf import settings as django_settings
from playwright.sync_api import expect

from billing.models import Plan, PlanSubscription, Wallet
from billing.subscriptions import subscription_start
from devtools import processes
from tests import servers
from tests.billing.stripe_fake import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET
from tests.billing.test_subscriptions import card
from tests.browser.signing_in import log_in
from tests.browser.test_buy_tokens import TEST_PUBLISHABLE_KEY, HeldWebhookRelay, give_stripe_js_payment_methods
from tests.factories import empty_wallet_user

pytestmark = pytest.mark.browser

SUBSCRIPTION_EVENTS = ["invoice.payment_succeeded", "customer.subscription.created"]


def sell_plans_on(stripe_url: str) -> dict[str, Plan]:
    """Pro and Team sold through the fake: a product and a monthly plan each, set on their rows."""
    client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": stripe_url})
    plans = {}
    for slug in ("pro", "team"):
        plan = Plan.objects.get(slug=slug)
        product = client.v1.products.create(params={"name": plan.name})
        price = client.v1.plans.create(
            params={"product": product.id, "amount": plan.price_cents, "currency": "usd", "interval": "month"}
        )
        plan.stripe_price_id = price.id
        plan.currency = "usd"
        plan.save(update_fields=["stripe_price_id", "currency"])
        plans[slug] = plan
    return plans


@pytest.fixture
def plan_shop(transactional_db, settings, page) -> Iterator[tuple[str, HeldWebhookRelay, dict[str, Plan]]]:
    """SAGE under daphne with payments on localstripe, Pro and Team sold there (createPaymentMethod
    on the page's fake Stripe.js); the held relay. The test process's settings point at the same
    fake (for subscribing server-side)."""
    give_stripe_js_payment_methods(page)
    with servers.localstripe_server(accept_proration_behavior=True) as stripe_url:
        settings.STRIPE_SECRET_KEY = TEST_SECRET_KEY
        settings.STRIPE_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
        settings.STRIPE_API_BASE = stripe_url
        plans = sell_plans_on(stripe_url)
        env = {
            "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
            "STRIPE_PUBLISHABLE_KEY": TEST_PUBLISHABLE_KEY,
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_JS_URL": f"{stripe_url}/js.stripe.com/v3/",
            "CELERY_TASK_ALWAYS_EAGER": "true",  # no worker: the server processes each event itself
        }
        with processes.daphne_server(**env) as site:
            relay = HeldWebhookRelay(f"{site}/billing/stripe/webhook/")
            hook = f"{stripe_url}/_config/webhooks/sage-plans-{uuid.uuid4().hex[:8]}"
            config = {"url": relay.url, "secret": TEST_WEBHOOK_SECRET, "events": SUBSCRIPTION_EVENTS}
            requests.post(hook, json=config, timeout=5).raise_for_status()
            try:
                yield site, relay, plans
            finally:
                relay.close()


def fill_card(card: Any, number: str) -> None:
    """localstripe's card element: plain inputs named by their placeholders."""
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("75001")


def test_subscribing_to_pro_shows_it_and_its_grant_live_then_cancelling_says_until_when(plan_shop, page) -> None:
    site, relay, plans = plan_shop
    pro = plans["pro"]
    user = empty_wallet_user()
    log_in(page, site, user.email)

    page.goto(f"{site}/billing/")
    pro_card = page.locator('.plan-card[data-plan-slug="pro"]')
    expect(pro_card).to_contain_text("$19 / month")
    pro_card.get_by_role("button", name="Subscribe").click()
    fill_card(pro_card.locator("[data-card-element]"), "4242424242424242")
    page.evaluate("window.__notReloaded = true")  # gone if the page reloads
    pro_card.get_by_role("button", name="Pay $19 / month").click()

    # The server has applied the subscription: Pro is one's plan before any webhook is delivered.
    expect(page.locator("[data-plans-message]")).to_contain_text("You are on the Pro plan", timeout=15_000)
    expect(page.locator("#current-plan-title")).to_have_text("Your plan: Pro")
    expect(page.locator("#summary-plan .stat-value")).to_have_text("Pro")
    pro_card = page.locator('.plan-card[data-plan-slug="pro"]')
    expect(pro_card).to_contain_text("Your plan")
    expect(pro_card.get_by_role("button", name="Cancel plan")).to_be_visible()
    team_card = page.locator('.plan-card[data-plan-slug="team"]')
    expect(team_card.get_by_role("button", name="Switch to Team")).to_be_visible()
    header_balance = page.locator("#header-balance .balance-value")
    expect(header_balance).to_have_text("0")

    relay.release()  # localstripe's invoice.payment_succeeded reaches SAGE, which grants Pro's tokens

    expect(header_balance).to_have_text(f"{pro.monthly_tokens:,}", timeout=15_000)
    expect(page.locator("[data-plans-message]")).to_have_text("You are on the Pro plan; its tokens have been added.")
    assert Wallet.objects.get(user=user).balance == pro.monthly_tokens

    pro_card.get_by_role("button", name="Cancel plan").click()
    expect(pro_card.locator("[data-plan-confirm]")).to_contain_text("then you return to the free plan")
    page.get_by_role("button", name="Yes, cancel").click()

    subscription = PlanSubscription.objects.get(wallet__user=user)
    until = f"{subscription.current_period_end:%-d %b %Y}"
    expect(page.locator("[data-plans-message]")).to_have_text(f"Cancelled: Pro until {until}, then the free plan.")
    expect(page.locator('.plan-card[data-plan-slug="pro"]').get_by_role("button", name="Resume")).to_be_visible()
    expect(page.locator("[data-subscription-state]")).to_contain_text(f"it lasts until {until}")
    assert PlanSubscription.objects.get(wallet__user=user).cancel_at_period_end is True
    assert Wallet.objects.get(user=user).plan.slug == "pro"
    assert page.evaluate("window.__notReloaded") is True


def test_a_declined_card_says_so_in_the_plans_card_and_subscribes_nothing(plan_shop, page) -> None:
    site, relay, _plans = plan_shop
    relay.release()
    user = empty_wallet_user()
    log_in(page, site, user.email)

    page.goto(f"{site}/billing/")
    pro_card = page.locator('.plan-card[data-plan-slug="pro"]')
    pro_card.get_by_role("button", name="Subscribe").click()
    fill_card(pro_card.locator("[data-card-element]"), "4000000000000002")
    pro_card.get_by_role("button", name="Pay $19 / month").click()

    expect(pro_card.locator("[data-card-error]")).to_contain_text("Your card was declined")
    expect(pro_card.get_by_role("button", name="Pay $19 / month")).to_be_enabled()
    assert not PlanSubscription.objects.exists()
    assert Wallet.objects.get(user=user).plan.slug == "free"


def test_switching_plan_asks_first_saying_the_price_and_when_it_applies(plan_shop, page) -> None:
    site, relay, plans = plan_shop
    relay.release()
    user = empty_wallet_user()
    client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": django_settings.STRIPE_API_BASE})
    subscription_start(user=user, plan=plans["pro"], payment_method_id=card(client))
    renews = f"{PlanSubscription.objects.get(wallet__user=user).current_period_end:%-d %b %Y}"
    log_in(page, site, user.email)

    page.goto(f"{site}/billing/")
    team_card = page.locator('.plan-card[data-plan-slug="team"]')
    team_card.get_by_role("button", name="Switch to Team").click()
    expect(team_card.locator("[data-plan-confirm]")).to_contain_text("Switch to Team for $79 / month? It starts now")
    page.get_by_role("button", name="Yes, switch").click()

    expect(page.locator("[data-plans-message]")).to_have_text("Your plan is now Team.", timeout=15_000)
    expect(page.locator("#current-plan-title")).to_have_text("Your plan: Team")
    assert Wallet.objects.get(user=user).plan.slug == "team"

    pro_card = page.locator('.plan-card[data-plan-slug="pro"]')
    pro_card.get_by_role("button", name="Switch to Pro").click()
    expect(pro_card.locator("[data-plan-confirm] p")).to_have_text(
        f"Switch to Pro? Your plan changes now and you keep this month's tokens; "
        f"$19 / month is charged from your next renewal on {renews}."
    )
    page.get_by_role("button", name="Keep my plan").click()
    expect(pro_card.locator("[data-plan-confirm]")).to_have_count(0)
    assert Wallet.objects.get(user=user).plan.slug == "team"


# Counts the 3-D Secure prompts of localstripe's fake Stripe.js (a box with a "Complete
# authentication" button, added to the body and removed once answered).
COUNT_AUTHENTICATION_PROMPTS = """
window.__authenticationPrompts = 0;
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      const buttons = node.nodeType === Node.ELEMENT_NODE ? [...node.querySelectorAll("button")] : [];
      if (buttons.some((button) => button.textContent === "Complete authentication")) {
        window.__authenticationPrompts += 1;
      }
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


def test_a_3d_secure_card_is_authenticated_once_then_the_plan_and_its_tokens_show(plan_shop, page) -> None:
    site, relay, plans = plan_shop
    relay.release()
    user = empty_wallet_user()
    log_in(page, site, user.email)
    page.add_init_script(COUNT_AUTHENTICATION_PROMPTS)

    page.goto(f"{site}/billing/")
    pro_card = page.locator('.plan-card[data-plan-slug="pro"]')
    pro_card.get_by_role("button", name="Subscribe").click()
    fill_card(pro_card.locator("[data-card-element]"), "4000002760003184")
    pro_card.get_by_role("button", name="Pay $19 / month").click()
    page.get_by_role("button", name="Complete authentication").click()

    # Either the plan shows, or (the card saved through a SetupIntent first) Stripe asks again.
    plan_shown = page.locator("[data-plans-message]", has_text="You are on the Pro plan")
    asked_again = page.get_by_role("button", name="Complete authentication")
    expect(plan_shown.or_(asked_again)).to_be_visible(timeout=15_000)
    assert page.evaluate("window.__authenticationPrompts") == 1
    expect(page.locator("#header-balance .balance-value")).to_have_text(
        f"{plans['pro'].monthly_tokens:,}", timeout=15_000
    )
    expect(page.locator("[data-plans-message]")).to_have_text("You are on the Pro plan; its tokens have been added.")
    expect(page.locator("#current-plan-title")).to_have_text("Your plan: Pro")
    assert PlanSubscription.objects.get(wallet__user=user).status == "active"
    assert Wallet.objects.get(user=user).balance == plans["pro"].monthly_tokens
