"""`{% load prices %}{% prices as prices %}`: what paid actions cost, for any template that offers
one (upload, notes, chat). The balance is already in every signed-in page's context as
`header_wallet` (billing.context_processors), and `{% tokens n %}` writes "1 token" / "5 tokens".

    {% prices as prices %}
    Processing costs {{ prices.per_video_second }} token a second of video.
    An answer costs {% tokens prices.chat_answer %}.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import User
from billing.packs import pack_offers
from billing.prices import Prices, current_prices
from billing.selectors import may_pay_for, plans_for_display
from billing.stripe_client import payments_configured
from billing.subscription_views import plan_price
from workspaces.current import request_actor

register = template.Library()


@register.simple_tag(name="prices")
def prices_tag() -> Prices:
    return current_prices()


@register.simple_tag
def tokens(amount: int) -> str:
    """ "1 token", "2 tokens", "1,800 tokens", or "free" for nothing."""
    amount = int(amount)
    if amount == 0:
        return "free"
    return f"{intcomma(amount)} token{'' if amount == 1 else 's'}"


@register.simple_tag(takes_context=True)
def buy_offers(context: dict[str, Any]) -> dict[str, object]:
    """Where a page's script asks which pack to offer for a shortfall before it asks for paid work
    (the upload rows: billing.views.buy_offer, the server's one rule), where to go without payments,
    and whether the person may buy tokens where the page acts (`may_buy`: not a team's editor,
    commenter or viewer, who are told whom to ask: billing.shortfalls). The script is sent no list
    of packs to pick from."""
    request = context.get("request")
    user = getattr(request, "user", None)
    may_buy = not isinstance(request, HttpRequest) or not isinstance(user, User) or may_pay_for(request_actor(request))
    return {"offer_url": reverse("billing:buy-offer"), "billing_url": reverse("billing:billing"), "may_buy": may_buy}


@register.simple_tag
def what_is_sold() -> dict[str, object]:
    """For pages that describe pricing to anyone (the landing page): the plans, each with its monthly
    price and tokens, and the cheapest token pack on sale (None without payments or packs)."""
    packs = pack_offers() if payments_configured() else []
    return {
        "plans": [
            {"name": plan.name, "price": plan_price(plan), "tokens": plan.monthly_tokens, "free": plan.price_cents == 0}
            for plan in plans_for_display()
        ],
        "cheapest_pack": min(packs, key=lambda offer: offer.pack.amount) if packs else None,
    }
