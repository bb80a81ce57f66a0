"""Buying token packs on the site, against localstripe: the card is saved through a SetupIntent (confirmed
here as localstripe's fake Stripe.js confirms it), SAGE charges it the pack's price, and localstripe
delivers its signed `payment_intent.succeeded` to SAGE served by daphne, which credits the pack."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import stripe
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from activity.models import AuditEntry
from billing.ledger import InsufficientTokens
from billing.models import LedgerEntry, PackPurchase, TokenPack, Wallet
from billing.money import money
from billing.packs import TeamPurchaseRefused
from billing.stripe_client import stripe_customer_for
from billing.views import insufficient_tokens_message
from devtools import processes
from sage.api.errors import exception_handler
from sage.security import content_security_policy, stripe_origins
from tests.billing.stripe_fake import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET
from tests.factories import (
    MembershipFactory,
    TeamWorkspaceFactory,
    TokenPackFactory,
    UserFactory,
    empty_wallet_user,
)
from workspaces.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

TEST_PUBLISHABLE_KEY = "pk_test_sage_localstripe"
VISA = "4242424242424242"
DECLINED_ON_SAVE = "4000000000000002"  # localstripe declines attaching it (Stripe's "card_declined" test card)
DECLINED_ON_CHARGE = "4000000000000341"  # saved fine, declined when charged
THREE_D_SECURE = "4000002760003184"  # authentication required to save and to charge


@pytest.fixture(scope="module")
def paying_site(django_db_setup, localstripe_url: str) -> Iterator[str]:
    """SAGE under daphne with payments on, and localstripe delivering its events to its webhook."""
    env = {
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "STRIPE_PUBLISHABLE_KEY": TEST_PUBLISHABLE_KEY,
        "STRIPE_API_BASE": localstripe_url,
        "CELERY_TASK_ALWAYS_EAGER": "true",  # no worker: the server processes each event itself
    }
    hook = f"{localstripe_url}/_config/webhooks/sage-purchases-{uuid.uuid4().hex[:8]}"
    with processes.daphne_server(**env) as site:
        webhook = {"url": f"{site}/billing/stripe/webhook/", "secret": TEST_WEBHOOK_SECRET}
        requests.post(hook, json={**webhook, "events": ["payment_intent.succeeded"]}, timeout=5).raise_for_status()
        try:
            yield site
        finally:
            # localstripe keeps webhooks for the session: this one must not outlive the server.
            requests.post(hook, json={**webhook, "events": ["none.such"]}, timeout=5).raise_for_status()


@pytest.fixture
def payments(stripe_fake: stripe.StripeClient, settings, paying_site: str) -> stripe.StripeClient:
    settings.STRIPE_PUBLISHABLE_KEY = TEST_PUBLISHABLE_KEY
    return stripe_fake


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def save_card(localstripe_url: str, client: Client, number: str, *, authenticate: bool = True) -> str:
    """What the card form does: SAGE's SetupIntent, confirmed with the card as the fake Stripe.js
    confirms it (and its 3-D Secure step passed); the payment method id."""
    setup = client.post("/billing/card/setup/", content_type="application/json", data={})
    assert setup.status_code == 200, setup.content
    secret = setup.json()["client_secret"]
    assert setup.json()["publishable_key"] == TEST_PUBLISHABLE_KEY
    seti = secret.split("_secret_")[0]
    card = {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
    body = {"key": TEST_PUBLISHABLE_KEY, "client_secret": secret, "payment_method_data": {"type": "card", "card": card}}
    answer = requests.post(f"{localstripe_url}/v1/setup_intents/{seti}/confirm", json=body, timeout=5)
    if answer.status_code != 200:
        raise stripe.CardError(answer.json()["error"]["message"], None, None)
    intent = answer.json()
    if intent["status"] == "requires_action" and authenticate:
        again = {"key": TEST_PUBLISHABLE_KEY, "client_secret": secret}
        intent = requests.post(f"{localstripe_url}/v1/setup_intents/{seti}/confirm", json=again, timeout=5).json()
    assert intent["status"] == "succeeded", intent
    return str(intent["payment_method"])


def buy(client: Client, pack: TokenPack, payment_method: str) -> Any:
    return client.post(
        f"/billing/packs/{pack.pk}/buy/", content_type="application/json", data={"payment_method": payment_method}
    )


def wait_for_purchase(payment_intent_id: str) -> PackPurchase:
    deadline = time.monotonic() + 15  # localstripe waits 1 s before it delivers
    while time.monotonic() < deadline:
        if (purchase := PackPurchase.objects.filter(stripe_payment_intent_id=payment_intent_id).first()) is not None:
            return purchase
        time.sleep(0.2)
    raise AssertionError(f"{payment_intent_id} was never credited")


def charges_of(payments: stripe.StripeClient, payment_intent_id: str) -> int:
    charges = payments.v1.charges.list(params={"limit": 100}).data
    return sum(1 for charge in charges if charge.to_dict().get("payment_intent") == payment_intent_id)


# --- buying ------------------------------------------------------------------------------------------


def test_the_owner_acting_in_a_team_buys_a_pack_for_the_teams_wallet_and_an_editor_may_not(
    payments, localstripe_url: str
) -> None:
    team = TeamWorkspaceFactory(name="Northlight")
    owner, pack = team.created_by, TokenPackFactory(tokens=700, amount=499)
    editor = MembershipFactory(workspace=team, role=Role.EDITOR).user
    team_before, own_before = Wallet.objects.get(workspace=team).balance, Wallet.objects.get(user=owner).balance
    client = signed_in(owner)
    assert client.post(reverse("workspace-switch"), {"workspace": team.pk}).status_code == 302

    answer = buy(client, pack, save_card(localstripe_url, client, VISA))

    assert answer.status_code == 200, answer.content
    purchase = wait_for_purchase(answer.json()["payment_intent_id"])
    assert purchase.wallet.workspace_id == team.pk
    assert Wallet.objects.get(workspace=team).balance == team_before + 700
    assert Wallet.objects.get(user=owner).balance == own_before  # paid with the owner's card, not credited there
    assert AuditEntry.objects.get(action="tokens_bought", workspace=team).actor_id == owner.pk
    page = client.get(answer.json()["result_url"])
    assert page.status_code == 200 and "Paid: 700 tokens added." in page.content.decode()

    as_editor = signed_in(editor)
    as_editor.post(reverse("workspace-switch"), {"workspace": team.pk})
    refused = buy(as_editor, pack, "pm_anything")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == TeamPurchaseRefused.default_message


def test_a_pack_bought_with_a_saved_card_is_credited_its_tokens_once(payments, localstripe_url: str) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=1234, amount=499)
    client = signed_in(user)

    answer = buy(client, pack, save_card(localstripe_url, client, VISA))

    assert answer.status_code == 200, answer.content
    started = answer.json()
    assert started["status"] == "succeeded" and started["client_secret"] is None
    purchase = wait_for_purchase(started["payment_intent_id"])
    assert (purchase.tokens, purchase.amount, purchase.currency) == (1234, 499, "usd")
    assert Wallet.objects.get(user=user).balance == 1234
    assert LedgerEntry.objects.filter(wallet__user=user, kind="grant", ref_id=str(purchase.pk)).count() == 1
    intent = payments.v1.payment_intents.retrieve(started["payment_intent_id"])
    assert intent.customer == Wallet.objects.get(user=user).stripe_customer_id  # the person's own customer
    page = client.get(started["result_url"])
    assert page.status_code == 200 and "Paid: 1,234 tokens added." in page.content.decode()


def test_a_double_submitted_purchase_charges_once(payments, localstripe_url: str) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=500, amount=300)
    client = signed_in(user)
    method = save_card(localstripe_url, client, VISA)

    def submit() -> str:
        try:
            answer = buy(signed_in(user), pack, method)
            assert answer.status_code == 200, answer.content
            return str(answer.json()["payment_intent_id"])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=3) as pool:
        intents = set(pool.map(lambda _: submit(), range(3)))
    intents.add(submit())  # and once more, later

    assert len(intents) == 1
    (intent_id,) = intents
    assert charges_of(payments, intent_id) == 1
    wait_for_purchase(intent_id)
    time.sleep(1.5)  # room for any second delivery
    assert Wallet.objects.get(user=user).balance == 500


def test_two_tabs_setting_up_a_card_at_once_make_one_stripe_customer(payments) -> None:
    user = UserFactory()

    def customer() -> str:
        try:
            return stripe_customer_for(user)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        customers = set(pool.map(lambda _: customer(), range(4)))

    assert customers == {Wallet.objects.get(user=user).stripe_customer_id}


# --- refusals ----------------------------------------------------------------------------------------


def test_a_card_declined_when_saved_says_so_and_nothing_is_charged(payments, localstripe_url: str) -> None:
    user = empty_wallet_user()
    client = signed_in(user)

    with pytest.raises(stripe.CardError, match="Your card was declined"):
        save_card(localstripe_url, client, DECLINED_ON_SAVE)  # the card form shows Stripe's message

    # The same card sent straight to the purchase (never saved): Stripe refuses to attach it.
    card = {"number": DECLINED_ON_SAVE, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = payments.v1.payment_methods.create(params={"type": "card", "card": card})
    answer = buy(client, TokenPackFactory(), method.id)

    assert answer.status_code == 402
    error = answer.json()["error"]
    assert error["code"] == "payment_refused" and "declined" in error["message"]
    assert not PackPurchase.objects.exists()
    assert Wallet.objects.get(user=user).balance == 0


def test_a_card_declined_when_charged_says_so_and_credits_nothing(payments, localstripe_url: str) -> None:
    user = empty_wallet_user()
    client = signed_in(user)

    answer = buy(client, TokenPackFactory(), save_card(localstripe_url, client, DECLINED_ON_CHARGE))

    assert answer.status_code == 402, answer.content
    assert "declined" in answer.json()["error"]["message"]
    time.sleep(1.5)
    assert not PackPurchase.objects.exists()
    assert Wallet.objects.get(user=user).balance == 0


def test_another_customers_card_is_refused_and_nothing_is_charged(payments, localstripe_url: str) -> None:
    owner, thief = UserFactory(), empty_wallet_user()
    card = {"number": VISA, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = payments.v1.payment_methods.create(params={"type": "card", "card": card})
    payments.v1.payment_methods.attach(method.id, params={"customer": stripe_customer_for(owner)})
    charges_before = len(payments.v1.charges.list(params={"limit": 100}).data)

    answer = buy(signed_in(thief), TokenPackFactory(), method.id)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "payment_method_invalid"
    assert len(payments.v1.charges.list(params={"limit": 100}).data) == charges_before


def test_a_pack_not_on_sale_or_unknown_is_404(payments) -> None:
    client = signed_in(UserFactory())
    hidden = TokenPackFactory(is_active=False)

    assert buy(client, hidden, "pm_whatever").status_code == 404
    assert client.post("/billing/packs/999999/buy/", content_type="application/json", data={}).status_code == 404


def test_buying_needs_a_signed_in_person_and_the_csrf_token(payments) -> None:
    pack = TokenPackFactory()
    assert Client().post(f"/billing/packs/{pack.pk}/buy/", data={}).status_code == 302  # to the sign-in page
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(UserFactory())
    assert strict.post("/billing/card/setup/").status_code == 403
    assert strict.post(f"/billing/packs/{pack.pk}/buy/").status_code == 403


def test_without_keys_nothing_can_be_bought(settings) -> None:
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = None
    client = signed_in(UserFactory())

    answer = client.post("/billing/card/setup/", content_type="application/json", data={})

    assert answer.status_code == 503 and answer.json()["error"]["code"] == "payments_not_configured"


# --- 3-D Secure and the result page ------------------------------------------------------------------


def test_a_3d_secure_card_is_charged_after_authentication(payments, localstripe_url: str) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=700, amount=250)
    client = signed_in(user)

    answer = buy(client, pack, save_card(localstripe_url, client, THREE_D_SECURE))

    started = answer.json()
    assert answer.status_code == 200 and started["status"] == "requires_action"
    secret = started["client_secret"]
    assert secret.startswith(started["payment_intent_id"])
    waiting = client.get(started["result_url"], headers={"Accept": "application/json"}).json()
    assert waiting["state"] == "waiting" and Wallet.objects.get(user=user).balance == 0
    # What the fake Stripe.js does when the person completes authentication in its 3-D Secure dialog.
    pi = started["payment_intent_id"]
    requests.post(
        f"{localstripe_url}/v1/payment_intents/{pi}/_authenticate?success=true",
        json={"key": TEST_PUBLISHABLE_KEY, "client_secret": secret},
        timeout=5,
    ).raise_for_status()

    wait_for_purchase(pi)
    assert Wallet.objects.get(user=user).balance == 700
    paid = client.get(started["result_url"], headers={"Accept": "application/json"}).json()
    assert paid == {"state": "paid", "message": "Paid: 700 tokens added.", "tokens": 700}


def test_a_failed_authentication_shows_the_payment_failed(payments, localstripe_url: str) -> None:
    user = empty_wallet_user()
    client = signed_in(user)
    started = buy(client, TokenPackFactory(), save_card(localstripe_url, client, THREE_D_SECURE)).json()
    pi, secret = started["payment_intent_id"], started["client_secret"]
    requests.post(
        f"{localstripe_url}/v1/payment_intents/{pi}/_authenticate?success=false",
        json={"key": TEST_PUBLISHABLE_KEY, "client_secret": secret},
        timeout=5,
    ).raise_for_status()

    result = client.get(started["result_url"], headers={"Accept": "application/json"}).json()

    assert result["state"] == "failed" and "Nothing was charged" in result["message"]
    assert Wallet.objects.get(user=user).balance == 0


def test_another_persons_payment_page_is_404(payments, localstripe_url: str) -> None:
    payer, other = empty_wallet_user(), UserFactory()
    client = signed_in(payer)
    started = buy(client, TokenPackFactory(), save_card(localstripe_url, client, VISA)).json()

    assert signed_in(other).get(started["result_url"]).status_code == 404  # before the credit…
    wait_for_purchase(started["payment_intent_id"])
    assert signed_in(other).get(started["result_url"]).status_code == 404  # …and after
    assert signed_in(other).get("/billing/payments/pi_doesnotexist/").status_code == 404
    assert client.get(started["result_url"]).status_code == 200


# --- the billing page, "not enough tokens", the policy -----------------------------------------------


def test_the_billing_page_lists_packs_with_their_prices_and_buy_buttons(payments, settings) -> None:
    TokenPackFactory(name="Starter", tokens=3600, amount=900, currency="usd")
    TokenPackFactory(name="Euro", tokens=100, amount=1050, currency="eur")
    TokenPackFactory(name="Gone", is_active=False)

    html = signed_in(UserFactory()).get("/billing/").content.decode()

    assert "Starter" in html and "$9" in html and "€10.50" in html and "Gone" not in html
    assert html.count("data-buy-url=") == 2
    assert f'<script src="{settings.STRIPE_JS_URL}" nonce=' in html


def test_without_keys_the_billing_page_says_so_and_offers_no_buy_button(settings) -> None:
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = None
    TokenPackFactory(name="Starter")

    html = signed_in(UserFactory()).get("/billing/").content.decode()

    assert "Payments are not configured on this site" in html
    assert "data-buy-url=" not in html and "js.stripe.com" not in html


def test_prices_read_as_people_write_them() -> None:
    assert [money(900, "usd"), money(499, "USD"), money(1050, "eur"), money(1200, "jpy"), money(250, "sek")] == [
        "$9",
        "$4.99",
        "€10.50",
        "¥1,200",
        "2.50 SEK",
    ]


def test_the_api_402_links_to_buying_tokens_when_payments_are_configured(payments) -> None:
    request = RequestFactory().get("/api/v1/anything")

    body = exception_handler(InsufficientTokens(needed=10, available=1), {"request": request}).data

    assert body["error"]["code"] == "insufficient_tokens"
    assert body["error"]["buy_url"] == "http://testserver/billing/#buy-tokens"


def test_the_api_402_has_no_buy_link_without_keys(settings) -> None:
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = None

    body = exception_handler(InsufficientTokens(needed=10, available=1), {"request": None}).data

    assert "buy_url" not in body["error"]


def test_the_policy_allows_stripe_only_when_payments_are_configured() -> None:
    off = content_security_policy(youtube_base_url="https://www.youtube.com", storage=[])["DIRECTIVES"]
    real = content_security_policy(
        youtube_base_url="https://www.youtube.com",
        storage=[],
        stripe=stripe_origins(js_url="https://js.stripe.com/v3/", api_base=None),
    )["DIRECTIVES"]
    fake = stripe_origins(js_url="http://127.0.0.1:8420/js.stripe.com/v3/", api_base="http://127.0.0.1:8420")

    assert not any("stripe" in str(origin) for directive in off.values() for origin in directive)
    assert "https://js.stripe.com" in real["script-src"] and "https://hooks.stripe.com" in real["frame-src"]
    assert "https://api.stripe.com" in real["connect-src"]
    assert fake.scripts == fake.frames == fake.connect == ["http://127.0.0.1:8420"]


def test_card_setups_are_rate_limited_per_person(payments, settings) -> None:
    settings.STRIPE_PURCHASE_RATE_LIMIT = "2/min"
    client, other = signed_in(UserFactory()), signed_in(UserFactory())

    answers = [client.post("/billing/card/setup/").status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert other.post("/billing/card/setup/").status_code == 200  # someone else is not held back


def test_the_not_enough_tokens_message_on_pages_links_to_buying(payments) -> None:
    message = insufficient_tokens_message(InsufficientTokens(needed=2_000, available=15))

    html = render_to_string("billing/partials/insufficient_tokens.html", {"insufficient_tokens": message})

    assert '<a href="/billing/#buy-tokens">Buy tokens</a>' in html


def test_stripe_unreachable_answers_503_and_keeps_nothing(payments, settings) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    user = UserFactory()

    answer = signed_in(user).post("/billing/card/setup/")

    assert answer.status_code == 503 and answer.json()["error"]["code"] == "stripe_busy"
    assert Wallet.objects.get(user=user).stripe_customer_id == ""
