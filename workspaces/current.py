"""The workspace a request acts in, and the role it acts with.

A person may belong to several workspaces; each request acts in one. Pages choose it with the header
switcher (kept in the session), an API token acts in the workspace chosen when it was made, a socket
in its page's. Whatever is read or made goes through that workspace, so every selector asks here
rather than taking one more argument on every call: `acting_membership(user)`.

Where the choice is kept: on the request's own `User` instance (`wanted_workspace_id`), set by
`WorkspaceMiddleware`, the API token authentication and the sockets. Each request loads its own
instance, so nothing carries over between requests. Unset (tasks, the shell, older callers) means the
personal workspace, which is what everything meant before workspaces existed.

What it costs: a team's membership is read on every request, so a member removed is refused on their
very next one; the personal workspace's costs no query (`membership_or_none`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.models import ApiToken, User
from workspaces.models import Membership, Role
from workspaces.policy import Member

# The session key the header switcher writes.
SESSION_KEY = "workspace_id"


def _personal_membership(user: User) -> Membership:
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
        return _personal_membership(user)
    return Membership.objects.select_related("workspace").filter(user=user, workspace_id=workspace_id).first()


def acting_membership(user: User) -> Membership:
    """The membership `user` acts through in this request: the wanted workspace's while they are a
    member of it, else their personal workspace's. Looked up once per request."""
    cached: Membership | None = getattr(user, "_acting_membership", None)
    if cached is not None:
        return cached
    membership = None
    if user.wanted_workspace_id is not None:
        membership = membership_or_none(user, user.wanted_workspace_id)
    if membership is None:
        membership = _personal_membership(user)
    user._acting_membership = membership  # type: ignore[attr-defined]  # per request, not a field
    return membership


def acting_workspace_id(user: User) -> int:
    return acting_membership(user).workspace_id


def act_in(user: User, workspace_id: int | None) -> None:
    """Make `user` (this request's instance) act in `workspace_id` (None: the personal workspace)."""
    user.wanted_workspace_id = workspace_id
    if hasattr(user, "_acting_membership"):
        del user._acting_membership


def act_through(user: User, membership: Membership) -> None:
    """Make `user` act through `membership` (already looked up: an API token's), with no query."""
    user.wanted_workspace_id = membership.workspace_id
    user._acting_membership = membership  # type: ignore[attr-defined]  # per request, not a field


def member_actor(user: User, token: object = None) -> Member:
    """The policy's actor for `user` in the workspace this request acts in: their role there and,
    when the request came with an API token (`token`, DRF's `request.auth`), its scopes."""
    membership = acting_membership(user)
    scopes = frozenset(token.scopes) if isinstance(token, ApiToken) else None
    return Member(user_id=user.pk, workspace_id=membership.workspace_id, role=membership.role, scopes=scopes)


class WorkspaceMiddleware:
    """Pages act in the workspace the header switcher chose (the session's), checked lazily: a page
    that reads nothing of a workspace costs no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only a chosen workspace touches the user: with none, the personal one is the default.
        wanted = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if isinstance(wanted, int) and request.user.is_authenticated:
            act_in(request.user, wanted)
        return self.get_response(request)
