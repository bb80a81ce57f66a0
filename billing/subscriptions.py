"""Paid plans as Stripe subscriptions: start, switch, cancel and resume them; follow Stripe's events.

Tokens come with payments: each paid invoice of a subscription grants its plan's monthly tokens once,
keyed by the invoice id (`invoice.paid` and `invoice.payment_succeeded` report the same payment and
credit it once). The calendar grant (billing.ledger) skips wallets on a live subscription.

Stripe promises no order for events, so a subscription event is never applied from its own body: the
subscription is fetched again from Stripe (as Stripe's guide recommends) under a lock per subscription,
so the state applied last is the one fetched last, and a stale `customer.subscription.updated` cannot
undo a newer state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stripe
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from billing.ledger import ledger_grant, wallet_create
from billing.models import Plan, PlanSubscription, SubscriptionInvoice, Wallet
from billing.stripe_client import (
    PLAN_METADATA_KEY,
    USER_METADATA_KEY,
    PaymentRefused,
    payment_failure_reason,
    payment_method_attach_checked,
    stripe_client,
    stripe_customer_for,
    stripe_object,
    stripe_ref_id,
)
from billing.wallets import default_plan, wallet_change_plan, wallet_locked
from sage.errors import ApplicationError

# Statuses in which the person no longer has the plan.
ENDED_STATUSES = (
    PlanSubscription.Status.CANCELED,
    PlanSubscription.Status.UNPAID,
    PlanSubscription.Status.INCOMPLETE_EXPIRED,
)


class SubscriptionRefused(ApplicationError):
    code = "subscription_refused"
    status = 409
    default_message = "That cannot be done with your plan as it stands."


class SubscriptionMismatch(Exception):
    """A Stripe subscription or invoice SAGE cannot place (unknown person or price): kept on the event
    for an operator, who can fix the row and re-process it."""


@dataclass(frozen=True)
class SubscriptionStart:
    subscription: PlanSubscription
    # Set when the first payment needs the person (3-D Secure): the browser confirms it with stripe.js.
    client_secret: str | None

    @property
    def status(self) -> str:
        return self.subscription.status


# --- helpers -------------------------------------------------------------------------------------


def _price_params(plan: Plan) -> Any:  # a subscription item's params (the SDK's TypedDicts)
    # A recurring Price (price_…) or a legacy Plan (plan_…): Stripe takes either; localstripe only Plans.
    key = "price" if plan.stripe_price_id.startswith("price_") else "plan"
    return {key: plan.stripe_price_id}


def _line_price_id(line: Mapping[str, Any]) -> str:
    """The price (or plan) id of a subscription item or invoice line, across API versions."""
    for key in ("price", "plan"):
        if found := stripe_ref_id(line.get(key)):
            return found
    pricing = line.get("pricing")
    details = pricing.get("price_details") if isinstance(pricing, Mapping) else None
    return stripe_ref_id(details.get("price")) if isinstance(details, Mapping) else ""


def _plan_for_line(line: Mapping[str, Any]) -> Plan | None:
    """The plan a subscription item or invoice line is billed for: the plan sold at its price now,
    else the plan its price's metadata names (a price the catalogue replaced by a new amount, which
    subscriptions made before keep: billing.catalogue)."""
    price_id = _line_price_id(line)
    if price_id and (plan := Plan.objects.filter(stripe_price_id=price_id).first()) is not None:
        return plan
    for key in ("price", "plan"):
        price = line.get(key)
        metadata = price.get("metadata") if isinstance(price, Mapping) else None
        if isinstance(metadata, Mapping) and (slug := metadata.get(PLAN_METADATA_KEY)):
            return Plan.objects.filter(slug=str(slug)).first()
    return None


def _timestamp(value: object) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, tz=dt.UTC) if isinstance(value, int) and value > 0 else None


def _items(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = obj.get("items") or obj.get("lines") or {}
    data = items.get("data") if isinstance(items, Mapping) else None
    return [item for item in data or [] if isinstance(item, Mapping)]


def open_subscription_for(wallet: Wallet) -> PlanSubscription | None:
    """The wallet's subscription that is paying (or about to pay) for a plan, if any."""
    return (
        PlanSubscription.objects.select_related("plan")
        .filter(wallet=wallet, status__in=PlanSubscription.OPEN_STATUSES)
        .first()
    )


