"""`/billing/receipts/<kind>/<id>/`: a printable receipt for one of the acting workspace's payments
(billing.receipts says who sees which)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.models import User
from billing.receipts import PACK, pack_purchase_for_payment_intent, receipt_for_member, receipt_url
from sage.errors import NotFound
from workspaces.current import acting_membership


@require_GET
@login_required
def receipt_page(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    assert isinstance(request.user, User)  # login_required
    try:
        receipt = receipt_for_member(acting_membership(request), kind=kind, pk=pk)
    except NotFound:
        raise Http404() from None
    return render(request, "billing/receipt.html", {"receipt": receipt})


@require_GET
@login_required
def pack_receipt_for_payment(request: HttpRequest, payment_intent_id: str) -> HttpResponse:
    """From a pack payment's result page (which knows only the PaymentIntent) to its receipt."""
    assert isinstance(request.user, User)  # login_required
    try:
        purchase = pack_purchase_for_payment_intent(acting_membership(request), payment_intent_id)
    except NotFound:
        raise Http404() from None
    return redirect(receipt_url(PACK, purchase.pk))
