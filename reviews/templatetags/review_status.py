"""`{% review_status_card video %}` (or a comparison): the review status card on a member's page — the
status, who set it and when, the form to change it for roles that may comment, the history — and
`{% review_status_form video %}`, the form alone (a stack's versions card, one per version).

Template tags, as the Share panel's: the pages live in `videos`, below this app, and must not import it.
Shared pages build the same card's panel in `reviews.shared`."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from reviews.approvals import StatusPanel, status_history
from videos.models import Comparison, Video
from workspaces.current import acting_membership, member_actor
from workspaces.policy import may

register = template.Library()


def _panel(context: template.Context, target: Video | Comparison, *, with_history: bool) -> dict[str, Any]:
    request = context["request"]
    name = "reviews:video-review-status" if isinstance(target, Video) else "reviews:comparison-review-status"
    panel = StatusPanel(
        target=target,
        history=status_history(target) if with_history else [],
        can_set=may(member_actor(acting_membership(request)), "review_status.set", workspace_id=target.workspace_id),
        action=reverse(name, args=[target.pk]),
        next=request.get_full_path(),
    )
    return {"panel": panel, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("reviews/partials/review_status.html", takes_context=True)
def review_status_card(context: template.Context, target: Video | Comparison) -> dict[str, Any]:
    return _panel(context, target, with_history=True)


@register.inclusion_tag("reviews/partials/review_status_form.html", takes_context=True)
def review_status_form(context: template.Context, target: Video | Comparison) -> dict[str, Any]:
    return _panel(context, target, with_history=False)