def _live_subscription_of(user: User) -> PlanSubscription:
    subscription = open_subscription_for(wallet_create(user=user))
    if subscription is None or not subscription.is_live:
        raise SubscriptionRefused("You have no paid plan to change.")
    return subscription


# --- what the person does ----------------------------------------------------------------------


def subscription_start(*, user: User, plan: Plan, payment_method_id: str) -> SubscriptionStart:
    """Subscribe to `plan`, paid by `payment_method_id`: a card stripe.js made into a payment method,
    neither saved nor authenticated yet (or one already saved to this person's customer).

    The card is attached to the customer and made its default for invoices, unasked; the first
    invoice's payment is where a 3-D Secure card authenticates, once, in the browser (its client
    secret is returned). Saving it through a SetupIntent first would ask a second time. A card Stripe
    declines, when attached or when the first invoice is charged, raises PaymentRefused and leaves
    nothing behind: no subscription, no plan, and the customer's default card as it was."""
    if not plan.stripe_price_id:
        raise SubscriptionRefused(f"The {plan.name} plan is not sold through Stripe.")
    if not payment_method_id.startswith("pm_"):
        raise SubscriptionRefused("That is not a card.")
    client = stripe_client()
    customer_id = stripe_customer_for(user)
    with transaction.atomic():
        # One subscription at a time: the wallet's lock makes a double click wait, then refuse.
        wallet = wallet_locked(user_id=user.pk)
        if open_subscription_for(wallet) is not None:
            raise SubscriptionRefused("You already have a paid plan: switch or cancel it instead.")
        # Refuses another customer's card; attaches a new one (a declined card raises PaymentRefused
        # here, before anything is made).
        payment_method_attach_checked(client, customer_id=customer_id, payment_method_id=payment_method_id)
        previous_default = _make_default_card(client, customer_id=customer_id, payment_method_id=payment_method_id)
        created = client.v1.subscriptions.create(
            params={
                "customer": customer_id,
                "items": [_price_params(plan)],
                "metadata": {USER_METADATA_KEY: str(user.pk), PLAN_METADATA_KEY: plan.slug},
                # The first invoice is charged now; a card asking for 3-D Secure leaves the
                # subscription `incomplete` with its PaymentIntent for the browser to confirm.
                # (`default_incomplete`, which leaves every first payment to the browser, is not
                # known to localstripe, the fake Stripe of the tests.)
                "payment_behavior": "allow_incomplete",
                "expand": ["latest_invoice.payment_intent"],
            },
            # A second click with the same card (or an SDK retry) gets the same subscription back.
            options={"idempotency_key": f"sage-subscribe-{user.pk}-{plan.slug}-{payment_method_id}"},
        ).to_dict()
        intent = _first_payment_intent(created)
        if intent.get("status") == "requires_payment_method":  # the first payment was declined
            _declined_start_undone(
                client, subscription_id=str(created["id"]), customer_id=customer_id, previous_default=previous_default
            )
            declined = payment_failure_reason(dict(intent), "Your card was declined.")
            raise PaymentRefused(f"{declined} Nothing was charged; try another card.")
        subscription = _subscription_apply(created, wallet=wallet)
    client_secret = None
    if intent.get("status") in ("requires_action", "requires_confirmation"):
        client_secret = str(intent.get("client_secret") or "") or None
    return SubscriptionStart(subscription=subscription, client_secret=client_secret)


def _make_default_card(client: stripe.StripeClient, *, customer_id: str, payment_method_id: str) -> str:
    """Make the card the customer's default for invoices (the subscription's are paid with it);
    returns the default it replaced ("" for none), to put back if the first payment is declined."""
    customer = client.v1.customers.retrieve(customer_id).to_dict()
    settings = customer.get("invoice_settings")
    previous = stripe_ref_id(settings.get("default_payment_method")) if isinstance(settings, Mapping) else ""
    client.v1.customers.update(customer_id, params={"invoice_settings": {"default_payment_method": payment_method_id}})
    return previous


