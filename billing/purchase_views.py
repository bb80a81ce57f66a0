"""Buying token packs: the card setup and purchase endpoints the billing page's script calls (JSON,
CSRF-checked, signed in, rate-limited per person), and the page that shows how a payment turned out.

Amounts never come from the browser: it names a pack and the payment method Stripe.js made, and
billing.packs charges the pack row's price.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from billing.packs import (
    PaymentResult,
    card_setup_start,
    pack_buyer_team,
    pack_for_sale,
    pack_purchase_start,
    payment_amount_for_member,
    payment_result_for_member,
)
from billing.stripe_client import (
    TRANSIENT_STRIPE_ERRORS,
    PaymentsNotConfigured,
    StripeBusy,
    payments_configured,
)
from sage import ratelimit
from sage.api.errors import error_response
from sage.errors import ApplicationError, Invalid, NotFound, TooManyRequests
from sage.json_input import loads
from workspaces.current import acting_membership


def _checked(request: HttpRequest) -> User:
    """The signed-in person, once payments are on and they are under their rate; else raises."""
    if not payments_configured():
        raise PaymentsNotConfigured()
    assert isinstance(request.user, User)  # login_required
    # Card setups and purchases per person: each one is a call to Stripe.
    rate = ratelimit.Rate.parse(str(settings.STRIPE_PURCHASE_RATE_LIMIT))
    if not ratelimit.count(f"stripe_purchase:{request.user.pk}", rate).allowed:
        raise TooManyRequests()
    return request.user


def _payment_method_from(request: HttpRequest) -> str:
    body = loads(request.body.decode("utf-8", errors="replace") or "{}")
    payment_method = body.get("payment_method") if isinstance(body, dict) else None
    if not isinstance(payment_method, str) or not payment_method:
        raise Invalid("payment_method: the card's payment method id is required.")
    return payment_method


@require_POST
@login_required
def card_setup(request: HttpRequest) -> JsonResponse:
    try:
        setup = card_setup_start(user=_checked(request))
    except ApplicationError as exc:
        return error_response(exc, request=request)
    except TRANSIENT_STRIPE_ERRORS:
        return error_response(StripeBusy())
    return JsonResponse({"client_secret": setup.client_secret, "publishable_key": setup.publishable_key})


@require_POST
@login_required
def pack_buy(request: HttpRequest, pack_id: int) -> JsonResponse:
    try:
        user = _checked(request)
        pack = pack_for_sale(pack_id)
        started = pack_purchase_start(
            user=user,
            pack=pack,
            payment_method_id=_payment_method_from(request),
            return_url=request.build_absolute_uri(reverse("billing:billing")),
            team_id=pack_buyer_team(acting_membership(request)),  # acting in a team: its wallet, bought by its admins
        )
    except ApplicationError as exc:
        return error_response(exc, request=request)
    except TRANSIENT_STRIPE_ERRORS:
        return error_response(StripeBusy())
    return JsonResponse(
        {
            "payment_intent_id": started.payment_intent_id,
            "status": started.status,
            "client_secret": started.client_secret,
            "result_url": reverse("billing:payment-result", args=[started.payment_intent_id]),
        }
    )


def _result_json(result: PaymentResult) -> dict[str, Any]:
    return {"state": result.state, "message": result.message, "tokens": result.tokens}


@require_GET
@login_required
def payment_result(request: HttpRequest, payment_intent_id: str) -> HttpResponse:
    """ "Waiting for Stripe…", then "Paid: N tokens added" (the page's script asks again when the
    socket says the balance changed), or why it failed. Only for those who may pay for the workspace
    it paid into (a team's owner and admins; one's own): anyone else gets 404."""
    assert isinstance(request.user, User)  # login_required
    if not payments_configured():
        raise Http404()
    membership = acting_membership(request)
    try:
        result = payment_result_for_member(membership=membership, payment_intent_id=payment_intent_id)
    except NotFound:
        raise Http404() from None
    except TRANSIENT_STRIPE_ERRORS:
        # Not yet credited and Stripe unreachable: whose payment it is cannot be checked just now.
        return HttpResponse(StripeBusy.default_message, status=503, content_type="text/plain; charset=utf-8")
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(_result_json(result))
    amount = payment_amount_for_member(membership=membership, payment_intent_id=payment_intent_id)
    return render(request, "billing/payment_result.html", {"result": result, "amount": amount})
