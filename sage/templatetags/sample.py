"""`{% sample_link %}`: the one-click way into the shared sample, on any first page (dashboard, an
empty library). Says so when the site is still preparing it, and shows nothing when there is none."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from accounts.models import User
from videos.compare.selectors import sample_comparison

register = template.Library()


@register.inclusion_tag("sage/partials/sample_link.html", takes_context=True)
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
