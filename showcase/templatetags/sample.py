"""The shared sample on pages the other apps own, which never import the showcase: `{% sample_link %}`,
the one-click way into it on any first page (dashboard, an empty library), and `{% sample_card %}`,
its prepared conversation and transcripts on its compare page."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from accounts.models import User
from showcase.sample_page import sample_page
from videos.compare.selectors import sample_comparison
from videos.models import Comparison

register = template.Library()


@register.inclusion_tag("showcase/partials/sample_link.html", takes_context=True)
def sample_link(context: dict[str, Any], style: str = "card") -> dict[str, Any]:
    """`style` is "card" (the dashboard's invitation), "inline" (a sentence in an empty state) or
    "visitor" (the landing page: sign up, then straight to the sample).
    A site without a sample says so to operators (how to make it) and shows others nothing."""
    comparison = sample_comparison()
    user = context.get("user")
    return {
        "style": style,
        "url": reverse("compare:comparison", args=[comparison.pk]) if comparison else "",
        "preparing": comparison is None and User.objects.filter(is_sample_owner=True).exists(),
        "operator": bool(getattr(user, "is_staff", False)),
    }


@register.inclusion_tag("showcase/partials/sample_card.html")
def sample_card(comparison: Comparison) -> dict[str, Any]:
    """The sample's extras on its compare page, read-only (`showcase.sample_page`)."""
    return {"sample": sample_page(comparison)}
