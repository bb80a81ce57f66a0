"""Prices for localstripe, which has none (adrienverge/localstripe#204), as Stripe documents them:
created for a Product, one-time or recurring, their amount fixed once made; a `lookup_key` unique
across the account (another Price asking for one in use is refused with Stripe's message, unless it
sets `transfer_lookup_key`, which takes the key from the Price holding it); listed by `lookup_keys[]`,
`active`, `product` and `type`; only `active`, `metadata`, `nickname` and `lookup_key` updatable.

A recurring Price is also made a localstripe Plan of the same id, and subscription items naming a
`price` are read as naming that plan: Stripe takes a price wherever it took a plan, localstripe only
plans. Loaded into the localstripe process that tests.servers starts (not imported by the suite)."""

from __future__ import annotations

from typing import Any

from localstripe import resources
from localstripe.errors import UserError
from localstripe.server import api_create, api_list_all, api_retrieve, api_update, app

_UPDATABLE = {"active", "metadata", "nickname", "lookup_key", "transfer_lookup_key"}


def _as_list(value: Any) -> list[Any]:
    """A list parameter as localstripe's form parser leaves it (`a[]=…` a list, `a[0]=…` a dict)."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value[key] for key in sorted(value, key=lambda key: int(key) if str(key).isdigit() else 0)]
    return value if isinstance(value, list) else [value]


def _holder_of(lookup_key: str) -> Price | None:
    for key, value in resources.store.items():
        if key.startswith("price:") and value.lookup_key == lookup_key:
            return value
    return None


def _take_key(lookup_key: str | None, transfer: Any, *, taker_id: str | None = None) -> None:
    """Refuse a key in use (Stripe's message), or take it from its holder when asked to transfer."""
    if not lookup_key:
        return
    holder = _holder_of(lookup_key)
    if holder is None or holder.id == taker_id:
        return
    if resources.try_convert_to_bool(transfer) is not True:
        raise UserError(400, f"A price (`{holder.id}`) already uses that lookup key.")
    holder.lookup_key = None


class Price(resources.StripeObject):
    object = "price"
    _id_prefix = "price_"

    def __init__(
        self,
        product: str | None = None,
        currency: str | None = None,
        unit_amount: Any = None,
        recurring: dict[str, Any] | None = None,
        lookup_key: str | None = None,
        transfer_lookup_key: Any = False,
        metadata: dict[str, Any] | None = None,
        nickname: str | None = None,
        active: Any = True,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        unit_amount = resources.try_convert_to_int(unit_amount)
        active = resources.try_convert_to_bool(active)
        if not (isinstance(unit_amount, int) and unit_amount >= 0 and isinstance(currency, str) and currency):
            raise UserError(400, "Bad request")
        if recurring is not None and recurring.get("interval") not in ("day", "week", "month", "year"):
            raise UserError(400, "Bad request")
        resources.Product._api_retrieve(product)  # 404 for a product that does not exist
        _take_key(lookup_key, transfer_lookup_key)
        super().__init__()
        self.product = product
        self.currency = currency
        self.unit_amount = unit_amount
        self.unit_amount_decimal = str(unit_amount)
        self.type = "recurring" if recurring else "one_time"
        interval_count = resources.try_convert_to_int((recurring or {}).get("interval_count", 1))
        self.recurring = (
            {"interval": recurring["interval"], "interval_count": interval_count, "usage_type": "licensed"}
            if recurring
            else None
        )
        self.lookup_key = lookup_key or None
        self.metadata = metadata or {}
        self.nickname = nickname
        self.active = active
        self.billing_scheme = "per_unit"
        if recurring:
            resources.Plan(
                id=self.id,
                product=product,
                amount=unit_amount,
                currency=currency,
                interval=recurring["interval"],
                interval_count=interval_count,
                metadata=self.metadata,
            )

    def _update(self, **data: Any) -> None:
        if set(data) - _UPDATABLE:
            raise UserError(400, "Bad request")
        transfer = data.pop("transfer_lookup_key", False)
        if "lookup_key" in data:
            _take_key(data["lookup_key"], transfer, taker_id=self.id)
        if "active" in data:
            data["active"] = resources.try_convert_to_bool(data["active"])
        super()._update(**data)

    @classmethod
    def _api_list_all(
        cls,
        url: str,
        lookup_keys: Any = None,
        active: Any = None,
        product: str | None = None,
        type: str | None = None,
        limit: Any = None,
        starting_after: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        listed = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        keys = set(_as_list(lookup_keys))
        active = resources.try_convert_to_bool(active)
        listed._list = [
            price
            for price in listed._list
            if (not keys or price.lookup_key in keys)
            and (active is None or price.active == active)
            and (product is None or price.product == product)
            and (type is None or price.type == type)
        ]
        return listed


def _price_as_plan(items: Any) -> Any:
    """Subscription items naming a `price`, as items naming that price's plan."""
    return (
        [
            {**({k: v for k, v in item.items() if k != "price"}), "plan": item["price"]}
            if isinstance(item, dict) and "price" in item
            else item
            for item in _as_list(items)
        ]
        if items is not None
        else None
    )


_subscription_init = resources.Subscription.__init__


def _subscription_init_taking_prices(self: Any, *args: Any, items: Any = None, **kwargs: Any) -> None:
    _subscription_init(self, *args, items=_price_as_plan(items), **kwargs)


resources.Subscription.__init__ = _subscription_init_taking_prices

for method, path, handler in (
    ("POST", "/v1/prices", api_create),
    ("GET", "/v1/prices/{id}", api_retrieve),
    ("POST", "/v1/prices/{id}", api_update),
    ("GET", "/v1/prices", api_list_all),
):
    app.router.add_route(method, path, handler(Price, path))
