"""Creating workspaces and managing their members (invitations: workspaces.invitations).

Every rule about who may do what is here, so pages and the API refuse alike: roles are ranked
(`workspaces.policy`); a team workspace holds at most its owner's plan's seats, counting members and
pending invitations; the owner is changed only by a transfer, and a personal workspace has one member.
Seat counts are checked under a lock on the workspace row, so two invitations at once cannot both
take the last seat.
"""

from __future__ import annotations

import functools

from django.db import transaction

from accounts.models import User
from activity.models import ActivityEvent, AuditEntry
from activity.services import Target, activity_record, audit_record
from sage.errors import ApplicationError, Conflict, NotFound
from workspaces import live
from workspaces.models import Membership, Role, Workspace
from workspaces.policy import decide, reaches
from workspaces.registry import payer
from workspaces.selectors import plan_of, seats_of, seats_taken

# --- refusals ------------------------------------------------------------------------------------


# What a member whose role does not reach hears, said before their input is read as well (the API).
RENAME_REFUSAL = "Only admins of this workspace can rename it."
CHANGE_ROLE_REFUSAL = "Only admins of this workspace can change roles."
TRANSFER_REFUSAL = "Only the owner of this workspace can transfer it."


class RoleRequired(ApplicationError):
    """The acting member's role does not allow this (403), said in a sentence."""

    code = "permission_denied"
    status = 403
    default_message = "Your role in this workspace does not allow this."


class TeamPlanRequired(ApplicationError):
    code = "team_plan_required"
    status = 403
    default_message = "Team workspaces come with the Team plan: change your plan on the billing page, then create one."


class NoFreeSeat(Conflict):
    code = "no_free_seat"


class AlreadyMember(Conflict):
    code = "already_member"


class PersonalWorkspace(Conflict):
    code = "personal_workspace"
    default_message = "A personal workspace is yours alone: create a team workspace to work with others."


# --- workspaces ----------------------------------------------------------------------------------


def personal_workspace_name(display_name: str, email: str) -> str:
    """What a personal workspace is called: its owner's name, else the address's local part."""
    return (display_name or email.split("@")[0] or "My workspace")[:80]


@transaction.atomic
def workspace_create_personal(*, user: User) -> Workspace:
    """The account's personal workspace, with the account as its owner (made once; the same one
    after)."""
    workspace, created = Workspace.objects.get_or_create(
        created_by=user,
        kind=Workspace.Kind.PERSONAL,
        defaults={"name": personal_workspace_name(user.display_name, user.email)},
    )
    if created:
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
        payer().workspace_made(workspace)  # its wallet: the account's own
    if user.personal_workspace_id != workspace.pk:
        # Named on the account's row, which every request loads: acting in it costs no query.
        User.objects.filter(pk=user.pk).update(personal_workspace=workspace)
        user.personal_workspace = workspace
    return workspace


def may_create_team(user: User) -> bool:
    """Whether `user`'s plan lets them own team workspaces: a plan of more than one seat."""
    return plan_of(user).seats > 1


@transaction.atomic
def workspace_create_team(*, user: User, name: str) -> Workspace:
    """A new team workspace owned by `user`, whose plan must allow teams."""
    if not may_create_team(user):
        raise TeamPlanRequired()
    workspace = Workspace.objects.create(name=name.strip()[:80], kind=Workspace.Kind.TEAM, created_by=user)
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    # Its own wallet, on the owner's plan: work done in it is paid from it, not from the members'.
    payer().workspace_made(workspace)
    return workspace


def workspace_rename(*, membership: Membership, name: str) -> Workspace:
    require_may(membership, "workspace.rename", RENAME_REFUSAL)
    workspace = membership.workspace
    workspace.name = name.strip()[:80]
    workspace.save(update_fields=["name"])
    return workspace


# --- members -------------------------------------------------------------------------------------


