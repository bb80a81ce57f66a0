"""Pro and Team as Stripe subscriptions, against localstripe through the SDK: each paid invoice grants
the plan's tokens once, switching and cancelling change the plan at the right time, stale events undo
nothing, and the calendar grant leaves subscribed wallets to their invoices.

localstripe emits `invoice.created`, `invoice.payment_succeeded`, `customer.subscription.created` and
`.deleted` itself (taken from its own event list). It never emits `invoice.paid` nor
`customer.subscription.updated`: those bodies are built here around the objects retrieved from it
(`built_*`). Its subscription update also lacks `proration_behavior` (it prorates its own way, into the
next invoice), so this module runs it with that one parameter accepted and ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from billing.ledger import grant_monthly_tokens
from billing.models import (
    LedgerEntry,
    PackPurchase,
    Plan,
    PlanSubscription,
    StripeEvent,
    SubscriptionInvoice,
    Wallet,
)
from billing.subscriptions import (
    SubscriptionRefused,
    subscription_cancel,
    subscription_change,
    subscription_invoice_credit,
    subscription_resume,
    subscription_start,
)
from tests import servers
from tests.billing.stripe_fake import built_event, deliver, event_from_fake
from tests.factories import TokenPackFactory, UserFactory, empty_wallet_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def localstripe_url() -> Iterator[str]:
    with servers.localstripe_server(accept_proration_behavior=True) as url:
        yield url


@pytest.fixture
def paid_plans(stripe_fake: stripe.StripeClient) -> dict[str, Plan]:
    """Pro and Team sold through the fake: a product and a monthly plan each, set on their rows."""
    plans = {}
    for slug in ("pro", "team"):
        plan = Plan.objects.get(slug=slug)
        product = stripe_fake.v1.products.create(params={"name": plan.name})
        price = stripe_fake.v1.plans.create(
            params={"product": product.id, "amount": plan.price_cents, "currency": "usd", "interval": "month"}
        )
        plan.stripe_price_id = price.id
        plan.currency = "usd"
        plan.save(update_fields=["stripe_price_id", "currency"])
        plans[slug] = plan
    return plans


def card(client: stripe.StripeClient) -> str:
    """A card as stripe.js would save it (not attached to anyone yet)."""
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    return method.id


def subscribed(client: stripe.StripeClient, plan: Plan) -> tuple[Any, PlanSubscription]:
    user = empty_wallet_user()
    started = subscription_start(user=user, plan=plan, payment_method_id=card(client))
    return user, started.subscription


def first_invoice_id(client: stripe.StripeClient, subscription: PlanSubscription) -> str:
    return str(client.v1.subscriptions.retrieve(subscription.stripe_subscription_id).latest_invoice)


def built_invoice_paid(client: stripe.StripeClient, invoice_id: str) -> dict[str, Any]:
    """`invoice.paid` (built: localstripe sends only `invoice.payment_succeeded`) around its invoice."""
    return built_event("invoice.paid", client.v1.invoices.retrieve(invoice_id).to_dict())


def built_subscription_updated(client: stripe.StripeClient, subscription_id: str) -> dict[str, Any]:
    """`customer.subscription.updated` (built: localstripe never sends it) around the subscription now."""
    return built_event("customer.subscription.updated", client.v1.subscriptions.retrieve(subscription_id).to_dict())


def second_period_invoice(client: stripe.StripeClient, subscription: PlanSubscription) -> str:
    """The next period's invoice, paid (localstripe has no clock to renew a subscription by itself)."""
    customer = client.v1.subscriptions.retrieve(subscription.stripe_subscription_id).customer
    invoice = client.v1.invoices.create(
        params={"customer": str(customer), "subscription": subscription.stripe_subscription_id}
    )
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid", paid.status
    return invoice.id


def wallet(user) -> Wallet:
    return Wallet.objects.select_related("plan").get(user=user)


def invoice_grants(user) -> int:
    return LedgerEntry.objects.filter(wallet__user=user, ref_type="subscriptioninvoice").count()


# --- subscribing and paid periods -------------------------------------------------------------------


