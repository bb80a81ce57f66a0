"""The header's workspace switcher: which workspaces a person may act in, and moving between them.

The choice lives in the session (workspaces.current.SESSION_KEY), so each browser keeps its own, and
a page opened after a switch lists that workspace's videos, notes, comparisons and conversations.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST

from accounts.models import User
from sage.errors import NotFound
from workspaces.current import SESSION_KEY, acting_membership, request_acts_through
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
    if membership.workspace.kind == Workspace.Kind.PERSONAL:
        request.session.pop(SESSION_KEY, None)  # the default: nothing to remember
    else:
        request.session[SESSION_KEY] = membership.workspace_id
    request_acts_through(request, membership)  # the rest of this request (its messages) acts there too
    messages.info(request, f"You are now in “{membership.workspace.name}”.")
    # To the library: the page the switch was made on shows the workspace just left.
    return redirect("videos:library")
