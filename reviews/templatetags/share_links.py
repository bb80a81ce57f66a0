"""`{% share_links_panel comparison %}`: the owner's Share panel on an object's page.

A template tag rather than context from the page's view: the pages live in `videos`, below this
app, and must not import it; a template names the tag without an import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from reviews.forms import ShareLinkForm
from reviews.models import ShareLink
from reviews.presenters import share_link_state, share_link_url
from reviews.selectors import share_links_for_object
from videos.models import Comparison

register = template.Library()


@dataclass(frozen=True)
class ShareLinkRow:
    link: ShareLink
    url: str | None
    state: str
    revoke_url: str


@register.inclusion_tag("reviews/partials/share_links.html", takes_context=True)
def share_links_panel(context: template.Context, comparison: Comparison) -> dict[str, Any]:
    if not settings.SHARE_LINKS_PANEL:
        return {"hidden": True}
    request = context["request"]
    user = request.user
    assert isinstance(user, User)
    links = share_links_for_object(user, comparison)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "rows": [
            ShareLinkRow(
                link=link,
                url=share_link_url(request, link),
                state=share_link_state(link),
                revoke_url=reverse("reviews:share-link-revoke", args=[link.pk]),
            )
            for link in links
        ],
        "form": ShareLinkForm(auto_id="share_%s"),
        "create_url": reverse("reviews:comparison-share-link-create", args=[comparison.pk]),
        "api_url": reverse("api-comparison-share-links", args=[comparison.pk]),
        "revoke_api_url": reverse("api-share-link-revoke", args=[0]),
    }