def test_subscribing_switches_the_plan_and_its_paid_invoice_grants_the_plan_tokens_once(
    stripe_fake, paid_plans
) -> None:
    pro = paid_plans["pro"]
    user, subscription = subscribed(stripe_fake, pro)
    invoice_id = first_invoice_id(stripe_fake, subscription)
    assert wallet(user).plan == pro and wallet(user).balance == 0  # tokens come with the paid invoice

    succeeded = event_from_fake(stripe_fake, type="invoice.payment_succeeded", object_id=invoice_id)
    for event in (
        succeeded,
        event_from_fake(
            stripe_fake, type="customer.subscription.created", object_id=subscription.stripe_subscription_id
        ),
        succeeded,
        built_invoice_paid(stripe_fake, invoice_id),
    ):
        assert deliver(event).status_code == 200

    assert wallet(user).balance == pro.monthly_tokens
    assert invoice_grants(user) == 1
    record = SubscriptionInvoice.objects.get()
    assert (record.stripe_invoice_id, record.plan, record.amount_paid, record.currency, record.tokens_granted) == (
        invoice_id,
        pro,
        pro.price_cents,
        "usd",
        pro.monthly_tokens,
    )
    subscription.refresh_from_db()
    assert subscription.status == "active" and subscription.current_period_end is not None
    entry = LedgerEntry.objects.get(wallet__user=user, ref_type="subscriptioninvoice")
    assert entry.idempotency_key == f"stripe:invoice:{invoice_id}"


def test_a_signed_invoice_event_stripe_does_not_bear_out_grants_nothing_and_is_refused(stripe_fake, paid_plans) -> None:
    pro, team = paid_plans["pro"], paid_plans["team"]
    user, subscription = subscribed(stripe_fake, pro)
    real = stripe_fake.v1.invoices.retrieve(first_invoice_id(stripe_fake, subscription)).to_dict()
    # A forger holding the webhook secret: an invoice Stripe never made, on the person's real
    # subscription, its lines claiming the Team plan; then an open invoice Stripe has, claimed paid.
    team_lines = [{**line, "plan": {"id": team.stripe_price_id}} for line in real["lines"]["data"]]
    invented = {**real, "id": "in_forged789", "lines": {**real["lines"], "data": team_lines}}
    customer = stripe_fake.v1.subscriptions.retrieve(subscription.stripe_subscription_id).customer
    unpaid = stripe_fake.v1.invoices.create(
        params={"customer": str(customer), "subscription": subscription.stripe_subscription_id}
    ).to_dict()
    assert unpaid["status"] != "paid"

    deliver(built_event("invoice.paid", invented))
    deliver(built_event("invoice.paid", {**unpaid, "status": "paid", "lines": invented["lines"]}))

    refused = StripeEvent.objects.filter(type="invoice.paid").order_by("pk")
    assert [event.refused_at is not None for event in refused] == [True, True]
    assert "Stripe has no invoice 'in_forged789'" in refused[0].error
    assert "not paid" in refused[1].error
    assert invoice_grants(user) == 0 and wallet(user).balance == 0
    assert not SubscriptionInvoice.objects.exists()


def test_a_paid_invoice_records_the_month_its_plan_line_pays_for_not_stripes_usage_period(paid_plans) -> None:
    # A first subscription invoice as Stripe documents it: the invoice's own period_start/_end is the
    # usage period, which looks back (both are the moment it was made); the plan's line says which
    # month is paid for. (localstripe copies the subscription's period into both, so it is built here.)
    pro = paid_plans["pro"]
    user = empty_wallet_user()
    made = int(dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC).timestamp())
    month_later = int(dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC).timestamp())
    invoice = {
        "id": "in_first_period",
        "amount_paid": pro.price_cents,
        "currency": "usd",
        "period_start": made,
        "period_end": made,
        "status_transitions": {"paid_at": made},
        "lines": {
            "data": [
                {
                    "amount": pro.price_cents,
                    "proration": False,
                    "price": {"id": pro.stripe_price_id},
                    "period": {"start": made, "end": month_later},
                }
            ]
        },
    }

    record = subscription_invoice_credit(invoice=invoice, wallet=Wallet.objects.get(user=user))

    assert (record.period_start, record.period_end) == (
        dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC),
    )
    assert (record.plan, record.tokens_granted, wallet(user).balance) == (pro, pro.monthly_tokens, pro.monthly_tokens)


