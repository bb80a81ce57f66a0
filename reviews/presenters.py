"""How a share link is shown to its owner: the list on the page and the API's output agree."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from reviews.models import ShareLink
from reviews.reach import link_state
from reviews.tokens import unseal


def share_link_path(token: str) -> str:
    """Where the shared page answers (reviews.shared_views): short, nothing in it but the token."""
    return reverse("shared:page", args=[token])


def share_link_url(request: HttpRequest, link: ShareLink) -> str | None:
    """The full link to copy, or None when it can no longer be unsealed (SECRET_KEY changed)."""
    token = unseal(link.token_sealed)
    return None if token is None else request.build_absolute_uri(share_link_path(token))


def share_link_state(link: ShareLink) -> str:
    """`active`, `revoked` or `expired`: what the owner's list says of a link (`reviews.reach`)."""
    return link_state(link)
