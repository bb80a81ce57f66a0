"""Creating workspaces, inviting people into team workspaces, and managing their members.

Every rule about who may do what is here, so pages and the API refuse alike: roles are ranked
(`Membership.may`); a team workspace holds at most its owner's plan's seats, counting members and
pending invitations; the owner is changed only by a transfer, and a personal workspace has one member.
Seat counts are checked under a lock on the workspace row, so two invitations at once cannot both
take the last seat.
"""

from __future__ import annotations

import functools
import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import hash_token_secret
from sage import ratelimit
from sage.errors import ApplicationError, Conflict, ServiceUnavailable, TooManyRequests
from workspaces import live
from workspaces.models import ROLE_RANK, Invitation, Membership, Role, Workspace
from workspaces.selectors import members_of, pending_invitations, plan_of, seats_of

logger = logging.getLogger(__name__)

# How long an invitation link works after it was (last) sent.
INVITATION_DAYS = 7
# Invitations one account may send (new ones and resends) an hour: each is an e-mail to a stranger's
# address, so the form must not become a way to mail people in bulk.
INVITATIONS_SENT_PER_HOUR = 30
# 32 random bytes: 256 bits, as share links and API tokens have.
TOKEN_BYTES = 32


# --- refusals ------------------------------------------------------------------------------------


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


class AlreadyInvited(Conflict):
    code = "already_invited"


class PersonalWorkspace(Conflict):
    code = "personal_workspace"
    default_message = "A personal workspace is yours alone: create a team workspace to work with others."


class InvitationClosed(Conflict):
    """Revoking or resending an invitation that was accepted or revoked."""

    code = "invitation_closed"


class InvitationUnusable(ApplicationError):
    """A link that no longer opens anything: expired, revoked, or already used (410, as for a link
    that existed and is gone)."""

    status = 410
    code = "invitation_unusable"


class WrongAccount(ApplicationError):
    code = "wrong_account"
    status = 403


