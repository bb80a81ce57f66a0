"""The webhook from outside: a bad signature header, a signed body that is no event, a body too large or
a GET get an answer in the error shape, never a 500; a signed body SAGE cannot read is stored as
refused and answered 2xx (Stripe stops retrying), and nothing queues it again."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import stripe
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import PackPurchase, StripeEvent, Wallet
from billing.stripe_events import requeue_stale_stripe_events
from tests.billing.stripe_fake import TEST_WEBHOOK_SECRET, deliver, event_from_fake, paid_pack_intent
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.django_db


def signed(body: bytes) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), TEST_WEBHOOK_SECRET)


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert list(body["error"]) == ["code", "message", "fields"], body
    return body["error"]


def no_traceback_logged(caplog) -> bool:
    return not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


@pytest.mark.parametrize("header", ["t=1,v1=é", "t=é,v1=abc", "t=1,v1=\x80", "t=99999999999,v1=ÿÿ"])
def test_a_signature_header_with_non_ascii_characters_is_a_400_without_a_traceback(stripe_fake, caplog, header) -> None:
    body = b'{"id": "evt_1", "type": "payment_intent.succeeded"}'
    raw = Client(raise_request_exception=False)
    # The test client encodes headers as latin-1, as an HTTP server decodes them.
    response = raw.post(
        reverse("billing:stripe-webhook"), data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )

    assert error_of(response, 400)["code"] == "invalid_webhook"
    assert no_traceback_logged(caplog)
    assert not StripeEvent.objects.exists()


UNREADABLE_BODIES = {
    "a list": b"[1]",
    "null": b"null",
    "a string": b'"evt"',
    "NaN": b'{"id": "evt_nan", "type": "payment_intent.succeeded", "data": {"object": {"amount": NaN}}}',
    "1e400": b'{"id": "evt_big", "type": "payment_intent.succeeded", "data": {"object": {"amount": 1e400}}}',
    "a NUL": b'{"id": "evt_nul", "type": "customer.created", "data": {"object": {"name": "a\\u0000b"}}}',
    "a lone surrogate": b'{"id": "evt_sur", "type": "customer.created", "data": {"object": {"name": "\\ud800"}}}',
    "a long id": json.dumps({"id": "evt_" + "a" * 300, "type": "customer.created"}).encode(),
    "an id that is not a string": b'{"id": 7, "type": "customer.created"}',
    "no type": b'{"id": "evt_notype"}',
    "deep nesting": b'{"id": "evt_deep", "type": "x", "data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
}


@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=UNREADABLE_BODIES.keys())
def test_a_signed_body_that_is_no_readable_event_is_stored_refused_and_acknowledged(stripe_fake, caplog, body) -> None:
    first = deliver(body, signature=signed(body), http=Client(raise_request_exception=False))
    replay = deliver(body, signature=signed(body), http=Client(raise_request_exception=False))

    # 2xx, so Stripe stops retrying; the refusal in the error shape for whoever reads the answer.
    assert first.status_code == 200, first.content
    answer = first.json()
    assert answer["refused"] is True and answer["duplicate"] is False
    assert answer["error"]["code"] == "event_refused" and answer["error"]["message"]
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    stored = StripeEvent.objects.get()
    assert stored.stripe_id == answer["received"]
    assert stored.refused_at is not None and stored.processed_at is None and stored.attempts == 0
    assert stored.error.startswith("Refused: ")
    assert stored.raw_body and "\x00" not in stored.raw_body
    assert no_traceback_logged(caplog)


def test_a_refused_event_is_not_queued_again_by_the_sweep(stripe_fake, django_capture_on_commit_callbacks) -> None:
    body = b"[1]"
    deliver(body, signature=signed(body))
    StripeEvent.objects.update(received_at=timezone.now() - dt.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_stripe_events.delay().get() == 0


def test_a_body_over_the_upload_limit_is_a_413_in_the_error_shape(stripe_fake, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"id": "evt_big", "type": "customer.created", "pad": "x" * 2000}).encode()

    response = deliver(body, signature=signed(body), http=Client(raise_request_exception=False))

    assert error_of(response, 413)["code"] == "too_large"
    assert not StripeEvent.objects.exists()


def test_a_get_is_a_405_in_the_error_shape(stripe_fake) -> None:
    response = Client().get(reverse("billing:stripe-webhook"))

    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert response["Allow"] == "POST"


def test_throttled_and_unconfigured_answers_are_in_the_error_shape(stripe_fake, settings) -> None:
    settings.STRIPE_WEBHOOK_RATE_LIMIT = "1/min"
    body = b"[1]"
    deliver(body, signature=signed(body), address="198.51.100.7")
    assert error_of(deliver(body, signature=signed(body), address="198.51.100.7"), 429)["code"] == "throttled"

    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = None
    assert error_of(deliver(body, signature="t=1,v1=a"), 404)["code"] == "payments_not_configured"


def test_a_real_event_is_still_credited_once_and_not_refused(stripe_fake) -> None:
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=120, amount=300)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    event = event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"])

    answer = deliver(event).json()

    assert answer == {"received": event["id"], "duplicate": False}
    assert StripeEvent.objects.get().refused_at is None
    assert Wallet.objects.get(user=user).balance == 120
    assert PackPurchase.objects.count() == 1


def test_an_operator_sees_a_refused_event_its_reason_and_body_in_the_admin(stripe_fake, admin_client) -> None:
    body = b'{"id": "evt_nan", "type": "payment_intent.succeeded", "amount": NaN}'
    deliver(body, signature=signed(body))
    stored = StripeEvent.objects.get()

    listing = admin_client.get(reverse("admin:billing_stripeevent_changelist"))
    detail = admin_client.get(reverse("admin:billing_stripeevent_change", args=[stored.pk]))

    assert b"Refused: JSON parse error" in listing.content
    assert b"NaN is not a JSON number" in detail.content
    assert b"&quot;amount&quot;: NaN" in detail.content  # the body as received


def test_an_operator_can_list_only_the_refused_events(stripe_fake, admin_client) -> None:
    refused = b"[1]"
    deliver(refused, signature=signed(refused))
    readable = json.dumps({"id": "evt_other", "type": "customer.created", "data": {"object": {}}}).encode()
    deliver(readable, signature=signed(readable))
    assert StripeEvent.objects.count() == 2

    changelist = reverse("admin:billing_stripeevent_changelist")
    only_refused = admin_client.get(changelist, {"refused_at__isnull": "False"})
    not_refused = admin_client.get(changelist, {"refused_at__isnull": "True"})

    assert only_refused.status_code == 200 and not_refused.status_code == 200
    assert only_refused.context["cl"].result_count == 1
    assert b"evt_other" not in only_refused.content
    assert b"evt_other" in not_refused.content


def test_processing_an_unreadable_event_again_from_the_admin_keeps_it_refused(stripe_fake, admin_client) -> None:
    body = b"[1]"
    deliver(body, signature=signed(body))
    stored = StripeEvent.objects.get()

    changelist = reverse("admin:billing_stripeevent_changelist")
    response = admin_client.post(changelist, {"action": "reprocess", "_selected_action": [stored.pk]}, follow=True)

    assert b"no event SAGE can read" in response.content
    stored.refresh_from_db()
    assert stored.refused_at is not None and stored.processed_at is None