def _first_payment_intent(subscription: Mapping[str, Any]) -> Mapping[str, Any]:
    invoice = subscription.get("latest_invoice")
    intent = invoice.get("payment_intent") if isinstance(invoice, Mapping) else None
    return intent if isinstance(intent, Mapping) else {}


def _declined_start_undone(
    client: stripe.StripeClient, *, subscription_id: str, customer_id: str, previous_default: str
) -> None:
    """Stripe keeps a subscription whose first payment was declined, `incomplete`, for 23 hours:
    it is cancelled now (its open invoice with it), and the declined card stops being the
    customer's default, so a later invoice is never charged to it."""
    client.v1.subscriptions.cancel(subscription_id)
    client.v1.customers.update(customer_id, params={"invoice_settings": {"default_payment_method": previous_default}})


def subscription_change(*, user: User, plan: Plan) -> PlanSubscription:
    """Move the person's subscription to another paid plan.

    Upgrades use `proration_behavior="always_invoice"`: Stripe invoices the prorated difference at
    once and charges it, so the better plan is paid for before it is used (and that invoice grants the
    difference in monthly tokens). Downgrades use `"none"`: no credit for the unused part of this
    period, whose tokens were granted in full and are kept; the lower price applies from the next
    renewal. (Stripe's default, `create_prorations`, would carry the difference to the next invoice,
    leaving an upgrade unpaid until then.)"""
    if not plan.stripe_price_id:
        raise SubscriptionRefused(f"The {plan.name} plan is not sold through Stripe.")
    subscription = _live_subscription_of(user)
    if subscription.plan_id == plan.pk:
        raise SubscriptionRefused(f"You are already on the {plan.name} plan.")
    client = stripe_client()
    current = client.v1.subscriptions.retrieve(subscription.stripe_subscription_id).to_dict()
    items = _items(current)
    if not items:
        raise SubscriptionMismatch(f"{subscription.stripe_subscription_id} has no item.")
    upgrade = subscription.plan is None or plan.price_cents > subscription.plan.price_cents
    params: Any = {
        "items": [{"id": str(items[0]["id"]), **_price_params(plan)}],
        "proration_behavior": "always_invoice" if upgrade else "none",
        "metadata": {PLAN_METADATA_KEY: plan.slug},
    }
    # No idempotency key of our own: Pro → Team → Pro → Team within a day would replay the first
    # switch's answer. A double click is harmless: moving an item to the price it has changes nothing.
    client.v1.subscriptions.update(subscription.stripe_subscription_id, params=params)
    return _synced(subscription)


def subscription_cancel(*, user: User) -> PlanSubscription:
    """Cancel at the end of the paid period: the plan stays until then (Stripe then deletes it)."""
    subscription = _live_subscription_of(user)
    stripe_client().v1.subscriptions.update(subscription.stripe_subscription_id, params={"cancel_at_period_end": True})
    return _synced(subscription)


def subscription_resume(*, user: User) -> PlanSubscription:
    """Undo a pending cancellation before the period ends."""
    subscription = _live_subscription_of(user)
    if not subscription.cancel_at_period_end:
        raise SubscriptionRefused("Your plan is not being cancelled.")
    stripe_client().v1.subscriptions.update(subscription.stripe_subscription_id, params={"cancel_at_period_end": False})
    return _synced(subscription)


def _synced(subscription: PlanSubscription) -> PlanSubscription:
    # The page shows the change at once; the webhook that follows re-fetches and changes nothing more.
    return subscription_sync(subscription_id=subscription.stripe_subscription_id) or subscription


# --- following Stripe --------------------------------------------------------------------------


def subscription_sync(*, subscription_id: str) -> PlanSubscription | None:
    """Apply Stripe's current state of a subscription (fetched now, never from an event's body)."""
    with transaction.atomic():
        # One sync of a subscription at a time, the fetch made inside the lock: whichever commits
        # last fetched last, so an older state never lands over a newer one.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"stripe-subscription:{subscription_id}"])
        current = stripe_client().v1.subscriptions.retrieve(subscription_id).to_dict()
        return _subscription_apply(current)