class InvitationRateExceeded(TooManyRequests):
    def __init__(self, retry_after: float) -> None:
        super().__init__(
            f"You have sent {INVITATIONS_SENT_PER_HOUR} invitations in the last hour: wait a little and try again."
        )
        self.retry_after = max(1, round(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class InvitationNotSent(ServiceUnavailable):
    code = "mail_not_sent"
    default_message = "The invitation is saved, but its e-mail could not be sent: resend it in a moment."


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
    return workspace


def workspace_rename(*, membership: Membership, name: str) -> Workspace:
    _require(membership, Role.ADMIN, "Only admins of this workspace can rename it.")
    workspace = membership.workspace
    workspace.name = name.strip()[:80]
    workspace.save(update_fields=["name"])
    return workspace


# --- invitations ---------------------------------------------------------------------------------


def invitation_create(*, membership: Membership, email: str, role: str) -> Invitation:
    """Invite `email` to the member's team workspace as `role` (at most the inviter's own, never
    owner), and mail them the link. Refused when the address is a member or has a pending invitation,
    or when no seat is free."""
    email = email.strip().lower()
    workspace = membership.workspace
    _require_team(workspace)
    _require(membership, Role.ADMIN, "Only admins of this workspace can invite people.")
    _require_role_within_own(membership, role, doing="invite someone")
    # Counted before the address is checked: refused invitations cost as much as sent ones, so the
    # form cannot be used to probe who is a member.
    _count_sent(membership.user)
    token = _new_token()
    with transaction.atomic():
        _lock(workspace)
        if members_of(workspace).filter(user__email__iexact=email).exists():
            raise AlreadyMember(f"{email} is already a member of this workspace.")
        open_invitation = Invitation.objects.filter(
            workspace=workspace, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).first()
        if open_invitation is not None and open_invitation.state == Invitation.State.PENDING:
            raise AlreadyInvited(f"{email} is already invited: resend that invitation instead.")
        if open_invitation is not None:  # expired: the new one takes its place
            open_invitation.revoked_at = timezone.now()
            open_invitation.save(update_fields=["revoked_at"])
        _require_free_seat(workspace)
        now = timezone.now()
        invitation = Invitation.objects.create(
            workspace=workspace,
            email=email,
            role=role,
            token_digest=hash_token_secret(token),
            invited_by=membership.user,
            created_at=now,
            sent_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
    _mail(invitation, token)
    return invitation


def invitation_revoke(*, membership: Membership, invitation: Invitation) -> Invitation:
    """Stop the invitation's link at once and free its seat (revoking twice changes nothing)."""
    _require(membership, Role.ADMIN, "Only admins of this workspace can revoke invitations.")
    if invitation.accepted_at is not None:
        raise InvitationClosed("This invitation was accepted: remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_resend(*, membership: Membership, invitation: Invitation) -> Invitation:
    """Mail a new link, good for another INVITATION_DAYS; the link sent before stops working."""
    _require(membership, Role.ADMIN, "Only admins of this workspace can resend invitations.")
    if invitation.accepted_at is not None:
        raise InvitationClosed("This invitation was accepted already.")
    if invitation.revoked_at is not None:
        raise InvitationClosed("This invitation was revoked: invite the address again instead.")
    _count_sent(membership.user)
    token = _new_token()
    with transaction.atomic():
        workspace = _lock(invitation.workspace)
        if invitation.state == Invitation.State.EXPIRED:
            # An expired invitation held no seat; sent again, it takes one.
            _require_free_seat(workspace)
        now = timezone.now()
        invitation.token_digest = hash_token_secret(token)
        invitation.sent_at = now
        invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
        invitation.save(update_fields=["token_digest", "sent_at", "expires_at"])
    _mail(invitation, token)
    return invitation


def invitation_unusable_reason(invitation: Invitation) -> str | None:
    """Why the invitation's link no longer works, in a sentence; None while it does."""
    state = invitation.state
    if state == Invitation.State.ACCEPTED:
        return "This invitation was already accepted. Sign in to open the workspace."
    if state == Invitation.State.REVOKED:
        return "This invitation was withdrawn. Ask the person who invited you to invite you again."
    if state == Invitation.State.EXPIRED:
        return "This invitation has expired. Ask the person who invited you to send it again."
    return None


def invitation_is_for(invitation: Invitation, user: User) -> bool:
    return user.email.strip().lower() == invitation.email


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the invitation's workspace with its role, as the account it was sent to."""
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    reason = invitation_unusable_reason(invitation)
    if reason is not None:
        raise InvitationUnusable(reason)
    if not invitation_is_for(invitation, user):
        raise WrongAccount(
            f"This invitation is for {invitation.email}, but you are signed in as {user.email}. "
            f"Log out, then open the link again and sign in as {invitation.email}."
        )
    workspace = _lock(invitation.workspace)
    membership = Membership.objects.select_related("workspace").filter(workspace=workspace, user=user).first()
    if membership is None:
        # The invitation held a seat; it needs a free one still if the owner's plan shrank since.
        if Membership.objects.filter(workspace=workspace).count() >= seats_of(workspace):
            raise NoFreeSeat(
                "This workspace has no free seat now. Ask the person who invited you to make room, then try again."
            )
        membership = Membership.objects.create(workspace=workspace, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


# --- members -------------------------------------------------------------------------------------


def member_change_role(*, membership: Membership, member: Membership, role: str) -> Membership:
    """Give `member` another role. Admins and the owner may; only the owner changes an admin; the
    owner's own role, and becoming owner, change only by a transfer."""
    _require(membership, Role.ADMIN, "Only admins of this workspace can change roles.")
    if member.role == Role.OWNER:
        raise RoleRequired("The owner's role changes only when they transfer ownership.")
    if role == Role.OWNER:
        raise RoleRequired("Nobody becomes owner this way: the owner transfers ownership instead.")
    if member.role == Role.ADMIN and membership.role != Role.OWNER:
        raise RoleRequired("Only the owner can change an admin's role.")
    _require_role_within_own(membership, role, doing="make someone")
    member.role = role
    member.save(update_fields=["role"])
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
    if not leaving:
        _require(membership, Role.ADMIN, "Only admins of this workspace can remove members.")
        if member.role == Role.ADMIN and membership.role != Role.OWNER:
            raise RoleRequired("Only the owner can remove an admin.")
    with transaction.atomic():
        Membership.objects.filter(pk=member.pk).delete()
        transaction.on_commit(
            functools.partial(live.membership_ended, user_id=member.user_id, workspace_id=workspace.pk)
        )


@transaction.atomic
def ownership_transfer(*, membership: Membership, member: Membership) -> Workspace:
    """Make `member` the owner and the owner an admin, at once. The workspace's seats then come from
    the new owner's plan, so it must hold everyone already in it."""
    workspace = membership.workspace
    _require_team(workspace, "A personal workspace cannot be transferred.")
    _require(membership, Role.OWNER, "Only the owner of this workspace can transfer it.")
    if member.pk == membership.pk:
        raise Conflict("You own this workspace already: choose another member.")
    workspace = _lock(workspace)
    plan = plan_of(member.user)
    taken = Membership.objects.filter(workspace=workspace).count() + pending_invitations(workspace).count()
    if plan.seats <= 1 or plan.seats < taken:
        raise Conflict(
            f"{member.user.email} is on the {plan.name} plan, which has {_seats(plan.seats)}; this workspace "
            f"needs {taken}. They need a plan with enough seats (the Team plan) before it can be theirs."
        )
    # The old owner steps down first: one owner per workspace at every statement (a DB constraint).
    Membership.objects.filter(pk=membership.pk).update(role=Role.ADMIN)
    Membership.objects.filter(pk=member.pk).update(role=Role.OWNER)
    membership.role, member.role = Role.ADMIN, Role.OWNER
    return workspace


# --- helpers -------------------------------------------------------------------------------------


def _require(membership: Membership, role: str, refusal: str) -> None:
    if not membership.may(role):
        raise RoleRequired(refusal)


def _require_team(workspace: Workspace, refusal: str | None = None) -> None:
    if workspace.kind != Workspace.Kind.TEAM:
        raise PersonalWorkspace(refusal)


def _require_role_within_own(membership: Membership, role: str, *, doing: str) -> None:
    if role == Role.OWNER:
        raise RoleRequired("Nobody is invited as owner: the owner transfers ownership to a member instead.")
    if ROLE_RANK[role] > ROLE_RANK[membership.role]:
        raise RoleRequired(f"You cannot {doing} {Role(role).label.lower()}: your own role is {membership.role}.")


def _seats(count: int) -> str:
    return f"{count} seat{'s' if count != 1 else ''}"


def _require_free_seat(workspace: Workspace) -> None:
    """Refuse one more member or invitation when members and pending invitations fill the seats
    (call with the workspace locked)."""
    seats = seats_of(workspace)
    taken = Membership.objects.filter(workspace=workspace).count() + pending_invitations(workspace).count()
    if taken >= seats:
        raise NoFreeSeat(
            f"This workspace has {_seats(seats)}, all taken by members and pending invitations. Remove a member "
            "or revoke an invitation first, or the owner can move to a plan with more seats."
        )


def _lock(workspace: Workspace) -> Workspace:
    return Workspace.objects.select_for_update().get(pk=workspace.pk)


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _count_sent(user: User) -> None:
    counted = ratelimit.count(
        f"workspace_invitations:{user.pk}", ratelimit.Rate(limit=INVITATIONS_SENT_PER_HOUR, period=3600)
    )
    if not counted.allowed:
        raise InvitationRateExceeded(counted.wait)


def invitation_url(token: str) -> str:
    """The link an invitation mails (absolute, from SITE_URL: a mail has no request to build it from)."""
    return f"{settings.SITE_URL}{reverse('workspaces:invitation', args=[token])}"


def _mail(invitation: Invitation, token: str) -> None:
    """Mail the invitation's link, after its transaction committed (a mail server is never waited on
    with a transaction open). A failure leaves the invitation listed, to be resent."""
    inviter = invitation.invited_by
    who = (inviter.name if inviter else "") or "Someone"
    workspace = invitation.workspace
    subject = f"{who} invited you to “{workspace.name}” on {settings.SITE_NAME}"
    body = "\n".join(
        [
            f"{who}{f' ({inviter.email})' if inviter else ''} invited you to join the workspace “{workspace.name}” "
            f"on {settings.SITE_NAME} as {Role(invitation.role).label.lower()}.",
            "",
            "Open this link to accept (you can create an account there if you have none):",
            invitation_url(token),
            "",
            f"The link works until {invitation.expires_at:%d %B %Y, %H:%M} UTC, for {invitation.email} only.",
            "If you did not expect this, ignore this e-mail.",
        ]
    )
    try:
        send_mail(subject, body + "\n", None, [invitation.email])
    except (smtplib.SMTPException, OSError):
        logger.warning("could not mail invitation %s", invitation.pk, exc_info=True)
        raise InvitationNotSent() from None
