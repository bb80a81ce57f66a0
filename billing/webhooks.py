"""`POST /billing/stripe/webhook/`: where Stripe delivers events.

CSRF-exempt (Stripe has no session); a delivery counts only if Stripe's signature over the exact
body checks out. The view answers as soon as the event is stored, as Stripe asks: processing is a
task, so a slow handler never makes Stripe time out and redeliver.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.throttling import SimpleRateThrottle

from billing.payments import InvalidWebhook, stripe_event_record
from billing.stripe_client import payments_configured
from sage.client_address import address_bucket, client_address


class StripeWebhookThrottle(SimpleRateThrottle):
    """Deliveries per client address: signature checks and inserts are cheap, but not free."""

    scope = "stripe_webhook"

    def get_rate(self) -> str:
        return str(settings.STRIPE_WEBHOOK_RATE_LIMIT)

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": address_bucket(client_address(request))}


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    if not payments_configured():
        return JsonResponse({"error": {"code": "payments_not_configured"}}, status=404)
    throttle = StripeWebhookThrottle()
    if not throttle.allow_request(request, None):  # type: ignore[arg-type]  # keyed by address only
        return JsonResponse(
            {"error": {"code": "throttled"}}, status=429, headers={"Retry-After": str(int(throttle.wait() or 1) + 1)}
        )
    try:
        event, created = stripe_event_record(payload=request.body, signature=request.headers.get("Stripe-Signature"))
    except InvalidWebhook as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=400)
    return JsonResponse({"received": event.stripe_id, "duplicate": not created})
