"""`POST /billing/stripe/webhook/`: where Stripe delivers events.

CSRF-exempt (Stripe has no session); a delivery counts only if Stripe's signature over the exact
body checks out. The view answers as soon as the event is stored, as Stripe asks: processing is a
task, so a slow handler never makes Stripe time out and redeliver. Every refusal is answered in the
API's error shape (`{"error": {"code", "message", "fields"}}`), never as an HTML page.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from billing.stripe_client import PaymentsNotConfigured, payments_configured
from billing.stripe_events import InvalidWebhook, delivery_answer, stripe_event_record
from sage import ratelimit
from sage.api.errors import error_response
from sage.client_address import address_bucket, client_address
from sage.errors import ApplicationError, TooManyRequests


@csrf_exempt
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        refusal = ApplicationError("Stripe delivers events with POST.", code="method_not_allowed")
        return error_response(refusal, status=405, headers={"Allow": "POST"})
    if not payments_configured():
        return error_response(PaymentsNotConfigured(), status=404)
    # Deliveries per client address: signature checks and inserts are cheap, but not free.
    rate = ratelimit.Rate.parse(str(settings.STRIPE_WEBHOOK_RATE_LIMIT))
    # Redis unable to count: 503 (sage.availability.stays_up_middleware), and Stripe delivers again.
    counted = ratelimit.count(f"stripe_webhook:{address_bucket(client_address(request))}", rate)
    if not counted.allowed:
        wait = str(int(counted.wait or 1) + 1)
        return error_response(TooManyRequests("Too many deliveries: wait a little."), headers={"Retry-After": wait})
    # No Stripe event comes near DATA_UPLOAD_MAX_MEMORY_SIZE: a larger body is refused 413 by
    # Django's handler400 (sage.views.bad_request), as at every door.
    payload = request.body
    try:
        delivery = stripe_event_record(payload=payload, signature=request.headers.get("Stripe-Signature"))
    except InvalidWebhook as refusal:
        return error_response(refusal)
    return JsonResponse(delivery_answer(delivery))
