"""`{% share_links_panel comparison %}` (or a video): the owner's Share panel on an object's page.

A template tag rather than context from the page's view: the pages live in `videos`, below this
app, and must not import it; a template names the tag without an import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import reverse

from reviews.forms import ShareLinkForm
from reviews.models import ShareLink
from reviews.presenters import share_link_state, share_link_url
from reviews.selectors import share_links_for_object
from videos.models import Comparison, Project, Video
from workspaces.current import acting_membership, member_actor
from workspaces.policy import may

register = template.Library()


@dataclass(frozen=True)
class ShareLinkRow:
    link: ShareLink
    url: str | None
    state: str
    revoke_url: str
    rotate_url: str
    # What the link shows, said on the row when the panel lists links of two kinds (a version's page).
    scope: str = ""


# What a version's link shows, beside links to the version alone.
STACK_SCOPE = "Newest version against the one before"
VERSION_SCOPE = "This version only"


def _rows(request: HttpRequest, links: Iterable[ShareLink], scope: str = "") -> list[ShareLinkRow]:
    return [
        ShareLinkRow(
            link=link,
            url=share_link_url(request, link),
            state=share_link_state(link),
            revoke_url=reverse("reviews:share-link-revoke", args=[link.pk]),
            rotate_url=reverse("reviews:share-link-rotate", args=[link.pk]),
            scope=scope,
        )
        for link in links
    ]


@register.inclusion_tag("reviews/partials/share_links.html", takes_context=True)
def share_links_panel(context: template.Context, shared: Comparison | Video | Project) -> dict[str, Any]:
    """The panel for a comparison or a video; a video that is a version may also be shared as its
    stack (the link then follows the newest version against the one before). Only for members whose
    role may share: the links' URLs are capabilities (`share_link.read_url`)."""
    request = context["request"]
    membership = acting_membership(request)
    if not may(member_actor(membership), "share_link.read_url", workspace_id=shared.workspace_id):
        return {"may_share": False}
    panel: dict[str, Any] = {
        "may_share": True,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "form": ShareLinkForm(auto_id="share_%s"),
        "revoke_api_url": reverse("api-share-link-revoke", args=[0]),
        "rotate_page_url": reverse("reviews:share-link-rotate", args=[0]),
    }
    if isinstance(shared, Project):
        return {
            **panel,
            "noun": "project's videos",
            "rows": _rows(request, share_links_for_object(membership, shared)),
            "create_url": reverse("reviews:project-share-link-create", args=[shared.pk]),
            "api_url": reverse("api-project-share-links", args=[shared.pk]),
        }
    if isinstance(shared, Comparison):
        return {
            **panel,
            "noun": "comparison",
            "rows": _rows(request, share_links_for_object(membership, shared)),
            "create_url": reverse("reviews:comparison-share-link-create", args=[shared.pk]),
            "api_url": reverse("api-comparison-share-links", args=[shared.pk]),
        }
    panel.update(
        noun="video",
        create_url=reverse("reviews:video-share-link-create", args=[shared.pk]),
        api_url=reverse("api-video-share-links", args=[shared.pk]),
    )
    if shared.stack is None:
        return {**panel, "rows": _rows(request, share_links_for_object(membership, shared))}
    stack_links = _rows(request, share_links_for_object(membership, shared.stack), STACK_SCOPE)
    version_links = _rows(request, share_links_for_object(membership, shared), VERSION_SCOPE)
    return {
        **panel,
        "rows": sorted([*stack_links, *version_links], key=lambda row: row.link.created_at, reverse=True),
        "stack_api_url": reverse("api-stack-share-links", args=[shared.stack.pk]),
        "stack_scope": STACK_SCOPE,
        "version_scope": VERSION_SCOPE,
        "version": shared.version,
    }
