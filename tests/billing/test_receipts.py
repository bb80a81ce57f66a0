"""Receipts of our own: every payment in the history links a printable page showing what was paid,
for what, when, with Stripe's reference and any refund; only its payer can open it."""

from __future__ import annotations

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from billing.ledger import ledger_debit
from billing.models import PackPurchase, Plan, SubscriptionInvoice
from billing.subscriptions import subscription_start
from tests.billing.stripe_fake import built_event, deliver, event_from_fake, paid_pack_intent, refund_on_fake
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    http = Client()
    http.force_login(user)
    return http


def credited_pack(stripe_fake: stripe.StripeClient, user, **pack_fields) -> PackPurchase:
    """A pack paid on the fake and credited by its signed `payment_intent.succeeded` through the webhook."""
    pack = TokenPackFactory(**pack_fields)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    succeeded = event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"])
    assert deliver(succeeded).status_code == 200
    return PackPurchase.objects.get(stripe_payment_intent_id=intent["id"])


def paid_invoice(stripe_fake: stripe.StripeClient, user, plan: Plan) -> SubscriptionInvoice:
    """Subscribe `user` to `plan` on the fake and deliver its first invoice's `invoice.paid`
    (built around the fake's invoice: localstripe sends only `invoice.payment_succeeded`)."""
    product = stripe_fake.v1.products.create(params={"name": plan.name})
    price = stripe_fake.v1.plans.create(
        params={"product": product.id, "amount": plan.price_cents, "currency": "usd", "interval": "month"}
    )
    plan.stripe_price_id, plan.currency = price.id, "usd"
    plan.save(update_fields=["stripe_price_id", "currency"])
    method = stripe_fake.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    started = subscription_start(user=user, plan=plan, payment_method_id=method.id)
    invoice_id = str(stripe_fake.v1.subscriptions.retrieve(started.subscription.stripe_subscription_id).latest_invoice)
    deliver(built_event("invoice.paid", stripe_fake.v1.invoices.retrieve(invoice_id).to_dict()))
    return SubscriptionInvoice.objects.get(stripe_invoice_id=invoice_id)


def test_every_payment_row_links_its_receipt(stripe_fake) -> None:
    user = empty_wallet_user()
    purchase = credited_pack(stripe_fake, user, name="Evening pack", tokens=1200, amount=499)
    invoice = paid_invoice(stripe_fake, user, Plan.objects.get(slug="pro"))
    pack_receipt = reverse("billing:receipt", kwargs={"kind": "pack", "pk": purchase.pk})
    invoice_receipt = reverse("billing:receipt", kwargs={"kind": "invoice", "pk": invoice.pk})
    http = signed_in(user)

    for page in (reverse("billing:invoices"), reverse("billing:billing")):
        html = http.get(page).content.decode()
        assert f'href="{pack_receipt}"' in html and f'href="{invoice_receipt}"' in html, page


def test_a_pack_receipt_shows_what_was_paid_for_what_when_and_its_stripe_reference(stripe_fake) -> None:
    user = empty_wallet_user()
    purchase = credited_pack(stripe_fake, user, name="Evening pack", tokens=1200, amount=499)

    page = signed_in(user).get(reverse("billing:receipt", kwargs={"kind": "pack", "pk": purchase.pk}))

    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1" in html and "Receipt" in html
    assert "SAGE" in html and user.email in html
    assert "Evening pack: 1,200 tokens" in html
    assert "$4.99 (USD)" in html
    assert purchase.stripe_payment_intent_id in html
    assert purchase.created_at.strftime("%-d %b %Y") in html
    assert "data-receipt-tokens>1,200<" in html
    assert "data-receipt-refund>None<" in html


def test_a_refunded_pack_receipt_shows_the_refund_the_tokens_taken_back_and_owed(stripe_fake) -> None:
    user = empty_wallet_user()
    purchase = credited_pack(stripe_fake, user, name="Evening pack", tokens=1000, amount=1000)
    ledger_debit(user=user, amount=300, key="work:receipt", memo="a video")
    deliver(refund_on_fake(stripe_fake, payment_intent_id=purchase.stripe_payment_intent_id))
    purchase.refresh_from_db()
    assert (purchase.amount_refunded, purchase.tokens_taken_back, purchase.tokens_owed) == (1000, 700, 300)

    html = signed_in(user).get(reverse("billing:receipt", kwargs={"kind": "pack", "pk": purchase.pk})).content.decode()

    assert "$10 refunded; 700 tokens taken back; 300 tokens owed (already spent)" in html
    listing = signed_in(user).get(reverse("billing:invoices")).content.decode()
    assert "$10 refunded" in listing


