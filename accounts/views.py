"""The settings page: profile, connected accounts, API tokens."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import ApiTokenCreateForm, ProfileForm
from accounts.models import User
from accounts.selectors import api_token_get_for_user, api_tokens_for_user
from accounts.services import api_token_create, api_token_revoke, user_update_profile

# The new secret travels to the next page view in a short-lived signed cookie that only the settings
# page receives and that is deleted when shown: it is shown once and never stored on our side
# (sessions live in the database, which must only ever hold the token's hash).
_SHOW_ONCE_COOKIE = "sage_new_token"
_SHOW_ONCE_SALT = "accounts.new-token-secret"
_SHOW_ONCE_MAX_AGE_SECONDS = 300
_SETTINGS_PATH = "/settings/"


def _current_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _render_settings(
    request: HttpRequest,
    *,
    profile_form: ProfileForm | None = None,
    token_form: ApiTokenCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _current_user(request)
    context = {
        "profile_form": profile_form or ProfileForm(instance=user),
        "token_form": token_form or ApiTokenCreateForm(),
        "tokens": api_tokens_for_user(user),
        "social_accounts": SocialAccount.objects.filter(user=user),
        "new_token_secret": _new_secret_from_cookie(request),
    }
    response = render(request, "accounts/settings.html", context, status=status)
    response.delete_cookie(_SHOW_ONCE_COOKIE, path=_SETTINGS_PATH)
    return response


def _new_secret_from_cookie(request: HttpRequest) -> str | None:
    try:
        return request.get_signed_cookie(_SHOW_ONCE_COOKIE, salt=_SHOW_ONCE_SALT, max_age=_SHOW_ONCE_MAX_AGE_SECONDS)
    except (KeyError, signing.BadSignature):
        return None


@require_GET
@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    return _render_settings(request)


@require_POST
@login_required
def profile_update(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    form = ProfileForm(request.POST, instance=User.objects.get(pk=user.pk))
    if not form.is_valid():
        return _render_settings(request, profile_form=form, status=400)
    user_update_profile(
        user=user,
        display_name=form.cleaned_data["display_name"],
        ai_notes_enabled=form.cleaned_data["ai_notes_enabled"],
    )
    messages.success(request, "Profile saved.")
    return redirect("accounts:settings")


@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _render_settings(request, token_form=form, status=400)
    token, secret = api_token_create(user=_current_user(request), **form.service_kwargs())
    messages.success(request, f"Token “{token.name}” created. Copy it now: it will not be shown again.")
    response = redirect("accounts:settings")
    response.set_signed_cookie(
        _SHOW_ONCE_COOKIE,
        secret,
        salt=_SHOW_ONCE_SALT,
        max_age=_SHOW_ONCE_MAX_AGE_SECONDS,
        path=_SETTINGS_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_token_revoke(token=api_token_get_for_user(_current_user(request), token_id))
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:settings")
