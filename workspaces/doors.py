"""What role each door into a workspace's work asks for (issue 52: a viewer cannot write).

Every way in (pages, the API, sockets) reads and writes the workspace the request acts in
(workspaces.current). Reading needs only membership, which the selectors already require. Writing
needs a role: by default an editor's (upload, compare, chat, share, change, delete); a view declares
less where the issue's roles allow it (a commenter's notes and comments), or `NOT_WORKSPACE_WORK`
where the write is not the workspace's at all (one's own settings, tokens, billing, guests' links).
Like API tokens' scopes (accounts.permissions), a new write is closed to viewers and commenters
unless it says otherwise.

In a personal workspace everyone is its owner, so nothing here changes for one person working alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import User
from workspaces.current import require_role
from workspaces.models import Role

NOT_WORKSPACE_WORK = None
_ATTRIBUTE = "workspace_roles"

# Pages of these modules write nothing of a workspace's (sign-in, one's settings and tokens, money,
# the operators' admin, a guest's share link, the workspace pages, whose own services check roles).
_PAGES_OUTSIDE_WORKSPACES = (
    "allauth.",
    "django.contrib.admin.",
    "accounts.",
    "billing.",
    "reviews.shared_views",
    "workspaces.",
)

View = TypeVar("View", bound=Callable[..., Any])


def required_role(view: Any, method: str) -> str | None:
    """The role `method` on `view` needs in the acting workspace; NOT_WORKSPACE_WORK for none.

    Views (classes or functions) declare `workspace_roles = {"POST": Role.COMMENTER, ...}`; reads
    need only membership, and any write a view does not declare needs an editor."""
    declared: dict[str, str | None] = getattr(view, _ATTRIBUTE, {})
    method = method.upper()
    if method in declared:
        return declared[method]
    return NOT_WORKSPACE_WORK if method in SAFE_METHODS else Role.EDITOR


def workspace_roles(**by_method: str | None) -> Callable[[View], View]:
    """Declare a page view's roles by method: `@workspace_roles(POST=Role.COMMENTER)`."""

    def declare(view: View) -> View:
        setattr(view, _ATTRIBUTE, {method.upper(): role for method, role in by_method.items()})
        return view

    return declare


class WorkspaceRolePermission(BasePermission):
    """The API's door: 403, with a sentence naming the role, when the acting membership lacks it.
    Guests and anonymous requests pass here (their own permissions decide)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        role = required_role(view, request.method or "GET")
        user = request.user
        if role is NOT_WORKSPACE_WORK or not isinstance(user, User):
            return True
        require_role(user, role)  # PermissionDenied: DRF answers 403 with its message
        return True


class WorkspaceRoleMiddleware:
    """The pages' door: a write to a page view answers 403 (the page says which role it takes) when
    the acting membership lacks the view's role. API views are left to WorkspaceRolePermission,
    which runs after their own authentication (an API token chooses its workspace there)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        if request.method in SAFE_METHODS or hasattr(view_func, "cls"):  # `cls`: a DRF view
            return None
        if view_func.__module__.startswith(_PAGES_OUTSIDE_WORKSPACES):
            return None
        role = required_role(view_func, request.method or "POST")
        if role is NOT_WORKSPACE_WORK or not request.user.is_authenticated:
            return None
        user = request.user
        assert isinstance(user, User)
        require_role(user, role)
        return None
