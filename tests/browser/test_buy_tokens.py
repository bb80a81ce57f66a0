"""Buying a token pack in the browser, against localstripe and its fake Stripe.js: the card typed into
the card fields is saved and charged, localstripe delivers its signed `payment_intent.succeeded`, and
the payment's page turns from "Waiting for Stripe" to "Paid" while the header balance rises, without a
reload.

localstripe's delivery passes through a relay that holds it until the test has seen the waiting page:
otherwise the credit could land before the page's socket connects, and "live" would not be tested.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from billing.models import PackPurchase, Wallet
from devtools import processes
from tests import servers
from tests.billing.stripe_fake import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET
from tests.browser.signing_in import log_in
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.browser

TEST_PUBLISHABLE_KEY = "pk_test_sage_browser"


class HeldWebhookRelay:
    """Takes localstripe's webhook deliveries and forwards them, untouched (body and signature), to
    `target` once `release()` is called."""

    def __init__(self, target: str) -> None:
        released = self._released = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                released.wait(30)
                headers = {name: self.headers[name] for name in ("Content-Type", "Stripe-Signature")}
                answer = requests.post(target, data=body, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()


# localstripe's fake Stripe.js has no createPaymentMethod (it is an empty function). This gives it
# Stripe's: the card element's values become a PaymentMethod (localstripe wants the secret key for
# that, so the page's request is forwarded by `_create_payment_method`, as Stripe takes the
# publishable one), with no authentication, as Stripe does.
STRIPE_JS_WITH_PAYMENT_METHODS = """
;(() => {
  const fakeStripe = window.Stripe;
  window.Stripe = (key) => {
    const stripe = fakeStripe(key);
    stripe.createPaymentMethod = async ({ type, card }) => {
      const response = await fetch(`${LOCALSTRIPE_BASE_API}/v1/payment_methods`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ type, card: card.value.card }),
      });
      const body = await response.json();
      return response.ok ? { paymentMethod: body } : { error: body.error };
    };
    return stripe;
  };
})();
"""


def _create_payment_method(route: Any) -> None:
    request = route.request
    if request.method != "POST":
        route.continue_()
        return
    sent = request.post_data_json
    form = {"type": sent["type"], **{f"card[{name}]": value for name, value in sent["card"].items()}}
    answer = requests.post(request.url, data=form, auth=(TEST_SECRET_KEY, ""), timeout=10)
    route.fulfill(status=answer.status_code, body=answer.text, content_type="application/json")


def _stripe_js_with_payment_methods(route: Any) -> None:
    original = route.fetch()
    route.fulfill(response=original, body=original.text() + STRIPE_JS_WITH_PAYMENT_METHODS)


def give_stripe_js_payment_methods(page: Any) -> None:
    page.route("**/js.stripe.com/v3/", _stripe_js_with_payment_methods)
    page.route("**/v1/payment_methods", _create_payment_method)


@pytest.fixture
def shop(transactional_db, page) -> Iterator[tuple[str, HeldWebhookRelay]]:
    """SAGE under daphne with payments on localstripe (its fake Stripe.js included, with Stripe's
    createPaymentMethod on the page); the relay that holds localstripe's webhook deliveries to it."""
    give_stripe_js_payment_methods(page)
    with servers.localstripe_server() as stripe_url:
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
            hook = f"{stripe_url}/_config/webhooks/sage-browser-{uuid.uuid4().hex[:8]}"
            config = {"url": relay.url, "secret": TEST_WEBHOOK_SECRET, "events": ["payment_intent.succeeded"]}
            requests.post(hook, json=config, timeout=5).raise_for_status()
            try:
                yield site, relay
            finally:
                relay.close()
                # Before the server stops: daphne waits for open sockets (the page's live balance) to
                # close, 15 s, before it exits.
                page.context.close()


def fill_card(page: Any, number: str) -> None:
    """localstripe's card element: plain inputs named by their placeholders."""
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("75001")


def test_buying_a_pack_shows_paid_and_raises_the_header_balance_without_a_reload(shop, page) -> None:
    site, relay = shop
    user = empty_wallet_user()
    pack = TokenPackFactory(name="Starter pack", tokens=1234, amount=499)
    log_in(page, site, user.email)

    page.goto(f"{site}/billing/")
    offer = page.locator(f'.pack-card[data-pack-id="{pack.pk}"]')
    expect(offer).to_contain_text("$4.99")
    offer.get_by_role("button", name="Buy").click()
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay").click()

    page.wait_for_url(f"{site}/billing/payments/pi_*/")
    message = page.locator("[data-payment-message]")
    expect(message).to_have_text("Waiting for Stripe to confirm the payment…")
    header_balance = page.locator("#header-balance .balance-value")
    expect(header_balance).to_have_text("0")
    page.evaluate("window.__notReloaded = true")  # gone if the page reloads

    relay.release()

    expect(message).to_have_text("Paid: 1,234 tokens added.", timeout=15_000)
    expect(header_balance).to_have_text("1,234")
    assert page.evaluate("window.__notReloaded") is True
    assert Wallet.objects.get(user=user).balance == 1234
    assert PackPurchase.objects.get().pack == pack


def test_a_declined_card_says_so_on_the_billing_page_and_credits_nothing(shop, page) -> None:
    site, relay = shop
    relay.release()
    user = empty_wallet_user()
    TokenPackFactory(name="Starter pack")
    log_in(page, site, user.email)

    page.goto(f"{site}/billing/")
    page.get_by_role("button", name="Buy").click()
    fill_card(page, "4000000000000002")
    page.get_by_role("button", name="Pay").click()

    expect(page.locator("[data-card-error]")).to_contain_text("Your card was declined")
    expect(page.get_by_role("button", name="Pay")).to_be_enabled()
    assert page.url == f"{site}/billing/"
    assert not PackPurchase.objects.exists()
    assert Wallet.objects.get(user=user).balance == 0


def test_a_3d_secure_card_is_authenticated_once_then_paid(shop, page) -> None:
    site, relay = shop
    relay.release()
    user = empty_wallet_user()
    TokenPackFactory(name="Starter pack", tokens=900, amount=300)
    log_in(page, site, user.email)

    page.goto(f"{site}/billing/")
    page.get_by_role("button", name="Buy").click()
    fill_card(page, "4000002760003184")
    page.get_by_role("button", name="Pay").click()
    # Asked once, to pay: the card is not saved (and authenticated) first through a SetupIntent.
    page.get_by_role("button", name="Complete authentication").click()

    page.wait_for_url(f"{site}/billing/payments/pi_*/", timeout=10_000)
    expect(page.locator("[data-payment-message]")).to_have_text("Paid: 900 tokens added.", timeout=15_000)
    expect(page.locator("#header-balance .balance-value")).to_have_text("900")
    assert Wallet.objects.get(user=user).balance == 900
