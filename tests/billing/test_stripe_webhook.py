"""The Stripe webhook: signed events from localstripe stored once and credited exactly once through
the ledger; refunds take back what is left and record what was already spent as owed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone

from billing.ledger import ledger_debit
from billing.models import LedgerEntry, PackPurchase, StripeEvent, Wallet
from billing.stripe_events import requeue_stale_stripe_events
from tests.billing.stripe_fake import (
    checkout_session_completed,
    deliver,
    event_from_fake,
    paid_pack_intent,
    refund_on_fake,
)
from tests.factories import TokenPackFactory, UserFactory, empty_wallet_user

pytestmark = pytest.mark.django_db


def balance(user) -> int:
    return Wallet.objects.get(user=user).balance


def purchase_event(stripe_fake: stripe.StripeClient, user, pack) -> dict:
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    return event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"])


def test_a_signed_pack_purchase_from_the_fake_credits_the_pack_once(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=3600, amount=900)
    event = purchase_event(stripe_fake, user, pack)

    first = deliver(event)
    replay = deliver(event)

    assert first.status_code == 200 and first.json() == {"received": event["id"], "duplicate": False}
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert balance(user) == 3600
    stored = StripeEvent.objects.get()
    assert stored.stripe_id == event["id"] and stored.type == "payment_intent.succeeded"
    assert stored.processed_at is not None and stored.error == ""
    purchase = PackPurchase.objects.get()
    assert (purchase.stripe_payment_intent_id, purchase.tokens, purchase.amount) == (
        event["data"]["object"]["id"],
        3600,
        900,
    )
    entry = LedgerEntry.objects.get(wallet__user=user, kind=LedgerEntry.Kind.GRANT, ref_type="packpurchase")
    assert entry.idempotency_key == f"stripe:payment_intent:{purchase.stripe_payment_intent_id}"
    assert entry.amount == 3600


def test_a_checkout_session_and_its_payment_intent_credit_one_payment_once(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=500, amount=300)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)

    assert deliver(checkout_session_completed(intent)).status_code == 200
    assert (
        deliver(event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"])).status_code
        == 200
    )

    assert StripeEvent.objects.filter(processed_at__isnull=False).count() == 2
    assert balance(user) == 500
    assert PackPurchase.objects.count() == 1


@pytest.mark.parametrize(
    ("how", "kwargs"),
    [
        ("unsigned", {"secret": ""}),
        ("signed with another secret", {"secret": "whsec_someone_else"}),
        ("a malformed signature header", {"signature": "v1=abc"}),
        ("a signature from long ago", {"signature": "old"}),
    ],
)
def test_a_delivery_not_signed_by_stripe_is_400_and_changes_nothing(stripe_fake, how, kwargs) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory()
    event = purchase_event(stripe_fake, user, pack)
    if kwargs.get("signature") == "old":  # right secret, but 10 minutes old: a replayed capture
        body = json.dumps(event)
        kwargs = {"signature": stripe.WebhookSignature.generate_signature_header(body, "whsec_sage_test_secret", 0)}

    response = deliver(event, **kwargs)

    assert response.status_code == 400, how
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert not StripeEvent.objects.exists()
    assert balance(user) == 0


def test_a_body_changed_after_signing_is_400(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory()
    event = purchase_event(stripe_fake, user, pack)
    signature = stripe.WebhookSignature.generate_signature_header(json.dumps(event), "whsec_sage_test_secret")
    event["data"]["object"]["metadata"]["sage_pack_id"] = str(TokenPackFactory(tokens=10**6).pk)

    assert deliver(event, signature=signature).status_code == 400
    assert not StripeEvent.objects.exists()


def test_without_keys_the_webhook_is_not_there_and_the_billing_page_says_so(client, settings) -> None:
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = None
    user = UserFactory()

    assert deliver({"id": "evt_1", "type": "payment_intent.succeeded"}).status_code == 404
    client.force_login(user)
    page = client.get(reverse("billing:billing"))
    assert b"Payments are not configured on this site" in page.content


def test_the_billing_page_does_not_say_not_configured_with_keys(client, stripe_fake) -> None:
    client.force_login(UserFactory())
    assert b"Payments are not configured" not in client.get(reverse("billing:billing")).content


def test_the_webhook_is_csrf_exempt_but_post_only(stripe_fake) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    user, pack = empty_wallet_user(), TokenPackFactory()
    assert deliver(purchase_event(stripe_fake, user, pack), http=strict).status_code == 200
    assert strict.get(reverse("billing:stripe-webhook")).status_code == 405


def test_deliveries_past_the_rate_limit_are_refused_with_429(stripe_fake, settings) -> None:
    settings.STRIPE_WEBHOOK_RATE_LIMIT = "2/min"
    user, pack = empty_wallet_user(), TokenPackFactory()
    event = purchase_event(stripe_fake, user, pack)

    statuses = [deliver(event, address="203.0.113.9").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert deliver(event, address="203.0.113.10").status_code == 200  # counted per address


def test_a_payment_whose_amount_differs_from_the_pack_credits_nothing_and_keeps_the_error(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=100, amount=500)
    event = purchase_event(stripe_fake, user, pack)
    pack.amount = 50_000  # repriced after the payment was made: what was paid no longer matches
    pack.save()

    assert deliver(event).status_code == 200  # stored: Stripe must not keep retrying it

    stored = StripeEvent.objects.get()
    assert stored.processed_at is None
    assert "received 500 usd" in stored.error
    assert balance(user) == 0


def test_a_refund_takes_back_what_is_left_and_records_what_was_spent_as_owed(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=3600, amount=900)
    event = purchase_event(stripe_fake, user, pack)
    deliver(event)
    ledger_debit(user=user, amount=1000, key="work:1", memo="a video")

    refund = refund_on_fake(stripe_fake, payment_intent_id=event["data"]["object"]["id"])
    deliver(refund)
    deliver(refund)  # a redelivery takes nothing more

    assert balance(user) == 0
    purchase = PackPurchase.objects.get()
    assert (purchase.amount_refunded, purchase.tokens_taken_back, purchase.tokens_owed) == (900, 2600, 1000)
    taken = LedgerEntry.objects.get(wallet__user=user, kind=LedgerEntry.Kind.ADJUSTMENT)
    assert taken.amount == -2600 and taken.balance_after == 0


def test_partial_refunds_take_back_their_share_each_once(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=1000, amount=1000)
    event = purchase_event(stripe_fake, user, pack)
    deliver(event)
    payment_intent_id = event["data"]["object"]["id"]

    first = refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id, amount=250)
    second = refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id, amount=250)
    deliver(second)  # out of order: the later refund's running total (500) arrives first
    deliver(first)  # a stale total (250): already covered

    assert balance(user) == 500
    purchase = PackPurchase.objects.get()
    assert (purchase.amount_refunded, purchase.tokens_taken_back, purchase.tokens_owed) == (500, 500, 0)


def test_a_refund_delivered_before_its_purchase_credits_then_takes_back_once(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=700, amount=700)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    refund = refund_on_fake(stripe_fake, payment_intent_id=intent["id"])

    deliver(refund)  # the purchase is fetched from the fake, credited, then taken back
    deliver(event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"]))

    assert balance(user) == 0
    entries = LedgerEntry.objects.filter(wallet__user=user, ref_type="packpurchase").order_by("pk")
    assert [entry.amount for entry in entries] == [700, -700]


def test_processing_again_from_the_admin_moves_nothing_twice(stripe_fake, admin_client) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=400, amount=400)
    event = purchase_event(stripe_fake, user, pack)
    deliver(event)
    refund = refund_on_fake(stripe_fake, payment_intent_id=event["data"]["object"]["id"], amount=100)
    deliver(refund)
    ids = list(StripeEvent.objects.values_list("pk", flat=True))

    changelist = reverse("admin:billing_stripeevent_changelist")
    response = admin_client.post(changelist, {"action": "reprocess", "_selected_action": ids}, follow=True)

    assert response.status_code == 200
    assert b"Processed 2 event(s)." in response.content
    assert balance(user) == 300
    assert LedgerEntry.objects.filter(wallet__user=user, ref_type="packpurchase").count() == 2
    assert set(StripeEvent.objects.values_list("attempts", flat=True)) == {2}


def test_a_failed_event_is_credited_when_processed_again_after_the_pack_is_fixed(stripe_fake, admin_client) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=100, amount=500)
    event = purchase_event(stripe_fake, user, pack)
    pack.amount = 600
    pack.save()
    deliver(event)
    stored = StripeEvent.objects.get()
    assert stored.error

    pack.amount = 500  # the operator puts back the price the payment was made at
    pack.save()
    changelist = reverse("admin:billing_stripeevent_changelist")
    admin_client.post(changelist, {"action": "reprocess", "_selected_action": [stored.pk]})

    stored.refresh_from_db()
    assert stored.processed_at is not None and stored.error == ""
    assert balance(user) == 100


def test_events_whose_processing_was_lost_are_queued_again(stripe_fake, django_capture_on_commit_callbacks) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=42, amount=100)
    event = purchase_event(stripe_fake, user, pack)
    # Stored but never processed (the task was lost), a while ago.
    StripeEvent.objects.create(
        stripe_id=event["id"],
        type=event["type"],
        payload=event,
        received_at=timezone.now() - dt.timedelta(hours=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_stripe_events.delay().get() == 1

    assert StripeEvent.objects.get().processed_at is not None
    assert balance(user) == 42
    assert requeue_stale_stripe_events.delay().get() == 0


def test_an_unpaid_checkout_session_credits_nothing_until_paid(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=250, amount=250)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    completed = checkout_session_completed(intent)
    completed["data"]["object"]["payment_status"] = "unpaid"  # a delayed method (a bank debit)
    paid_later = checkout_session_completed(intent)
    paid_later["type"] = "checkout.session.async_payment_succeeded"

    deliver(completed)
    assert balance(user) == 0
    deliver(paid_later)
    assert balance(user) == 250


def test_an_event_sage_does_not_handle_is_stored_and_marked_processed(stripe_fake) -> None:
    customer = stripe_fake.v1.customers.create(params={"email": "someone@example.com"})
    event = event_from_fake(stripe_fake, type="customer.created", object_id=customer.id)

    assert deliver(event).status_code == 200

    stored = StripeEvent.objects.get()
    assert stored.type == "customer.created" and stored.processed_at is not None and stored.error == ""
    assert not PackPurchase.objects.exists()
