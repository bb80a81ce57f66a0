"""The activity page (any member of the acting workspace) and the audit page (its admins)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User
from activity.forms import AuditFilterForm
from activity.presenters import event_line
from activity.selectors import AuditFilters, Cursor, activity_for_workspace, audit_for_workspace
from sage.errors import NotFound
from workspaces.current import acting_membership
from workspaces.policy import may, require

AUDIT_PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


@require_GET
@login_required
def activity_page(request: HttpRequest) -> HttpResponse:
    membership = acting_membership(request)  # read once, here: what follows takes it as an argument
    before = None
    if cursor := request.GET.get("before"):
        try:
            before = Cursor.decode(cursor)
        except NotFound:
            # An old or edited link: the newest events, and a word about it, rather than an error page.
            messages.error(request, "That place in the feed was not found: here are the newest events.")
    page = activity_for_workspace(membership.workspace_id, before=before)
    return render(
        request,
        "activity/feed.html",
        {
            "workspace": membership.workspace,
            "lines": [event_line(event) for event in page.events],
            "next_cursor": page.next.encode() if page.next else None,
            "continued": before is not None,
            "may_audit": may(membership.actor(), "workspace.audit", workspace_id=membership.workspace_id),
            "section": "activity",
        },
    )


@require_GET
@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    membership = acting_membership(request)
    # Anyone else: a 403 saying who may.
    require(membership.actor(), "workspace.audit", workspace_id=membership.workspace_id)
    form = AuditFilterForm(request.GET or None)
    entries = audit_for_workspace(membership.workspace_id, form.filters() if form.is_valid() else AuditFilters())
    if form.is_bound and not form.is_valid():
        entries = entries.none()  # the form says what is wrong; "everything" would not be what was asked
    paginator = Paginator(entries, AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "activity/audit.html",
        {
            "workspace": membership.workspace,
            "form": form,
            "entries": page,
            "filter_query": query.urlencode(),
            "section": "activity",
        },
    )
