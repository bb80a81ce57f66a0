"""The workspace a request acts in, and the role it acts with: resolved once by the request's door,
then passed as an argument.

A person may belong to several workspaces; each request acts in one. Pages choose it with the header
switcher (kept in the session), an API token acts in the workspace chosen when it was made, a socket
in its page's. Each door resolves it once into a `Membership` (the person, the workspace, the role):
`WorkspaceMiddleware` for pages (`request.membership`, read lazily), the token authentication for the
API (on the same attribute), a socket's connect (`scope["membership"]`). Views read it with
`acting_membership(request)` (or `request_actor(request)`, the policy's actor) and hand it, or its
workspace's id, to the selectors and services they call: nothing about where one acts is kept on the
`User`. Tasks and the shell name the workspace themselves (`membership_or_none`, `personal_membership`).

What it costs: a team's membership is read on every request that acts in it, so a member removed is
refused on their very next one; the personal workspace's costs no query (`personal_membership`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject
from rest_framework.request import Request

from accounts.models import ApiToken, User
from sage.errors import WORKSPACE_LOST_ATTRIBUTE
from workspaces.models import Membership, Role, Workspace
from workspaces.policy import Member

# The session key the header switcher writes.
SESSION_KEY = "workspace_id"
# Where the doors put the membership a request or a socket acts through.
REQUEST_ATTRIBUTE = "membership"
SCOPE_KEY = "membership"


def personal_membership(user: User) -> Membership:
    """`user`'s membership of their personal workspace, with no query: its only member is its owner,
    for as long as the account lives, and the account's row names it. Unsaved (its `pk` is not read);
    its `workspace` loads when a page reads it (a name, say)."""
    if user.personal_workspace_id is None:
        raise Membership.DoesNotExist(f"{user} has no personal workspace yet.")
    return Membership(workspace_id=user.personal_workspace_id, user=user, role=Role.OWNER)


def membership_or_none(user: User, workspace_id: int) -> Membership | None:
    """`user`'s membership of `workspace_id`, None when they are not a member. A team's is read
    every time, so a member removed is refused on their very next request; their personal
    workspace's never changes and costs no query."""
    if workspace_id == user.personal_workspace_id:
        return personal_membership(user)
    membership = Membership.objects.select_related("workspace").filter(user=user, workspace_id=workspace_id).first()
    if membership is not None:
        membership.user = user  # the instance in hand: reading `membership.user` costs no query
    return membership


def membership_wanted(user: User, workspace_id: int | None) -> Membership:
    """The membership `user` acts through when `workspace_id` is wanted (None: the personal
    workspace): that workspace's while they are a member of it, else their personal one's."""
    membership = membership_or_none(user, workspace_id) if workspace_id is not None else None
    return membership if membership is not None else personal_membership(user)


def session_membership(user: User, session: Any) -> Membership:
    """The membership the header switcher chose in `session` (a page's or a socket's)."""
    wanted = session.get(SESSION_KEY) if session is not None else None
    return membership_wanted(user, wanted if isinstance(wanted, int) else None)


def acting_membership(request: HttpRequest | Request) -> Membership:
    """The membership this request acts through, as its door resolved it (once per request)."""
    membership: Membership | None = getattr(request, REQUEST_ATTRIBUTE, None)
    if membership is None:  # a request no door saw (one built by hand): resolved as the page's door does
        user = request.user
        assert isinstance(user, User), "Only a signed-in request acts in a workspace."
        membership = session_membership(user, getattr(request, "session", None))
        request_acts_through(request, membership)
    return membership


def acting_workspace_id(request: HttpRequest | Request) -> int:
    return acting_membership(request).workspace_id


def member_actor(membership: Membership, token: object = None) -> Member:
    """The policy's actor for `membership`: its role in its workspace and, when the request came
    with an API token (`token`, DRF's `request.auth`), its scopes."""
    scopes = frozenset(token.scopes) if isinstance(token, ApiToken) else None
    return membership.actor(scopes)


def request_actor(request: HttpRequest | Request) -> Member:
    """The policy's actor this request is: its acting membership, with its API token's scopes."""
    return member_actor(acting_membership(request), getattr(request, "auth", None))


def request_acts_through(request: HttpRequest | Request, membership: Membership) -> None:
    """Make `request` act through `membership`, already looked up (the token door's; the switcher's
    for the rest of its request). Kept on the request Django made, which a DRF request reads
    through: pages, context processors and the API see one and the same."""
    setattr(request._request if isinstance(request, Request) else request, REQUEST_ATTRIBUTE, membership)


class WorkspaceMiddleware:
    """The pages' door: the request acts through the membership the header switcher chose (the
    session's), resolved lazily, so a page that reads nothing of a workspace costs no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        setattr(request, REQUEST_ATTRIBUTE, SimpleLazyObject(lambda: _page_membership(request)))
        return self.get_response(request)


def _page_membership(request: HttpRequest) -> Membership:
    user = request.user
    assert isinstance(user, User), "Only a signed-in request acts in a workspace."
    session = getattr(request, "session", None)
    membership = session_membership(user, session)
    wanted = session.get(SESSION_KEY) if session is not None else None
    if isinstance(wanted, int) and wanted != membership.workspace_id:
        _say_workspace_lost(request, wanted)
    return membership


def _say_workspace_lost(request: HttpRequest, workspace_id: int) -> None:
    """The switcher's workspace is no longer theirs (removed, or it is gone): this request acts in
    their own, says why on its next page and, if it finds nothing, in its "not found"; once (the
    session forgets the workspace)."""
    name = Workspace.objects.filter(pk=workspace_id).values_list("name", flat=True).first() or "a team workspace"
    setattr(request, WORKSPACE_LOST_ATTRIBUTE, name)
    request.session.pop(SESSION_KEY, None)
    messages.warning(request, f"You are no longer a member of “{name}”: you are in your own workspace now.")
