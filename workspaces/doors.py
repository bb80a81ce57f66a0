"""Which policy action each door into a workspace's work is (issue 52: a viewer cannot write;
issue 63: every API operation is one row of the policy, reads included).

Every way in (pages, the API, sockets) reads and writes the workspace the request acts in
(workspaces.current). Each operation is an action of `workspaces.policy`: a view declares which, by
method (`workspace_actions = {"GET": "video.view", "POST": "comment.create"}`), and the door asks
the policy whether the acting member may do it to anything (an action a role may do only to what it
made, such as deleting a comment, passes here at the lowest such role; the view asks the policy
again with the object's author). An API token's scope is the same row's (workspaces.token_scopes).
A write a view does not declare is `video.change` (an editor's), a read `workspace.view`, so a new
operation is closed to viewers and commenters unless it says otherwise; the schema walk
(tests/workspaces/test_policy_walk.py) fails for an API operation that declares nothing.
`NOT_WORKSPACE_WORK` marks an operation that is not the workspace's at all (one's own account and
tokens, the workspaces named in the path, whose views ask the policy themselves, and a share link's
guests' operations, which declare the row a guest does by `link_actions` and ask it of the link).

In a personal workspace everyone is its owner, so nothing here changes for one person working alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import User
from workspaces.current import acting_membership, member_actor
from workspaces.policy import POLICY, require

NOT_WORKSPACE_WORK = None
# What a write is when its view does not say: the editor's work on videos and what is made of them;
# a read: seeing the workspace's work, which every member may.
DEFAULT_WRITE = "video.change"
DEFAULT_READ = "workspace.view"
_ATTRIBUTE = "workspace_actions"
_LINK_ATTRIBUTE = "link_actions"
_PATH_ATTRIBUTE = "path_workspace_actions"

View = TypeVar("View", bound=Callable[..., Any])


def required_action(view: Any, method: str) -> str | None:
    """The policy action `method` on `view` is; NOT_WORKSPACE_WORK for none. What a view does not
    declare is DEFAULT_READ or DEFAULT_WRITE (HEAD and OPTIONS: what its GET is)."""
    declared: dict[str, str | None] = getattr(view, _ATTRIBUTE, {})
    method = method.upper()
    if method in ("HEAD", "OPTIONS") and "GET" in declared:
        method = "GET"
    if method in declared:
        return declared[method]
    return DEFAULT_READ if method in SAFE_METHODS else DEFAULT_WRITE


def declared_action(view: Any, method: str) -> tuple[bool, str | None]:
    """Whether `view` declares `method`, and the action it declares (the schema walk's question)."""
    declared: dict[str, str | None] = getattr(view, _ATTRIBUTE, {})
    return method.upper() in declared, declared.get(method.upper())


def path_action(view: Any, method: str) -> str | None:
    """The policy action `method` on `view` is in the workspace its path names (`workspaces.api`:
    `path_workspace_actions = {"PATCH": "workspace.rename"}`), which its view asks of the member's
    role there; None when it declares none."""
    declared: dict[str, str] = getattr(view, _PATH_ATTRIBUTE, {})
    return declared.get(method.upper())


def link_action(view: Any, method: str) -> str | None:
    """The policy action a share link's guest does with `method` on `view` (a guest's door, which
    is no workspace's work to the member doors: `link_actions = {"GET": "comment.view"}`)."""
    declared: dict[str, str] = getattr(view, _LINK_ATTRIBUTE, {})
    return declared.get(method.upper())


def ask_for_anything(request: HttpRequest | Request, action: str) -> None:
    """The doors' question: may this request's member, in the workspace it acts in, do `action` to
    something of it they made (so an "own" action passes at its role; the view asks again with the
    object's author)? PermissionDenied (a 403 with the policy's sentence) when not."""
    actor = member_actor(acting_membership(request))
    require(actor, action, workspace_id=actor.workspace_id, made_by=actor.user_id)


def workspace_actions(**by_method: str | None) -> Callable[[View], View]:
    """Declare a page view's actions by method: `@workspace_actions(POST="review_status.set")`."""
    for action in by_method.values():
        assert action is NOT_WORKSPACE_WORK or action in POLICY, f"{action!r} is no action of the policy"

    def declare(view: View) -> View:
        setattr(view, _ATTRIBUTE, {method.upper(): action for method, action in by_method.items()})
        return view

    return declare


# Every write method a page may answer: what `outside_workspaces` declares as no workspace's work.
_WRITES = ("POST", "PUT", "PATCH", "DELETE")


def outside_workspaces(included: tuple[Any, str | None, str | None]) -> tuple[Any, str | None, str | None]:
    """Declare every view of an included URL table (`include("billing.urls")`, `admin.site.urls`) as
    no workspace's work, where the table is composed (sage.urls): for views this project does not
    write (sign-in, the operators' admin) or whose app decides itself. Returns `included` unchanged."""
    urlconf = included[0]
    _declare_outside(getattr(urlconf, "urlpatterns", urlconf))
    return included


def _declare_outside(patterns: Any) -> None:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _declare_outside(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            # A bound method (some of the admin's) reads its attributes from its function.
            view = getattr(pattern.callback, "__func__", pattern.callback)
            setattr(view, _ATTRIBUTE, dict.fromkeys(_WRITES, NOT_WORKSPACE_WORK))


class WorkspaceRolePermission(BasePermission):
    """The API's door: the policy asked for the view's action, as the acting member, about
    something of the acting workspace they made (so an "own" action passes at its role; the view
    asks again with the object's author): 403, with a sentence naming the role, when it refuses.
    A token's scope is asked before, by workspaces.token_scopes (its own error codes). Guests and
    anonymous requests pass here (their own permissions decide)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        action = required_action(view, request.method or "GET")
        user = request.user
        if action is NOT_WORKSPACE_WORK or not isinstance(user, User):
            return True
        ask_for_anything(request, action)  # PermissionDenied: DRF answers 403 with its message
        return True


class WorkspaceRoleMiddleware:
    """The pages' door: a write to a page view answers 403 (the page says which role it takes) when
    the acting membership lacks the view's role. Every page view is asked, whatever its module: one
    that writes no workspace's work says so (`workspace_actions`, or `outside_workspaces` where its
    URL table is included). API views are left to WorkspaceRolePermission,
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
        action = required_action(view_func, request.method or "POST")
        if action is NOT_WORKSPACE_WORK or not isinstance(request.user, User):
            return None
        ask_for_anything(request, action)
        return None
