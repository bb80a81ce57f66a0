"""The header's workspace switcher: which workspaces a person may act in, and moving between them.

The choice lives in the session (workspaces.current.SESSION_KEY), so each browser keeps its own, and
a page opened after a switch lists that workspace's videos, notes, comparisons and conversations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST

from accounts.models import User
from sage.errors import NotFound
from workspaces.current import SESSION_KEY, acting_membership, membership_or_none, request_acts_through
from workspaces.doors import NOT_WORKSPACE_WORK, workspace_actions
from workspaces.models import Membership, Workspace
from workspaces.selectors import membership_in


def header_workspaces(request: HttpRequest) -> dict[str, object]:
    """The switcher's lists, read only when a page's header renders them."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    return {
        "header_membership": SimpleLazyObject(lambda: acting_membership(request)),
        "header_workspaces": SimpleLazyObject(
            lambda: list(
                Membership.objects.filter(user=user)
                .select_related("workspace")
                .order_by("workspace__kind", "workspace__name", "pk")
            )
        ),
    }


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # choosing where to act
def switch_workspace(request: HttpRequest) -> HttpResponse:
    """Act in another of my workspaces from now on (this browser); another person's is a 404."""
    user = request.user
    assert isinstance(user, User)
    try:
        membership = membership_in(user, int(request.POST.get("workspace", "")))
    except (ValueError, NotFound):
        raise Http404("No such workspace.") from None
    act_from_now_on(request, membership)
    # To the library: the page the switch was made on shows the workspace just left.
    return redirect("videos:library")


def act_from_now_on(request: HttpRequest, membership: Membership) -> None:
    """Act through `membership` in this browser from now on, and say so, as the header switcher does."""
    if membership.workspace.kind == Workspace.Kind.PERSONAL:
        request.session.pop(SESSION_KEY, None)  # the default: nothing to remember
    else:
        request.session[SESSION_KEY] = membership.workspace_id
    request_acts_through(request, membership)  # the rest of this request (its page, its messages) acts there too
    messages.info(request, f"You are now in “{membership.workspace.name}”.")


Found = TypeVar("Found")


def found_following_link(request: HttpRequest, find: Callable[[Membership], Found], *, rows: QuerySet[Any]) -> Found:
    """What `find` (a page's `<thing>_get_for_user`) finds in the acting workspace; failing that, in
    the workspace of the object `rows` holds (its one row, by the link's key) when the person is a
    member there: then this browser acts there from now on, as if the header had switched to it (a
    link from a digest e-mail, a session URL, a teammate's message, a fresh sign-in). A non-member
    gets the same 404 as before: nothing says the object exists."""
    acting = acting_membership(request)
    try:
        return find(acting)
    except Http404:
        user = request.user
        assert isinstance(user, User)
        workspace_id = rows.values_list("workspace_id", flat=True).first()
        if workspace_id is None or workspace_id == acting.workspace_id:
            raise
        membership = membership_or_none(user, workspace_id)
        if membership is None:
            raise
        found = find(membership)  # still a 404 when it is out of sight there too (a deleted project's)
        act_from_now_on(request, membership)
        return found
