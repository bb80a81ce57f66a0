"""Receipts of our own for every payment: a token pack's PaymentIntent or a plan's paid invoice.

Stripe's customer portal and hosted invoices are not always there (localstripe has neither, and a
pack payment has no invoice at all), so each payment gets a printable page built from our rows.
A payment belongs to the workspace whose wallet it paid into, as the ledger does: each selector
looks it up among the payments of the acting membership's workspace, for those who may see them
(`billing.selectors.may_see_payments`, the policy's: a team's owner and admins; one's own). A
team's purchase is its admins' to see whoever of them paid; anyone else's id is NotFound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse

from billing.models import PackPurchase, SubscriptionInvoice
from billing.money import money
from billing.selectors import pack_purchases_for, subscription_invoices_for
from sage.errors import NotFound
from workspaces.models import Membership

PACK = "pack"
INVOICE = "invoice"


@dataclass(frozen=True)
class Receipt:
    """What a receipt page shows, the same for both kinds of payment."""

    kind: str  # PACK or INVOICE
    number: str  # ours, stable: the kind's letter and the row's id
    email: str
    paid_at: dt.datetime
    item: str
    period_start: dt.datetime | None
    period_end: dt.datetime | None
    amount: str
    currency: str
    stripe_reference_label: str
    stripe_reference: str
    tokens_credited: int
    refunded: str  # "" when nothing was refunded
    tokens_taken_back: int
    tokens_owed: int
    stripe_links: list[tuple[str, str]]


def receipt_url(kind: str, pk: int) -> str:
    return reverse("billing:receipt", kwargs={"kind": kind, "pk": pk})


def pack_purchase_get_for_member(membership: Membership, pk: int) -> PackPurchase:
    try:
        return pack_purchases_for(membership).select_related("pack", "wallet__user", "wallet__workspace").get(pk=pk)
    except PackPurchase.DoesNotExist:
        raise NotFound() from None


def pack_purchase_for_payment_intent(membership: Membership, payment_intent_id: str) -> PackPurchase:
    """The workspace's credited purchase paid by that PaymentIntent (NotFound until the webhook credits it)."""
    try:
        return pack_purchases_for(membership).get(stripe_payment_intent_id=payment_intent_id)
    except PackPurchase.DoesNotExist:
        raise NotFound() from None


def subscription_invoice_get_for_member(membership: Membership, pk: int) -> SubscriptionInvoice:
    try:
        return (
            subscription_invoices_for(membership).select_related("plan", "wallet__user", "wallet__workspace").get(pk=pk)
        )
    except SubscriptionInvoice.DoesNotExist:
        raise NotFound() from None


def pack_receipt(purchase: PackPurchase) -> Receipt:
    name = purchase.pack.name if purchase.pack else "Token pack"
    return Receipt(
        kind=PACK,
        number=f"P-{purchase.pk}",
        email=purchase.wallet.holder,
        paid_at=purchase.created_at,
        item=f"{name}: {purchase.tokens:,} tokens",
        period_start=None,
        period_end=None,
        amount=money(purchase.amount, purchase.currency),
        currency=purchase.currency.upper(),
        stripe_reference_label="Stripe payment",
        stripe_reference=purchase.stripe_payment_intent_id,
        tokens_credited=purchase.tokens,
        refunded=money(purchase.amount_refunded, purchase.currency) if purchase.amount_refunded else "",
        tokens_taken_back=purchase.tokens_taken_back,
        tokens_owed=purchase.tokens_owed,
        stripe_links=[],
    )


def invoice_receipt(invoice: SubscriptionInvoice) -> Receipt:
    name = invoice.plan.name if invoice.plan else "Paid"
    has_period = bool(invoice.period_start and invoice.period_end and invoice.period_start < invoice.period_end)
    return Receipt(
        kind=INVOICE,
        number=f"I-{invoice.pk}",
        email=invoice.wallet.holder,
        paid_at=invoice.paid_at,
        item=f"{name} plan",
        # Stripe's invoice period is the usage period, which for a first subscription invoice is one
        # instant: shown only when it spans time (what it covers is in the line items, not stored).
        period_start=invoice.period_start if has_period else None,
        period_end=invoice.period_end if has_period else None,
        amount=money(invoice.amount_paid, invoice.currency),
        currency=invoice.currency.upper(),
        stripe_reference_label="Stripe invoice",
        stripe_reference=invoice.stripe_invoice_id,
        tokens_credited=invoice.tokens_granted,
        # Plan refunds are not recorded on our rows (no handler takes tokens back for them).
        refunded="",
        tokens_taken_back=0,
        tokens_owed=0,
        stripe_links=[
            (label, url)
            for label, url in (("Stripe's invoice", invoice.hosted_invoice_url), ("PDF", invoice.invoice_pdf))
            if url
        ],
    )


def receipt_for_member(membership: Membership, *, kind: str, pk: int) -> Receipt:
    """The receipt of one of the workspace's payments; NotFound for an unknown kind or id, another
    workspace's, or a member who may not pay for this one."""
    if kind == PACK:
        return pack_receipt(pack_purchase_get_for_member(membership, pk))
    if kind == INVOICE:
        return invoice_receipt(subscription_invoice_get_for_member(membership, pk))
    raise NotFound()