def _wallet_of_subscription(obj: Mapping[str, Any]) -> Wallet:
    if (row := PlanSubscription.objects.filter(stripe_subscription_id=str(obj["id"])).first()) is not None:
        return Wallet.objects.get(pk=row.wallet_id)
    user_id = str((obj.get("metadata") or {}).get(USER_METADATA_KEY, ""))
    if user_id.isdigit() and (user := User.objects.filter(pk=int(user_id)).first()) is not None:
        return wallet_create(user=user)
    customer_id = stripe_ref_id(obj.get("customer"))
    if customer_id and (wallet := Wallet.objects.filter(stripe_customer_id=customer_id).first()) is not None:
        return wallet
    raise SubscriptionMismatch(f"No account for subscription {obj.get('id')!r} (customer {customer_id!r}).")


def _subscription_apply(obj: Mapping[str, Any], *, wallet: Wallet | None = None) -> PlanSubscription:
    """Store Stripe's state of a subscription and give the wallet the plan it pays for (or take it away)."""
    wallet = wallet or _wallet_of_subscription(obj)
    items = _items(obj)
    plan = _plan_for_line(items[0]) if items else None
    if plan is None:
        price_id = _line_price_id(items[0]) if items else ""
        raise SubscriptionMismatch(f"No plan sold at {price_id!r} (subscription {obj.get('id')!r}).")
    period_end = obj.get("current_period_end") or (items[0].get("current_period_end") if items else None)
    subscription, _ = PlanSubscription.objects.update_or_create(
        stripe_subscription_id=str(obj["id"]),
        defaults={
            "wallet": wallet,
            "plan": plan,
            "status": str(obj.get("status") or PlanSubscription.Status.INCOMPLETE),
            "current_period_end": _timestamp(period_end),
            "cancel_at_period_end": bool(obj.get("cancel_at_period_end")),
        },
    )
    wallet = Wallet.objects.select_related("plan").get(pk=wallet.pk)
    if subscription.is_live:
        if wallet.plan_id != plan.pk:
            wallet_change_plan(wallet=wallet, plan=plan)
    elif subscription.status in ENDED_STATUSES:
        still_paid = (
            PlanSubscription.objects.filter(wallet=wallet, status__in=PlanSubscription.LIVE_STATUSES)
            .exclude(pk=subscription.pk)
            .exists()
        )
        if not still_paid and wallet.plan_id == plan.pk:
            wallet_change_plan(wallet=wallet, plan=default_plan())
    return subscription


def _invoice_subscription_id(invoice: Mapping[str, Any]) -> str:
    if found := stripe_ref_id(invoice.get("subscription")):
        return found
    parent = invoice.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, Mapping) else None
    return stripe_ref_id(details.get("subscription")) if isinstance(details, Mapping) else ""


def _invoice_grant(invoice: Mapping[str, Any]) -> tuple[Plan | None, int]:
    """The plan an invoice pays for and the tokens it grants.

    A period's invoice (a line for the plan's price, not a proration) grants the plan's monthly
    tokens. An upgrade's proration invoice (only prorated lines: the unused old plan credited, the new
    plan charged) grants the difference between the two plans' monthly tokens."""
    full, charged, credited = None, None, None
    for line in _items(invoice):
        plan = _plan_for_line(line)
        if plan is None:
            continue
        amount = int(line.get("amount") or 0)
        if not line.get("proration") and amount > 0:
            if full is None or plan.monthly_tokens > full.monthly_tokens:
                full = plan
        elif amount > 0:
            charged = plan
        elif amount < 0:
            credited = plan
    if full is not None:
        return full, full.monthly_tokens
    if charged is not None:
        return charged, max(charged.monthly_tokens - (credited.monthly_tokens if credited else 0), 0)
    return None, 0


def _invoice_service_period(invoice: Mapping[str, Any]) -> tuple[Any, Any]:
    """The period the plan is paid for: its line's `period`. (The invoice's own `period_start`/`_end`
    is Stripe's usage period, which looks back: on a first invoice both are the moment it was made.)"""
    for line in _items(invoice):
        period = line.get("period")
        paid_for = not line.get("proration") or line.get("amount", 0) > 0  # not an unused-time credit
        if paid_for and isinstance(period, Mapping) and _plan_for_line(line) is not None:
            return period.get("start"), period.get("end")
    return invoice.get("period_start"), invoice.get("period_end")


