"""`{% load prices %}{% prices as prices %}`: what paid actions cost, for any template that offers
one (upload, notes, chat). The balance is already in every signed-in page's context as
`header_wallet` (billing.context_processors), and `{% tokens n %}` writes "1 token" / "5 tokens".

    {% prices as prices %}
    Processing costs {{ prices.per_video_second }} token a second of video.
    An answer costs {% tokens prices.chat_answer %}.
"""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from billing.prices import Prices, current_prices

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