def member_change_role(*, membership: Membership, member: Membership, role: str) -> Membership:
    """Give `member` another role. Admins and the owner may; only the owner changes an admin; the
    owner's own role, and becoming owner, change only by a transfer."""
    require_may(membership, "workspace.manage_members", CHANGE_ROLE_REFUSAL)
    if member.role == Role.OWNER:
        raise RoleRequired("The owner's role changes only when they transfer ownership.")
    if role == Role.OWNER:
        raise RoleRequired("Nobody becomes owner this way: the owner transfers ownership instead.")
    if member.role == Role.ADMIN and membership.role != Role.OWNER:
        raise RoleRequired("Only the owner can change an admin's role.")
    require_role_within_own(membership, role, doing="make someone")
    was = member.role
    with transaction.atomic():
        member.role = role
        member.save(update_fields=["role"])
        audit_record(
            workspace_id=member.workspace_id,
            actor=membership.user,
            action=AuditEntry.Action.ROLE_CHANGED,
            target_label=f"{member.user.email}: {was} → {role}",
            details={"user_id": member.user_id, "from": was, "to": role},
        )
        live.role_changed(member.user_id, member.workspace_id, role)
    return member


def membership_remove(*, membership: Membership, member: Membership) -> None:
    """Take `member` out of the workspace: admins remove others (only the owner removes an admin),
    anyone but the owner may leave. Everything they made stays in the workspace; only the
    membership goes. Their open pages and sockets are told once it is done."""
    workspace = membership.workspace
    leaving = member.pk == membership.pk
    if workspace.kind == Workspace.Kind.PERSONAL:
        raise PersonalWorkspace("A personal workspace cannot be left: it is yours alone.")
    if member.role == Role.OWNER:
        if leaving:
            raise Conflict("The owner cannot leave: transfer ownership to another member first.")
        raise RoleRequired("The owner cannot be removed. They can transfer ownership first.")
    if leaving:
        require_may(membership, "workspace.leave", "Your role in this workspace does not allow leaving it.")
    else:
        require_may(membership, "workspace.manage_members", "Only admins of this workspace can remove members.")
        if member.role == Role.ADMIN and membership.role != Role.OWNER:
            raise RoleRequired("Only the owner can remove an admin.")
    with transaction.atomic():
        Membership.objects.filter(pk=member.pk).delete()
        record_member(member, by=membership.user, added=False, details={"left": leaving, "role": member.role})
        transaction.on_commit(
            functools.partial(live.membership_ended, user_id=member.user_id, workspace_id=workspace.pk)
        )


@transaction.atomic
def ownership_transfer(*, membership: Membership, member: Membership) -> Workspace:
    """Make `member` the owner and the owner an admin, at once. The workspace's seats then come from
    the new owner's plan, so it must hold everyone already in it.

    The workspace row is locked before anything is checked, and both memberships are read again
    under that lock: two transfers at once (two tabs, a double click) run one after the other, and
    the second sees the first's outcome (its sender no longer the owner: 403), never two owners."""
    workspace = membership.workspace
    require_team(workspace, "A personal workspace cannot be transferred.")
    workspace = lock_workspace(workspace)
    current = Membership.objects.filter(pk=membership.pk).first()
    heir = Membership.objects.select_related("user").filter(pk=member.pk, workspace=workspace).first()
    if current is None:
        raise RoleRequired(TRANSFER_REFUSAL)
    require_may(current, "workspace.transfer", TRANSFER_REFUSAL)
    if heir is None:
        raise NotFound("No such member.")
    if heir.pk == current.pk:
        raise Conflict("You own this workspace already: choose another member.")
    plan = plan_of(heir.user)
    taken = seats_taken(workspace)
    if plan.seats <= 1 or plan.seats < taken:
        raise Conflict(
            f"{heir.user.email} is on the {plan.name} plan, which has {seats_text(plan.seats)}; this workspace "
            f"needs {taken}. They need a plan with enough seats (the Team plan) before it can be theirs."
        )
    # The old owner steps down first: one owner per workspace at every statement (a DB constraint).
    Membership.objects.filter(pk=current.pk).update(role=Role.ADMIN)
    Membership.objects.filter(pk=heir.pk).update(role=Role.OWNER)
    membership.role, member.role = Role.ADMIN, Role.OWNER
    audit_record(
        workspace_id=workspace.pk,
        actor=membership.user,
        action=AuditEntry.Action.OWNERSHIP_TRANSFERRED,
        target_label=f"{membership.user.email} → {heir.user.email}",
        details={"from_user_id": current.user_id, "to_user_id": heir.user_id},
    )
    # The team's wallet is on its owner's plan (billing.wallets.wallet_change_plan): now the new one's.
    payer().owner_changed(workspace, heir.user)
    live.role_changed(current.user_id, workspace.pk, Role.ADMIN)
    live.role_changed(heir.user_id, workspace.pk, Role.OWNER)
    return workspace


