"""The workspace pages: my workspaces, one workspace's settings (members, invitations, roles,
transfer), and the page an invitation link opens. Every rule is the services'; a refusal is shown as
a message on the page it came from."""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from sage.errors import ApplicationError, NotFound
from workspaces.current import SESSION_KEY
from workspaces.doors import NOT_WORKSPACE_WORK, workspace_actions
from workspaces.forms import InvitationForm, RoleForm, TransferForm, WorkspaceNameForm, roles_up_to
from workspaces.invitations import (
    invitation_accept,
    invitation_create,
    invitation_is_for,
    invitation_resend,
    invitation_revoke,
    invitation_unusable_reason,
)
from workspaces.models import Invitation, Membership, Role, Workspace
from workspaces.policy import may
from workspaces.selectors import (
    invitation_by_token,
    invitation_in,
    invitations_of,
    member_in,
    members_of,
    membership_in,
    memberships_of,
    seats_of,
    seats_taken,
)
from workspaces.services import (
    may_create_team,
    member_change_role,
    membership_remove,
    ownership_transfer,
    workspace_create_team,
    workspace_rename,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _membership(request: HttpRequest, workspace_id: int) -> Membership:
    """The signed-in person's membership of the workspace; a 404 page for anyone else."""
    try:
        return membership_in(_user(request), workspace_id)
    except NotFound:
        raise Http404("No such workspace.") from None


def _back(workspace: Workspace | int) -> HttpResponse:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return redirect("workspaces:workspace", workspace_id=workspace_id)


def _refused(request: HttpRequest, exc: ApplicationError, workspace_id: int) -> HttpResponse:
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    messages.error(request, exc.message)
    return _back(workspace_id)


# --- my workspaces -------------------------------------------------------------------------------


def _render_list(request: HttpRequest, *, form: WorkspaceNameForm | None = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    context = {
        "memberships": memberships_of(user),
        "may_create_team": may_create_team(user),
        "form": form or WorkspaceNameForm(),
    }
    return render(request, "workspaces/list.html", context, status=status)


@require_GET
@login_required
def workspace_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request)


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceNameForm(request.POST)
    if not form.is_valid():
        return _render_list(request, form=form, status=400)
    try:
        workspace = workspace_create_team(user=_user(request), name=form.cleaned_data["name"])
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _render_list(request, form=form, status=exc.status)
    messages.success(request, f"Workspace “{workspace.name}” created. Invite people to it below.")
    return _back(workspace)


# --- one workspace -------------------------------------------------------------------------------


def _render_workspace(
    request: HttpRequest,
    membership: Membership,
    *,
    invitation_form: InvitationForm | None = None,
    rename_form: WorkspaceNameForm | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = membership.workspace
    members = list(members_of(workspace))
    is_admin = may(membership.actor(), "workspace.manage_members", workspace_id=workspace.pk)
    context = {
        "membership": membership,
        "workspace": workspace,
        "is_team": workspace.kind == Workspace.Kind.TEAM,
        "is_admin": is_admin,
        "is_owner": membership.role == Role.OWNER,
        "members": members,
        "role_choices": roles_up_to(membership),
        "invitations": invitations_of(workspace) if is_admin else [],
        "seats": seats_of(workspace),
        "seats_taken": seats_taken(workspace),
        "invitation_form": invitation_form or InvitationForm(membership=membership),
        "rename_form": rename_form or WorkspaceNameForm(initial={"name": workspace.name}),
        "transfer_form": TransferForm(members=members),
    }
    return render(request, "workspaces/workspace.html", context, status=status)


@require_GET
@login_required
def workspace_page(request: HttpRequest, workspace_id: int) -> HttpResponse:
    return _render_workspace(request, _membership(request, workspace_id))


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def workspace_rename_view(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    form = WorkspaceNameForm(request.POST)
    if not form.is_valid():
        return _render_workspace(request, membership, rename_form=form, status=400)
    try:
        workspace_rename(membership=membership, name=form.cleaned_data["name"])
    except ApplicationError as exc:
        return _refused(request, exc, workspace_id)
    messages.success(request, "Workspace renamed.")
    return _back(workspace_id)


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def invitation_create_view(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    form = InvitationForm(request.POST, membership=membership)
    if not form.is_valid():
        return _render_workspace(request, membership, invitation_form=form, status=400)
    try:
        invitation = invitation_create(membership=membership, **form.cleaned_data)
    except ApplicationError as exc:
        if isinstance(exc, NotFound):
            raise Http404(exc.message) from None
        # Shown at the top of the page (a viewer's page has no invitation form to show it by), with
        # the form as it was filled in.
        messages.error(request, exc.message)
        return _render_workspace(request, membership, invitation_form=form, status=exc.status)
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return _back(workspace_id)


def _invitation_change(
    request: HttpRequest,
    workspace_id: int,
    invitation_id: int,
    *,
    change: Callable[..., Invitation],
    done: Callable[[Invitation], str],
) -> HttpResponse:
    """The one handler of every change to one invitation: `change` is its service, `done` the sentence
    that says it was done."""
    membership = _membership(request, workspace_id)
    try:
        invitation = change(membership=membership, invitation=invitation_in(membership.workspace, invitation_id))
    except ApplicationError as exc:
        return _refused(request, exc, workspace_id)
    messages.success(request, done(invitation))
    return _back(workspace_id)


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def invitation_revoke_view(request: HttpRequest, workspace_id: int, invitation_id: int) -> HttpResponse:
    return _invitation_change(
        request,
        workspace_id,
        invitation_id,
        change=invitation_revoke,
        done=lambda invitation: f"Invitation to {invitation.email} revoked: its link no longer works.",
    )


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def invitation_resend_view(request: HttpRequest, workspace_id: int, invitation_id: int) -> HttpResponse:
    return _invitation_change(
        request,
        workspace_id,
        invitation_id,
        change=invitation_resend,
        done=lambda invitation: f"Invitation sent to {invitation.email} again; the link sent before no longer works.",
    )


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def member_role_view(request: HttpRequest, workspace_id: int, user_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role from the list.")
        return _back(workspace_id)
    try:
        member = member_change_role(
            membership=membership, member=member_in(membership.workspace, user_id), role=form.cleaned_data["role"]
        )
    except ApplicationError as exc:
        return _refused(request, exc, workspace_id)
    messages.success(request, f"{member.user.name} is now {Role(member.role).label.lower()}.")
    return _back(workspace_id)


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def member_remove_view(request: HttpRequest, workspace_id: int, user_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    try:
        member = member_in(membership.workspace, user_id)
        membership_remove(membership=membership, member=member)
    except ApplicationError as exc:
        return _refused(request, exc, workspace_id)
    if member.pk == membership.pk:
        messages.success(request, f"You left “{membership.workspace.name}”.")
        return redirect("workspaces:list")
    messages.success(request, f"{member.user.name} was removed. What they made stays in the workspace.")
    return _back(workspace_id)


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def workspace_leave_view(request: HttpRequest, workspace_id: int) -> HttpResponse:
    return member_remove_view(request, workspace_id, _user(request).pk)


@require_POST
@login_required
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def ownership_transfer_view(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    form = TransferForm(request.POST, members=list(members_of(membership.workspace)))
    if not form.is_valid():
        messages.error(request, "Choose a member of this workspace to transfer it to.")
        return _back(workspace_id)
    try:
        member = member_in(membership.workspace, form.cleaned_data["user_id"])
        ownership_transfer(membership=membership, member=member)
    except ApplicationError as exc:
        return _refused(request, exc, workspace_id)
    messages.success(request, f"{member.user.name} now owns this workspace; you are an admin of it.")
    return _back(workspace_id)


# --- the invitation link -------------------------------------------------------------------------


def _render_invitation(
    request: HttpRequest, *, state: str, invitation: Invitation | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    here = request.path
    context = {
        "state": state,
        "invitation": invitation,
        "error": error,
        "signup_open": get_adapter(request).is_open_for_signup(request),
        "signup_url": f"{reverse('account_signup')}?{urlencode({'next': here})}",
        "login_url": f"{reverse('account_login')}?{urlencode({'next': here})}",
    }
    response = render(request, "workspaces/invitation.html", context, status=status)
    # The token in this page's address is a capability: no other site's logs, no cache, no index.
    # `same-origin`, not `no-referrer`: under no-referrer Chromium sends `Origin: null` with the page's
    # own Accept POST, which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "POST"])
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # the workspace in the path: its services ask the policy
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    """`/workspaces/invitations/<token>/`: signed out, sign up (the invited address filled in and
    counted as verified: the link reached it) or sign in, and come back here; signed in as the
    invited address, accept; as another account, a refusal that says which account is signed in."""
    invitation = invitation_by_token(token)
    if invitation is None:
        return _render_invitation(request, state="unknown", status=404)
    reason = invitation_unusable_reason(invitation)
    if reason is not None:
        return _render_invitation(request, state="unusable", invitation=invitation, error=reason, status=410)
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.path)
        get_adapter(request).stash_verified_email(request, invitation.email)
        return _render_invitation(request, state="signed_out", invitation=invitation)
    user = _user(request)
    if not invitation_is_for(invitation, user):
        return _render_invitation(request, state="wrong_account", invitation=invitation, status=403)
    if request.method == "GET":
        return _render_invitation(request, state="accept", invitation=invitation)
    try:
        membership = invitation_accept(invitation=invitation, user=user)
    except ApplicationError as exc:
        return _render_invitation(
            request, state="unusable", invitation=invitation, error=exc.message, status=exc.status
        )
    # Joined, they work there at once: the header switcher shows the team, the library its videos.
    request.session[SESSION_KEY] = membership.workspace_id
    messages.success(request, f"You joined “{membership.workspace.name}” as {Role(membership.role).label.lower()}.")
    return _back(membership.workspace)
