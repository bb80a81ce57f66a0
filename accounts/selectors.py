"""Reads for accounts. Ownership lives here: views never look tokens up by pk alone."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import ApiToken, User


def api_tokens_for_user(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_get_for_user(user: User, pk: int | str) -> ApiToken:
    """The token with this pk if `user` owns it; 404 for anyone else (no hint that it exists)."""
    try:
        return api_tokens_for_user(user).get(pk=int(pk))
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("No such API token.") from None
