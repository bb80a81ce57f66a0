"""Token scopes: what an API token may do. The browser session may do everything its user may."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import ApiToken
from workspaces.doors import NOT_WORKSPACE_WORK, path_action, required_action
from workspaces.policy import POLICY

SESSION_ONLY = None
# Any API token may do it, whatever its scopes: a token revoking or describing itself.
ANY_TOKEN = "*"  # noqa: S105  (a marker, not a secret)


def required_scope(view: Any, method: str) -> str | None:
    """The scope a token needs for `method` on `view`; SESSION_ONLY when tokens may not do it.

    A workspace's work needs the scope of its policy row: the action the view declares (see
    workspaces.doors), or for the workspace a path names, the row its view declares for that. What
    is outside any workspace (one's account, tokens, billing) declares its own: `token_scopes =
    {"GET": SESSION_ONLY, ...}`; undeclared, reads take `read` and writes are closed to tokens, so a
    new endpoint is safe by default.
    """
    method = method.upper()
    outside: dict[str, str | None] = getattr(view, "token_scopes", {})
    if method in outside:
        return outside[method]
    action = path_action(view, method) or required_action(view, method)
    if action is NOT_WORKSPACE_WORK:
        return ApiToken.Scope.READ if method in SAFE_METHODS else SESSION_ONLY
    return POLICY[action].scope


class TokenScopePermission(BasePermission):
    """Refuses API tokens that lack the scope the view declares for the method (403, naming it).

    Keep it in every view's `permission_classes` (it is in the defaults): a view that replaces the
    list with only `AllowAny` would let any token through.
    """

    message = "This API token may not do this."
    code = "insufficient_scope"

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        scope = required_scope(view, request.method or "GET")
        if scope is SESSION_ONLY:
            self.message = "API tokens cannot do this; sign in on the site instead."
            self.code = "session_required"
            return False
        if scope == ANY_TOKEN:
            return True
        if scope not in token.scopes:
            self.message = f"This API token lacks the '{scope}' scope."
            self.code = "insufficient_scope"
            return False
        return True