@transaction.atomic
def subscription_invoice_credit(*, invoice: Mapping[str, Any], wallet: Wallet) -> SubscriptionInvoice:
    """Record a paid invoice and grant its tokens, once per invoice however many events report it."""
    invoice_id = str(invoice["id"])
    if (found := SubscriptionInvoice.objects.filter(stripe_invoice_id=invoice_id).first()) is not None:
        return found
    plan, tokens = _invoice_grant(invoice)
    period_start, period_end = _invoice_service_period(invoice)
    transitions = invoice.get("status_transitions")
    paid_at = _timestamp(transitions.get("paid_at")) if isinstance(transitions, Mapping) else None
    # Two deliveries at once: the second INSERT waits on the unique index for the first to commit,
    # then finds its row (with its grant, committed with it) and grants nothing.
    record, created = SubscriptionInvoice.objects.get_or_create(
        stripe_invoice_id=invoice_id,
        defaults={
            "wallet": wallet,
            "stripe_subscription_id": _invoice_subscription_id(invoice),
            "plan": plan,
            "amount_paid": int(invoice.get("amount_paid") or 0),
            "currency": str(invoice.get("currency") or "").lower()[:3],
            "period_start": _timestamp(period_start),
            "period_end": _timestamp(period_end),
            "tokens_granted": tokens,
            "hosted_invoice_url": str(invoice.get("hosted_invoice_url") or "")[:1000],
            "invoice_pdf": str(invoice.get("invoice_pdf") or "")[:1000],
            "paid_at": paid_at or timezone.now(),
        },
    )
    if created and tokens > 0 and plan is not None:
        ledger_grant(
            wallet_id=wallet.pk,
            amount=tokens,
            key=f"stripe:invoice:{invoice_id}",
            memo=f"{plan.name} plan: tokens for a paid period",
            ref=record,
        )
    return record


# --- event handlers (registered in billing.stripe_events) -------------------------------------------


def _on_invoice_paid(event_invoice: Mapping[str, Any]) -> None:
    if not _invoice_subscription_id(event_invoice) or event_invoice.get("status") != "paid":
        return  # not a plan's invoice (SAGE sells nothing else by invoice), or not paid: no proof needed
    # The event's body only says which invoice to look at: what it paid for and whether it was paid
    # are read from Stripe's own copy (a signed body proves who sent it, not that anything was paid).
    invoice = _paid_invoice_on_stripe(stripe_ref_id(event_invoice))
    subscription_id = _invoice_subscription_id(invoice)
    if not subscription_id:
        raise SubscriptionMismatch(f"Stripe's invoice {invoice.get('id')!r} belongs to no subscription.")
    # The invoice often comes before the subscription's own events: sync it first, so the person
    # has the plan the invoice pays for and the wallet is known.
    subscription = subscription_sync(subscription_id=subscription_id)
    wallet = Wallet.objects.get(pk=subscription.wallet_id) if subscription is not None else None
    if wallet is None:
        raise SubscriptionMismatch(f"No account for invoice {invoice.get('id')!r}.")
    subscription_invoice_credit(invoice=invoice, wallet=wallet)


def _paid_invoice_on_stripe(invoice_id: str) -> Mapping[str, Any]:
    """Stripe's copy of the invoice; SubscriptionMismatch unless it exists and is paid."""
    if not invoice_id:
        raise SubscriptionMismatch("An invoice event without an invoice id.")
    invoice = stripe_object(stripe_client().v1.invoices, invoice_id, named="invoice", refuse=SubscriptionMismatch)
    if invoice.get("status") != "paid":
        raise SubscriptionMismatch(f"Stripe says invoice {invoice_id} is {invoice.get('status')!r}, not paid.")
    return invoice


def _on_subscription_event(obj: Mapping[str, Any]) -> None:
    if subscription_id := stripe_ref_id(obj):
        subscription_sync(subscription_id=subscription_id)


SUBSCRIPTION_EVENT_HANDLERS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_succeeded": _on_invoice_paid,
    "customer.subscription.created": _on_subscription_event,
    "customer.subscription.updated": _on_subscription_event,
    "customer.subscription.deleted": _on_subscription_event,
}
