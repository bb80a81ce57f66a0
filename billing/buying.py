"""Where to buy when tokens run out: the pack that covers a shortfall, and the link to buy it.

Every refusal for tokens (a page's message, the socket's error frame, the API's 402 `buy_url`, the
upload page before any byte is sent) names the same pack through `buy_offer_for`, so a person is
always sent to the smallest pack that lets the refused work go ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from billing.models import TokenPack, Wallet
from billing.money import money
from billing.services import InsufficientTokens, TokensOwed
from billing.stripe_client import payments_configured


def tokens_short(exc: InsufficientTokens) -> int:
    """Tokens to buy before the refused work can go ahead. What is owed is paid off first by any
    credit, so it is short as well as what the balance lacks."""
    lacking = max(exc.needed - exc.available, 0)
    if isinstance(exc, TokensOwed):
        return exc.owed + lacking
    return lacking


def pack_covering(shortfall: int) -> TokenPack | None:
    """The smallest pack on sale that covers `shortfall` (cheapest among equals); when none does,
    the largest one. None when nothing is on sale."""
    packs = list(TokenPack.objects.filter(is_active=True))
    if not packs:
        return None
    covering = [pack for pack in packs if pack.tokens >= shortfall]
    if covering:
        return min(covering, key=lambda pack: (pack.tokens, pack.amount, pack.pk))
    return max(packs, key=lambda pack: (pack.tokens, -pack.amount, -pack.pk))


@dataclass(frozen=True)
class BuyOffer:
    """What a refusal offers: the shortfall, the pack to buy (None: nothing on sale, or payments
    off) and the billing page's address that opens that pack's payment (a path)."""

    needed: int
    available: int
    owed: int
    shortfall: int
    pack: TokenPack | None
    url: str

    @property
    def covers(self) -> bool:
        return self.pack is not None and self.pack.tokens >= self.shortfall


def buy_path(pack: TokenPack | None, *, shortfall: int) -> str:
    """The billing page opened on `pack`'s payment (`?pack=`), or on its "Buy tokens" section, or
    (payments off) on the page itself, where plans and the balance are."""
    billing = reverse("billing:billing")
    if not payments_configured():
        return billing
    if pack is None:
        return f"{billing}#buy-tokens"
    return f"{billing}?pack={pack.pk}&short={shortfall}#buy-tokens"


def buy_offer_for(exc: InsufficientTokens) -> BuyOffer:
    shortfall = tokens_short(exc)
    pack = pack_covering(shortfall) if payments_configured() else None
    return BuyOffer(
        needed=exc.needed,
        available=exc.available,
        owed=exc.owed if isinstance(exc, TokensOwed) else 0,
        shortfall=shortfall,
        pack=pack,
        url=buy_path(pack, shortfall=shortfall),
    )


def refusal_details(exc: InsufficientTokens) -> dict[str, Any]:
    """What a refusal for tokens adds to its error (the API's 402 body, the socket's error frame):
    the figures, and with payments on, `buy_url` (a path) to the pack that covers what is short and
    `buy_pack`, that pack as a person reads it (name, tokens, price), so a page can name it."""
    offer = buy_offer_for(exc)
    details: dict[str, Any] = {
        "tokens": {"needed": offer.needed, "available": offer.available, "owed": offer.owed, "short": offer.shortfall}
    }
    if payments_configured():
        details["buy_url"] = offer.url
        if offer.pack is not None:
            details["buy_pack"] = {
                "name": offer.pack.name,
                "tokens": offer.pack.tokens,
                "price": money(offer.pack.amount, offer.pack.currency),
            }
    return details


def payment_refusal(*, wallet: Wallet, amount: int) -> InsufficientTokens | None:
    """Why the wallet's owner could not pay `amount` tokens now (TokensOwed, InsufficientTokens), or
    None. Only a look: nothing is held. Work that can be refused before it costs anything (an upload,
    before its bytes are sent) asks this first; its hold later still decides under the lock. The
    caller passes the wallet it already read (an upload reads it for the plan's limits too)."""
    if wallet.tokens_owed > 0:
        return TokensOwed(owed=wallet.tokens_owed, needed=amount, available=wallet.balance)
    if wallet.balance < amount:
        return InsufficientTokens(needed=amount, available=wallet.balance)
    return None
