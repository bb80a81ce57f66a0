"""`{% video_tokens_refusal video as tokens_refusal %}`: for a video whose processing failed for
tokens (its failed card and page), the sentence billing/partials/insufficient_tokens.html shows,
with today's figures (tokens may have been bought or spent since it failed) and the link to the
pack that covers what is short."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html
from django.utils.safestring import SafeString

from billing.ledger import InsufficientTokens, TokensOwed
from billing.packs import payment_refusal
from billing.selectors import wallet_of_workspace
from billing.views import insufficient_tokens_message
from videos.models import Video
from videos.pipeline.steps import tokens_for

register = template.Library()

# The error codes ensure_hold gives a video its balance could not pay for.
_TOKEN_ERROR_CODES = frozenset({InsufficientTokens.code, TokensOwed.code})


@register.simple_tag(takes_context=True)
def video_tokens_refusal(context: dict[str, Any], video: Video) -> SafeString | str:
    """The sentence ("" for any other video); once the balance pays for it, one that says so, since
    the message stored when it failed has the figures of then. Said to the person viewing the page
    (a team member who may not buy is told whom to ask)."""
    if video.status != Video.Status.FAILED or video.error_code not in _TOKEN_ERROR_CODES:
        return ""
    needed = tokens_for(video)
    viewer = getattr(context.get("request"), "user", None)
    refusal = payment_refusal(
        wallet=wallet_of_workspace(video.workspace_id), amount=needed, actor_id=getattr(viewer, "pk", None)
    )
    if refusal is None:
        return format_html(
            "This needs {} tokens, and your balance covers them now: retry processing.", intcomma(needed)
        )
    return insufficient_tokens_message(refusal)
