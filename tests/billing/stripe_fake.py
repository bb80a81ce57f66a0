"""Payments made on localstripe through the SDK, and their events delivered to SAGE's webhook signed
as Stripe signs them (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")`, by the SDK's helper).

localstripe emits `payment_intent.succeeded` itself (taken here from its own event list, as it
would deliver it). It has no Checkout Sessions and never emits `charge.refunded`: those two event
bodies are built here around the fake's real objects (the refunded charge as localstripe returns
it), and named as built. Nor has it disputes: `stripe_beside` serves the disputes and Checkout
Sessions tests build at Stripe's addresses for them, and passes everything else to localstripe.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import stripe
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import User
from billing.models import TokenPack
from billing.stripe_client import PACK_METADATA_KEY, USER_METADATA_KEY

TEST_SECRET_KEY = "sk_test_sage_localstripe"
TEST_WEBHOOK_SECRET = "whsec_sage_test_secret"


def paid_pack_intent(client: stripe.StripeClient, *, user: User, pack: TokenPack) -> dict[str, Any]:
    """A PaymentIntent for `pack`, paid by card on the fake (as Stripe.js would confirm it)."""
    card = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    intent = client.v1.payment_intents.create(
        params={
            "amount": pack.amount,
            "currency": pack.currency,
            "payment_method": card.id,
            "confirm": True,
            "metadata": {PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(user.pk)},
        }
    )
    assert intent.status == "succeeded", intent.status
    return intent.to_dict()


def event_from_fake(client: stripe.StripeClient, *, type: str, object_id: str) -> dict[str, Any]:
    """The event localstripe recorded (and would deliver) for `object_id`."""
    # Every page: a long bench records more events than one page holds.
    for event in client.v1.events.list(params={"type": type, "limit": 100}).auto_paging_iter():
        if event.data.object.id == object_id:
            return event.to_dict()
    raise AssertionError(f"localstripe has no {type} event for {object_id}")


def refund_on_fake(client: stripe.StripeClient, *, payment_intent_id: str, amount: int | None = None) -> dict[str, Any]:
    """Refund (all, or `amount` of) the payment on the fake; the `charge.refunded` event Stripe would
    send for it, built here (localstripe does not emit it) around the fake's refunded charge."""
    params: dict[str, Any] = {"payment_intent": payment_intent_id}
    if amount is not None:
        params["amount"] = amount
    refund = client.v1.refunds.create(params=params)  # type: ignore[arg-type]
    charge = client.v1.charges.retrieve(str(refund.charge)).to_dict()
    return built_event("charge.refunded", charge)


def built_event(type: str, obj: dict[str, Any]) -> dict[str, Any]:
    """An event body in Stripe's shape, for an event localstripe cannot send."""
    return {
        "id": f"evt_built_{secrets.token_hex(8)}",
        "object": "event",
        "type": type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2017-08-15",
        "data": {"object": obj},
    }


def checkout_session_completed(intent: dict[str, Any]) -> dict[str, Any]:
    """`checkout.session.completed` for a paid pack (built: localstripe has no Checkout Sessions)."""
    session = {
        "id": f"cs_test_{secrets.token_hex(8)}",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": intent["id"],
        "amount_total": intent["amount"],
        "currency": intent["currency"],
        "customer": intent.get("customer"),
        "metadata": intent["metadata"],
    }
    return built_event("checkout.session.completed", session)


def deliver(
    event: dict[str, Any] | bytes,
    *,
    secret: str = TEST_WEBHOOK_SECRET,
    signature: str | None = None,
    http: Client | None = None,
    address: str = "127.0.0.1",
) -> Any:
    """POST the event to the webhook, signed with `secret` (or with `signature` as given)."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    if signature is None and secret:
        signature = stripe.WebhookSignature.generate_signature_header(body.decode(), secret)
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    # The task is queued on commit; inside a test's transaction that is when this block ends
    # (Celery runs eagerly in tests, so the event is processed before this returns).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return (http or Client()).post(
            reverse("billing:stripe-webhook"),
            data=body,
            content_type="application/json",
            headers=headers,
            REMOTE_ADDR=address,
        )


# Objects localstripe does not have, as Stripe answers GET /v1/<kind>/<id>, by kind and id: what a
# test built and put here (the latest state it put wins), served by `stripe_beside`.
DISPUTES_ON_STRIPE: dict[str, dict[str, Any]] = {}
CHECKOUT_SESSIONS_ON_STRIPE: dict[str, dict[str, Any]] = {}
_ONLY_ON_STRIPE = {"disputes": DISPUTES_ON_STRIPE, "checkout/sessions": CHECKOUT_SESSIONS_ON_STRIPE}
_ONLY_ON_STRIPE_PATH = re.compile(r"^/v1/(disputes|checkout/sessions)/([^/?]+)")


@contextmanager
def stripe_beside(localstripe_url: str) -> Iterator[str]:
    """A base URL for SAGE's Stripe client: disputes and Checkout Sessions answered from the dicts
    above (an unknown one as Stripe answers it, 404 `resource_missing`), all else passed to localstripe."""
    upstream = urlsplit(localstripe_url)

    class _Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.command == "GET" and (found := _ONLY_ON_STRIPE_PATH.match(self.path)):
                kept = _ONLY_ON_STRIPE[found.group(1)].get(found.group(2))
                missing = {"type": "invalid_request_error", "code": "resource_missing", "param": "id"}
                status, content_type = (200 if kept else 404), "application/json"
                answer = json.dumps(kept or {"error": {**missing, "message": "No such object"}}).encode()
            else:
                connection = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=30)
                headers = {name: value for name, value in self.headers.items() if name.lower() != "host"}
                connection.request(self.command, self.path, body=body, headers=headers)
                reply = connection.getresponse()
                status, content_type, answer = reply.status, reply.getheader("Content-Type", ""), reply.read()
                connection.close()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        for kept in _ONLY_ON_STRIPE.values():
            kept.clear()
