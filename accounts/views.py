"""The settings page: profile, connected accounts, API tokens; the browser extension's connect page."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import ApiTokenCreateForm, ExtensionConnectDecisionForm, ProfileForm
from accounts.models import ExtensionConnect, User
from accounts.selectors import api_token_get_for_user, api_tokens_for_user
from accounts.services import (
    ConnectDecided,
    ConnectUnknown,
    api_token_create,
    api_token_revoke,
    connect_check_code,
    connect_is_expired,
    extension_connect_decide,
    extension_connect_show,
    user_update_profile,
)
from sage.errors import FieldInvalid, NotFound
from workspaces.current import acting_workspace_id
from workspaces.doors import NOT_WORKSPACE_WORK, workspace_actions
from workspaces.selectors import workspaces_of

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
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # one's own account
def profile_update(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    form = ProfileForm(request.POST, instance=User.objects.get(pk=user.pk))
    if not form.is_valid():
        return _render_settings(request, profile_form=form, status=400)
    user_update_profile(
        user=user,
        display_name=form.cleaned_data["display_name"],
        ai_notes_enabled=form.cleaned_data["ai_notes_enabled"],
        review_digest_emails=form.cleaned_data["review_digest_emails"],
    )
    messages.success(request, "Profile saved.")
    return redirect("accounts:settings")


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # one's own account
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _render_settings(request, token_form=form, status=400)
    user = _current_user(request)
    # It acts in the workspace the page acts in.
    token, secret = api_token_create(user=user, workspace_id=acting_workspace_id(request), **form.service_kwargs())
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
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # one's own account
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_token_revoke(token=api_token_get_for_user(_current_user(request), token_id))
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:settings")


# --- connecting the browser extension ----------------------------------------------------------


def _render_connect(
    request: HttpRequest, *, state: str, connect: ExtensionConnect | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "state": state,
        "connect": connect,
        "check_code": connect_check_code(connect.challenge) if connect else "",
        "decision_form": ExtensionConnectDecisionForm(
            initial={"challenge": connect.challenge, "workspace": acting_workspace_id(request)},
            workspaces=[(workspace.pk, workspace.name) for workspace in workspaces_of(connect.user)],
        )
        if connect
        else None,
        "error": error,
    }
    response = render(request, "accounts/extension_connect.html", context, status=status)
    # The challenge in this page's address is not a secret, but it has no business in another site's logs.
    # `same-origin`, not `no-referrer`: under no-referrer Chromium sends `Origin: null` with the page's
    # own Approve POST, which Django's CSRF check refuses (found by tests/extension, helper F).
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def _connect_page_state(connect: ExtensionConnect) -> tuple[str, int]:
    if connect.outcome == ExtensionConnect.Outcome.APPROVED:
        return "approved", 200
    if connect.outcome == ExtensionConnect.Outcome.DENIED:
        return "denied", 200
    if connect_is_expired(connect):
        return "expired", 410
    return "pending", 200


@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # one's own account
def extension_connect(request: HttpRequest) -> HttpResponse:
    """`/settings/connect?challenge=…&browser=…`, opened by the extension: the person approves or cancels
    the request once. The page never holds a secret: the token goes to the extension in the answer to
    its own POST (accounts.api.ExtensionConnectApi)."""
    if request.method == "POST":
        return _extension_connect_decide(request)
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    try:
        connect = extension_connect_show(
            user=_current_user(request),
            challenge=request.GET.get("challenge", ""),
            browser=request.GET.get("browser", ""),
        )
    except FieldInvalid as exc:
        return _render_connect(request, state="error", error=exc.reason, status=400)
    except ConnectUnknown as exc:
        return _render_connect(request, state="error", error=exc.message, status=404)
    state, status = _connect_page_state(connect)
    return _render_connect(request, state=state, connect=connect, status=status)


def _extension_connect_decide(request: HttpRequest) -> HttpResponse:
    form = ExtensionConnectDecisionForm(request.POST)
    if not form.is_valid():
        return _render_connect(request, state="error", error="Open this page from the extension.", status=400)
    challenge = form.cleaned_data["challenge"]
    try:
        user = _current_user(request)
        extension_connect_decide(
            user=user,
            challenge=challenge,
            approve=form.cleaned_data["decision"] == "approve",
            # The one chosen on the page, else the one it acts in.
            workspace_id=form.cleaned_data["workspace"] or acting_workspace_id(request),
        )
    except FieldInvalid as exc:
        return _render_connect(request, state="error", error=exc.reason, status=400)
    except (ConnectUnknown, NotFound) as exc:
        return _render_connect(request, state="error", error=exc.message, status=404)
    except ConnectDecided:
        pass  # a second click or another tab: the page below says what was decided
    # After a decision, the page says what happened; a reload does not post again.
    return redirect(f"{reverse('accounts:extension_connect')}?{urlencode({'challenge': challenge})}")
