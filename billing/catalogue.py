"""The catalogue in Stripe: a Product and a Price for every paid plan and every token pack on sale,
made or brought up to date from SAGE's rows (`manage.py stripe_catalogue`, run by `make run` when
payments are configured), so a fresh site sells without anyone making prices by hand.

Each Price is found by its lookup key (`sage_plan_<slug>_monthly`, `sage_pack_<id>`), never by an
id kept somewhere else, so running it again on the same account finds what it made and changes
nothing. A Price's amount cannot change once made (Stripe's rule): when a row's amount, currency or
product differs from the Price holding its key, a new Price is made with `transfer_lookup_key` (the
key moves to it in the same call) and the old one is archived (`active=false`): new purchases use the
new amount, while subscriptions already on the old Price keep it until they change (Stripe's advice
for a price change), and their events still name the plan through the Price's metadata
(`billing.subscriptions`). Products are made with ids of their own (`sage_plan_<slug>`,
`sage_pack_<id>`), found the same way. What the site needs is stored on its rows: a plan's
`stripe_price_id` (what a subscription is billed at), a pack's `stripe_product_id` and
`stripe_price_id` (a pack is charged its row's amount by a PaymentIntent; its Price is what the
account's dashboard and reports show it as)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from django.db import transaction

from billing.models import Plan, TokenPack
from billing.money import money
from billing.stripe_client import PACK_METADATA_KEY, PLAN_METADATA_KEY, stripe_client, stripe_ref_id

# The packs a site without any starts with (the admin edits them; a site that has packs keeps its own).
DEFAULT_PACKS: list[dict[str, Any]] = [
    {"name": "1 hour", "tokens": 3_600, "amount": 499, "currency": "usd"},
    {"name": "10 hours", "tokens": 36_000, "amount": 3_900, "currency": "usd"},
    {"name": "50 hours", "tokens": 180_000, "amount": 14_900, "currency": "usd"},
]


@dataclass(frozen=True)
class CatalogueLine:
    """What the sync did for one plan or pack: `action` is "created" (its first Price), "moved" (a
    new Price took the lookup key from one of another amount) or "unchanged"."""

    what: str  # "Plan Team", "Pack 10 hours"
    lookup_key: str
    price_id: str
    amount: str  # as people read it: "$79.00 / month"
    action: str


@dataclass(frozen=True)
class _Item:
    what: str
    product_id: str
    product_name: str
    lookup_key: str
    amount: int
    currency: str
    monthly: bool
    metadata: dict[str, str]


def default_packs_ensure() -> int:
    """Make the default packs when the site has no pack at all (none on sale, none retired); returns
    how many were made."""
    with transaction.atomic():
        if TokenPack.objects.select_for_update().exists():
            return 0
        for order, pack in enumerate(DEFAULT_PACKS):
            TokenPack.objects.create(**pack, sort_order=order)
        return len(DEFAULT_PACKS)


def catalogue_sync() -> list[CatalogueLine]:
    """Bring Stripe's catalogue in line with the paid plans and the packs on sale, and store the
    Price ids on their rows; idempotent (see the module doc). Raises PaymentsNotConfigured without
    Stripe keys, and Stripe's errors as they come (nothing is half-stored: each row is saved after
    its Price exists)."""
    client = stripe_client()
    default_packs_ensure()
    lines: list[CatalogueLine] = []
    for plan in Plan.objects.filter(price_cents__gt=0):
        line = _sync_item(client, _plan_item(plan))
        if plan.stripe_price_id != line.price_id:
            plan.stripe_price_id = line.price_id
            plan.save(update_fields=["stripe_price_id"])
        lines.append(line)
    for pack in TokenPack.objects.filter(is_active=True):
        item = _pack_item(pack)
        line = _sync_item(client, item)
        if (pack.stripe_price_id, pack.stripe_product_id) != (line.price_id, item.product_id):
            pack.stripe_price_id, pack.stripe_product_id = line.price_id, item.product_id
            pack.save(update_fields=["stripe_price_id", "stripe_product_id"])
        lines.append(line)
    return lines


def _plan_item(plan: Plan) -> _Item:
    return _Item(
        what=f"Plan {plan.name}",
        product_id=f"sage_plan_{plan.slug}",
        product_name=f"SAGE {plan.name} plan",
        lookup_key=f"sage_plan_{plan.slug}_monthly",
        amount=plan.price_cents,
        currency=plan.currency,
        monthly=True,
        metadata={PLAN_METADATA_KEY: plan.slug},
    )


def _pack_item(pack: TokenPack) -> _Item:
    return _Item(
        what=f"Pack {pack.name}",
        product_id=f"sage_pack_{pack.pk}",
        product_name=f"SAGE tokens: {pack.name} ({pack.tokens:,} tokens)",
        lookup_key=f"sage_pack_{pack.pk}",
        amount=pack.amount,
        currency=pack.currency,
        monthly=False,
        metadata={PACK_METADATA_KEY: str(pack.pk)},
    )


def _sync_item(client: stripe.StripeClient, item: _Item) -> CatalogueLine:
    _product_ensure(client, item)
    found = client.v1.prices.list(params={"lookup_keys": [item.lookup_key], "limit": 1}).data
    current = found[0].to_dict() if found else None
    shown = money(item.amount, item.currency) + (" / month" if item.monthly else "")
    if current is not None and _matches(current, item):
        return CatalogueLine(item.what, item.lookup_key, str(current["id"]), shown, "unchanged")
    params: dict[str, Any] = {
        "product": item.product_id,
        "unit_amount": item.amount,
        "currency": item.currency,
        "lookup_key": item.lookup_key,
        "transfer_lookup_key": True,  # the key leaves the old Price in the same call
        "metadata": item.metadata,
    }
    if item.monthly:
        params["recurring"] = {"interval": "month"}
    made = client.v1.prices.create(params=params)  # type: ignore[arg-type]
    if current is not None and current.get("active"):
        # No new purchase at the old amount; subscriptions on it go on (Stripe's rule for archived prices).
        client.v1.prices.update(str(current["id"]), params={"active": False})
    return CatalogueLine(item.what, item.lookup_key, str(made.id), shown, "moved" if current else "created")


def _matches(price: dict[str, Any], item: _Item) -> bool:
    recurring = price.get("recurring") or {}
    return (
        price.get("active") is True
        and price.get("unit_amount") == item.amount
        and str(price.get("currency")) == item.currency
        and stripe_ref_id(price.get("product")) == item.product_id
        and (recurring.get("interval") == "month") == item.monthly
        and (not item.monthly or recurring.get("interval_count", 1) == 1)
    )


def _product_ensure(client: stripe.StripeClient, item: _Item) -> None:
    """The item's Product, by the id SAGE gives it: made the first time, renamed and made active
    again when its row says otherwise."""
    try:
        product = client.v1.products.retrieve(item.product_id).to_dict()
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
        client.v1.products.create(params={"id": item.product_id, "name": item.product_name, "metadata": item.metadata})
        return
    if product.get("name") != item.product_name or product.get("active") is not True:
        client.v1.products.update(item.product_id, params={"name": item.product_name, "active": True})