def test_a_second_subscription_is_refused_while_one_is_active(stripe_fake, paid_plans) -> None:
    user, _ = subscribed(stripe_fake, paid_plans["pro"])

    with pytest.raises(SubscriptionRefused):
        subscription_start(user=user, plan=paid_plans["team"], payment_method_id=card(stripe_fake))

    assert PlanSubscription.objects.filter(wallet__user=user).count() == 1


def test_a_second_periods_invoice_grants_the_plan_tokens_again(stripe_fake, paid_plans) -> None:
    pro = paid_plans["pro"]
    user, subscription = subscribed(stripe_fake, pro)
    deliver(built_invoice_paid(stripe_fake, first_invoice_id(stripe_fake, subscription)))

    second = second_period_invoice(stripe_fake, subscription)
    deliver(event_from_fake(stripe_fake, type="invoice.payment_succeeded", object_id=second))
    deliver(built_invoice_paid(stripe_fake, second))

    assert wallet(user).balance == 2 * pro.monthly_tokens
    assert invoice_grants(user) == 2


def test_the_calendar_grant_skips_subscribed_wallets_and_keeps_granting_the_free_plan(stripe_fake, paid_plans) -> None:
    subscriber, _ = subscribed(stripe_fake, paid_plans["pro"])
    free_user = empty_wallet_user()
    next_month = dt.datetime.now(dt.UTC).replace(day=1) + dt.timedelta(days=40)

    grant_monthly_tokens(now=next_month)

    assert wallet(subscriber).balance == 0
    assert wallet(free_user).balance == Plan.objects.get(slug="free").monthly_tokens


# --- switching, cancelling, ending ------------------------------------------------------------------


def test_switching_plan_moves_the_stripe_subscription_and_the_wallet(stripe_fake, paid_plans) -> None:
    pro, team = paid_plans["pro"], paid_plans["team"]
    user, subscription = subscribed(stripe_fake, pro)

    subscription_change(user=user, plan=team)
    deliver(built_subscription_updated(stripe_fake, subscription.stripe_subscription_id))

    remote = stripe_fake.v1.subscriptions.retrieve(subscription.stripe_subscription_id)
    assert remote["items"].data[0].plan.id == team.stripe_price_id
    assert wallet(user).plan == team
    subscription.refresh_from_db()
    assert subscription.plan == team
    with pytest.raises(SubscriptionRefused):
        subscription_change(user=user, plan=team)


def test_a_cancelled_plan_lasts_until_the_period_ends_then_the_default_plan_returns(stripe_fake, paid_plans) -> None:
    pro = paid_plans["pro"]
    user, subscription = subscribed(stripe_fake, pro)

    subscription_cancel(user=user)
    deliver(built_subscription_updated(stripe_fake, subscription.stripe_subscription_id))

    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is True and subscription.status == "active"
    assert wallet(user).plan == pro

    # The period ends: Stripe deletes the subscription and says so.
    stripe_fake.v1.subscriptions.cancel(subscription.stripe_subscription_id)
    deleted = event_from_fake(
        stripe_fake, type="customer.subscription.deleted", object_id=subscription.stripe_subscription_id
    )
    assert deliver(deleted).status_code == 200

    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert wallet(user).plan.slug == "free"


def test_resuming_before_the_period_ends_keeps_the_plan_renewing(stripe_fake, paid_plans) -> None:
    user, subscription = subscribed(stripe_fake, paid_plans["pro"])
    subscription_cancel(user=user)

    subscription_resume(user=user)

    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False
    assert stripe_fake.v1.subscriptions.retrieve(subscription.stripe_subscription_id).cancel_at_period_end is False
    with pytest.raises(SubscriptionRefused):
        subscription_resume(user=user)


def test_a_stale_subscription_update_does_not_undo_a_newer_state(stripe_fake, paid_plans) -> None:
    pro, team = paid_plans["pro"], paid_plans["team"]
    user, subscription = subscribed(stripe_fake, pro)
    stale = built_subscription_updated(stripe_fake, subscription.stripe_subscription_id)  # Pro, renewing
    subscription_change(user=user, plan=team)
    subscription_cancel(user=user)

    assert deliver(stale).status_code == 200  # arrives last, describing the oldest state

    subscription.refresh_from_db()
    assert (subscription.plan, subscription.cancel_at_period_end) == (team, True)
    assert wallet(user).plan == team


