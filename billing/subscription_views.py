"""Self-service for paid plans: subscribe, switch, cancel and resume (JSON, for the plans section's
script), and `/billing/invoices/`, the acting workspace's paid invoices and pack payments.

Every plan endpoint acts on the signed-in person's own subscription only; there is no id to guess.
Payments are the workspace's whose wallet they paid into (billing.receipts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from billing.models import Plan, PlanSubscription, Wallet
from billing.money import money
from billing.receipts import INVOICE, PACK, receipt_url
from billing.selectors import pack_purchases_for, subscription_invoices_for, wallet_for_user
from billing.subscriptions import (
    open_subscription_for,
    subscription_cancel,
    subscription_change,
    subscription_resume,
    subscription_start,
)
from sage.api.errors import error_response
from sage.errors import ApplicationError, Invalid, NotSignedIn
from workspaces.current import acting_membership
from workspaces.models import Membership
from workspaces.policy import require


def plan_price(plan: Plan) -> str:
    """What a plan costs a month, in its own currency ("Free" for nothing)."""
    return "Free" if plan.price_cents == 0 else f"{money(plan.price_cents, plan.currency)} / month"


@dataclass(frozen=True)
class PaymentRow:
    """One payment of the history: a plan's paid invoice or a token pack."""

    when: Any
    what: str
    amount: str
    tokens: int
    refunded: str
    links: list[tuple[str, str]]


def payment_rows_for(membership: Membership, *, limit: int | None = None) -> list[PaymentRow]:
    """The payments of `membership`'s workspace, newest first: none for a member who may not pay for it."""
    invoices = subscription_invoices_for(membership).select_related("plan").order_by("-paid_at")
    packs = pack_purchases_for(membership).select_related("pack").order_by("-created_at")
    if limit is not None:
        invoices, packs = invoices[:limit], packs[:limit]
    rows = [
        PaymentRow(
            when=invoice.paid_at,
            what=f"{invoice.plan.name if invoice.plan else 'Plan'} plan",
            amount=money(invoice.amount_paid, invoice.currency),
            tokens=invoice.tokens_granted,
            refunded="",
            links=[
                ("Receipt", receipt_url(INVOICE, invoice.pk)),
                *(
                    (label, url)
                    for label, url in (("Invoice", invoice.hosted_invoice_url), ("PDF", invoice.invoice_pdf))
                    if url
                ),
            ],
        )
        for invoice in invoices
    ]
    rows += [
        PaymentRow(
            when=purchase.created_at,
            what=purchase.pack.name if purchase.pack else "Token pack",
            amount=money(purchase.amount, purchase.currency),
            tokens=purchase.tokens,
            refunded=money(purchase.amount_refunded, purchase.currency) if purchase.amount_refunded else "",
            links=[("Receipt", receipt_url(PACK, purchase.pk))],
        )
        for purchase in packs
    ]
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows[:limit] if limit is not None else rows


@require_GET
@login_required
def invoices_page(request: HttpRequest) -> HttpResponse:
    """The acting workspace's payments, for its owner and admins (others: 403 saying so). The plan's
    subscription is a person's own: shown in their own workspace."""
    user = request.user
    assert isinstance(user, User)  # login_required
    membership = acting_membership(request)
    require(membership.actor(), "workspace.billing_detail", workspace_id=membership.workspace_id)
    personal = membership.workspace_id == user.personal_workspace_id
    return render(
        request,
        "billing/invoices.html",
        {
            "payments": payment_rows_for(membership),
            "subscription": open_subscription_for(wallet_for_user(user)) if personal else None,
            "team": None if personal else membership.workspace,
        },
    )


# --- JSON endpoints --------------------------------------------------------------------------------


def _signed_in(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _answer(subscription: PlanSubscription, *, client_secret: str | None = None) -> JsonResponse:
    body: dict[str, Any] = {
        "status": subscription.status,
        "plan": subscription.plan.slug if subscription.plan else None,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "result_url": reverse("billing:billing") + "#plans",
    }
    if client_secret:
        body["client_secret"] = client_secret
    return JsonResponse(body)


@require_POST
def plan_subscribe(request: HttpRequest, slug: str) -> HttpResponse:
    """`{payment_method}` (the card, made a payment method by stripe.js) → `{status, result_url,
    client_secret?}`; the client secret is the first payment's, to authenticate (3-D Secure) once.
    A declined card answers 402 with Stripe's reason, and nothing is subscribed."""
    if (user := _signed_in(request)) is None:
        return error_response(NotSignedIn())
    plan = get_object_or_404(Plan, slug=slug)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    method = body.get("payment_method") if isinstance(body, dict) else None
    if not isinstance(method, str) or not method:
        return error_response(Invalid("payment_method is required."))
    try:
        started = subscription_start(user=user, plan=plan, payment_method_id=method)
    except ApplicationError as exc:
        return error_response(exc, request=request)
    return _answer(started.subscription, client_secret=started.client_secret)


@require_POST
def plan_switch(request: HttpRequest, slug: str) -> HttpResponse:
    if (user := _signed_in(request)) is None:
        return error_response(NotSignedIn())
    plan = get_object_or_404(Plan, slug=slug)
    try:
        return _answer(subscription_change(user=user, plan=plan))
    except ApplicationError as exc:
        return error_response(exc, request=request)


@require_POST
def plan_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    if (user := _signed_in(request)) is None:
        return error_response(NotSignedIn())
    try:
        return _answer(subscription_cancel(user=user))
    except ApplicationError as exc:
        return error_response(exc, request=request)


@require_POST
def plan_resume(request: HttpRequest, slug: str) -> HttpResponse:
    if (user := _signed_in(request)) is None:
        return error_response(NotSignedIn())
    try:
        return _answer(subscription_resume(user=user))
    except ApplicationError as exc:
        return error_response(exc, request=request)


def plans_state_for(wallet: Wallet) -> PlanSubscription | None:
    """The subscription the plans section shows (a pending cancellation, the renewal date)."""
    return open_subscription_for(wallet)