def test_an_invoice_receipt_shows_the_plan_its_period_amount_and_tokens(stripe_fake) -> None:
    user = empty_wallet_user()
    pro = Plan.objects.get(slug="pro")
    invoice = paid_invoice(stripe_fake, user, pro)
    assert invoice.period_start is not None and invoice.period_end is not None

    page = signed_in(user).get(reverse("billing:receipt", kwargs={"kind": "invoice", "pk": invoice.pk}))

    assert page.status_code == 200
    html = page.content.decode()
    assert "data-receipt-item>Pro plan<" in html
    period = f"{invoice.period_start:%-d %b %Y} to {invoice.period_end:%-d %b %Y}"
    assert f"data-receipt-period>{period}<" in html
    assert f"data-receipt-amount>${pro.price_cents // 100}" in html and "(USD)" in html
    assert f"data-receipt-tokens>{pro.monthly_tokens:,}<" in html
    assert invoice.stripe_invoice_id in html and user.email in html


def test_another_persons_or_an_unknown_receipt_is_404(stripe_fake) -> None:
    owner, other = empty_wallet_user(), empty_wallet_user()
    purchase = credited_pack(stripe_fake, owner)
    invoice = paid_invoice(stripe_fake, owner, Plan.objects.get(slug="pro"))
    http = signed_in(other)

    for kind, pk in (("pack", purchase.pk), ("invoice", invoice.pk), ("pack", purchase.pk + 1000), ("other", 1)):
        assert http.get(reverse("billing:receipt", kwargs={"kind": kind, "pk": pk})).status_code == 404, (kind, pk)
    own = signed_in(owner)
    assert own.get(reverse("billing:receipt", kwargs={"kind": "pack", "pk": purchase.pk})).status_code == 200
    assert own.get(reverse("billing:receipt", kwargs={"kind": "invoice", "pk": invoice.pk})).status_code == 200


def test_signed_out_a_receipt_asks_to_sign_in(client) -> None:
    url = reverse("billing:receipt", kwargs={"kind": "pack", "pk": 1})

    answer = client.get(url)

    assert answer.status_code == 302 and reverse("account_login") in answer["Location"]


def test_a_paid_packs_result_page_links_its_receipt_only_for_its_payer(stripe_fake) -> None:
    user, other = empty_wallet_user(), empty_wallet_user()
    purchase = credited_pack(stripe_fake, user, name="Evening pack")
    http = signed_in(user)

    result = http.get(reverse("billing:payment-result", args=[purchase.stripe_payment_intent_id]))
    link = reverse("billing:receipt-for-payment", args=[purchase.stripe_payment_intent_id])
    followed = http.get(link)

    assert 'data-state="paid"' in result.content.decode() and f'href="{link}"' in result.content.decode()
    assert followed.status_code == 302
    assert followed["Location"] == reverse("billing:receipt", kwargs={"kind": "pack", "pk": purchase.pk})
    assert signed_in(other).get(link).status_code == 404
    assert http.get(reverse("billing:receipt-for-payment", args=["pi_not_credited"])).status_code == 404


def test_an_invoice_whose_period_is_one_instant_shows_no_period(stripe_fake) -> None:
    user = empty_wallet_user()
    invoice = paid_invoice(stripe_fake, user, Plan.objects.get(slug="pro"))
    # As Stripe reports a first subscription invoice: its usage period starts and ends at creation.
    SubscriptionInvoice.objects.filter(pk=invoice.pk).update(period_end=invoice.period_start)

    page = signed_in(user).get(reverse("billing:receipt", kwargs={"kind": "invoice", "pk": invoice.pk}))

    html = page.content.decode()
    assert "data-receipt-period" not in html and "data-receipt-item>Pro plan<" in html
