"""Amounts of money as Stripe counts them (the currency's smallest unit) and as people read them."""

from __future__ import annotations

# Currencies whose smallest unit is the whole unit (Stripe's zero-decimal list, the common ones).
ZERO_DECIMAL_CURRENCIES = frozenset({"jpy", "krw", "vnd", "clp", "isk", "huf", "twd", "ugx", "xaf", "xof"})
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "chf": "CHF "}


def money(amount: int, currency: str) -> str:
    """A price in Stripe's smallest unit, as people read it: "$4.99", "€10", "1,200 ¥"."""
    code = currency.lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        figure = f"{amount:,}"
    else:
        whole, cents = divmod(amount, 100)
        figure = f"{whole:,}" if cents == 0 else f"{whole:,}.{cents:02d}"
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{symbol}{figure}" if symbol else f"{figure} {code.upper()}"