# --- pages and endpoints ---------------------------------------------------------------------------


def test_the_invoices_page_lists_ones_own_invoices_and_pack_payments_only(stripe_fake, paid_plans) -> None:
    user, subscription = subscribed(stripe_fake, paid_plans["pro"])
    invoice_id = first_invoice_id(stripe_fake, subscription)
    deliver(built_invoice_paid(stripe_fake, invoice_id))
    _other, other_subscription = subscribed(stripe_fake, paid_plans["team"])
    other_invoice = first_invoice_id(stripe_fake, other_subscription)
    deliver(built_invoice_paid(stripe_fake, other_invoice))
    pack = TokenPackFactory(name="Evening pack", tokens=100, amount=300)
    PackPurchase.objects.create(
        wallet=wallet(user), pack=pack, stripe_payment_intent_id="pi_mine", tokens=100, amount=300, currency="usd"
    )
    http = Client()
    http.force_login(user)

    page = http.get(reverse("billing:invoices"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Pro plan" in html and "Evening pack" in html and "$19" in html
    assert "Team plan" not in html and other_invoice not in html


def test_the_plan_endpoints_act_only_on_ones_own_subscription(stripe_fake, paid_plans) -> None:
    owner, subscription = subscribed(stripe_fake, paid_plans["pro"])
    stranger = empty_wallet_user()
    http = Client()
    http.force_login(stranger)

    cancel = http.post(reverse("billing:plan-cancel", args=["pro"]))
    switch = http.post(reverse("billing:plan-switch", args=["team"]))

    assert cancel.status_code == 409 and switch.status_code == 409
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False and wallet(owner).plan.slug == "pro"
    assert Client().post(reverse("billing:plan-cancel", args=["pro"])).status_code in (302, 401, 403)


def test_subscribing_through_the_endpoint_answers_the_result_page(stripe_fake, paid_plans) -> None:
    user = empty_wallet_user()
    http = Client()
    http.force_login(user)

    answer = http.post(
        reverse("billing:plan-subscribe", args=["pro"]),
        data={"payment_method": card(stripe_fake)},
        content_type="application/json",
    )

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "active" and body["result_url"]
    assert wallet(user).plan.slug == "pro"
    assert (
        http.post(
            reverse("billing:plan-subscribe", args=["free"]),
            data={"payment_method": "pm_x"},
            content_type="application/json",
        ).status_code
        == 409
    )


def test_the_billing_page_offers_cancel_on_ones_plan_switch_on_the_other_and_lists_payments(
    stripe_fake, paid_plans
) -> None:
    user, subscription = subscribed(stripe_fake, paid_plans["pro"])
    deliver(built_invoice_paid(stripe_fake, first_invoice_id(stripe_fake, subscription)))
    http = Client()
    http.force_login(user)

    html = http.get(reverse("billing:billing")).content.decode()

    assert 'data-plan-action="cancel"' in html and "Switch to Team" in html and "Subscribe" not in html
    assert 'id="payments"' in html and "Pro plan" in html and "$19 / month" in html

    subscription_cancel(user=user)
    html = http.get(reverse("billing:billing")).content.decode()
    assert 'data-plan-action="resume"' in html and "is cancelled: it lasts until" in html


def test_operators_see_subscriptions_and_paid_invoices_read_only(stripe_fake, paid_plans) -> None:
    user, subscription = subscribed(stripe_fake, paid_plans["pro"])
    invoice_id = first_invoice_id(stripe_fake, subscription)
    deliver(built_invoice_paid(stripe_fake, invoice_id))
    operator = Client()
    operator.force_login(UserFactory(is_staff=True, is_superuser=True))

    subscriptions = operator.get(reverse("admin:billing_plansubscription_changelist")).content.decode()
    invoices = operator.get(reverse("admin:billing_subscriptioninvoice_changelist")).content.decode()

    assert subscription.stripe_subscription_id in subscriptions and user.email in subscriptions
    assert invoice_id in invoices
    assert operator.get(reverse("admin:billing_subscriptioninvoice_add")).status_code == 403