def record_member(member: Membership, *, by: User, added: bool, details: dict[str, object]) -> None:
    """A member joined or went: in the workspace's feed (who, not their address) and its audit log.
    Someone who joined (accepting an invitation) or left on their own is the actor, and the
    workspace the target: "Vic joined “Studio” as a viewer", not "Vic added “Vic”"."""
    if by.pk == member.user_id:
        activity_record(
            workspace_id=member.workspace_id,
            actor=by,
            verb=ActivityEvent.Verb.MEMBER_JOINED if added else ActivityEvent.Verb.MEMBER_LEFT,
            target=Target("workspace", member.workspace_id, member.workspace.name),
            details={"role": member.role, **details},
        )
    else:
        activity_record(
            workspace_id=member.workspace_id,
            actor=by,
            verb=ActivityEvent.Verb.MEMBER_ADDED if added else ActivityEvent.Verb.MEMBER_REMOVED,
            target=Target("member", member.user_id, member.user.name),
            details=details,
        )
    audit_record(
        workspace_id=member.workspace_id,
        actor=by,
        action=AuditEntry.Action.MEMBER_ADDED if added else AuditEntry.Action.MEMBER_REMOVED,
        target_label=f"{member.user.email} ({member.role})",
        details={"user_id": member.user_id, **details},
    )


# --- helpers -------------------------------------------------------------------------------------


def require_may(membership: Membership, action: str, refusal: str) -> None:
    """The policy's answer for `membership` doing `action` in its workspace; `refusal` is the sentence
    a member hears (a 403) when it says no."""
    if decide(membership.actor(), action, workspace_id=membership.workspace_id) is not None:
        raise RoleRequired(refusal)


def require_team(workspace: Workspace, refusal: str | None = None) -> None:
    if workspace.kind != Workspace.Kind.TEAM:
        raise PersonalWorkspace(refusal)


def require_role_within_own(membership: Membership, role: str, *, doing: str) -> None:
    if role == Role.OWNER:
        raise RoleRequired("Nobody is invited as owner: the owner transfers ownership to a member instead.")
    if not reaches(membership.role, role):
        raise RoleRequired(f"You cannot {doing} {Role(role).label.lower()}: your own role is {membership.role}.")


def seats_text(count: int) -> str:
    return f"{count} seat{'s' if count != 1 else ''}"


def require_free_seat(workspace: Workspace) -> None:
    """Refuse one more member or invitation when members and pending invitations fill the seats
    (call with the workspace locked)."""
    seats = seats_of(workspace)
    if seats_taken(workspace) >= seats:
        raise NoFreeSeat(
            f"This workspace has {seats_text(seats)}, all taken by members and pending invitations. Remove a member "
            "or revoke an invitation first, or the owner can move to a plan with more seats."
        )


def lock_workspace(workspace: Workspace) -> Workspace:
    return Workspace.objects.select_for_update().get(pk=workspace.pk)
