"""Invitations by e-mail into team workspaces: made, mailed, resent, revoked and accepted.

An invitation link's token is a capability: only its digest is stored, and resending mails a new one.
A pending invitation holds a seat (workspaces.services counts members and pending invitations).
"""

from __future__ import annotations

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
from activity.models import AuditEntry
from activity.services import audit_record
from sage import ratelimit
from sage.errors import ApplicationError, Conflict, ServiceUnavailable, TooManyRequests
from workspaces.models import Invitation, Membership, Role
from workspaces.selectors import members_of, seats_of
from workspaces.services import (
    AlreadyMember,
    NoFreeSeat,
    lock_workspace,
    record_member,
    require_free_seat,
    require_may,
    require_role_within_own,
    require_team,
)

logger = logging.getLogger(__name__)

# How long an invitation link works after it was (last) sent.
INVITATION_DAYS = 7
# What a member whose role does not reach hears, said before their input is read as well (the API).
INVITE_REFUSAL = "Only admins of this workspace can invite people."
# Invitations one account may send (new ones and resends) an hour: each is an e-mail to a stranger's
# address, so the form must not become a way to mail people in bulk.
INVITATIONS_SENT_PER_HOUR = 30
# 32 random bytes: 256 bits, as share links and API tokens have.
TOKEN_BYTES = 32


# --- refusals ------------------------------------------------------------------------------------


class AlreadyInvited(Conflict):
    code = "already_invited"


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


# --- invitations ---------------------------------------------------------------------------------


def invitation_create(*, membership: Membership, email: str, role: str) -> Invitation:
    """Invite `email` to the member's team workspace as `role` (at most the inviter's own, never
    owner), and mail them the link. Refused when the address is a member or has a pending invitation,
    or when no seat is free."""
    email = email.strip().lower()
    workspace = membership.workspace
    require_team(workspace)
    require_may(membership, "workspace.manage_members", INVITE_REFUSAL)
    require_role_within_own(membership, role, doing="invite someone")
    # Counted before the address is checked: refused invitations cost as much as sent ones, so the
    # form cannot be used to probe who is a member.
    _count_sent(membership.user)
    token = _new_token()
    with transaction.atomic():
        lock_workspace(workspace)
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
        require_free_seat(workspace)
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
        audit_record(
            workspace_id=workspace.pk,
            actor=membership.user,
            action=AuditEntry.Action.INVITATION_SENT,
            target_label=f"{email} ({role})",
            details={"invitation_id": invitation.pk, "role": role},
        )
    _mail(invitation, token)
    return invitation


def invitation_revoke(*, membership: Membership, invitation: Invitation) -> Invitation:
    """Stop the invitation's link at once and free its seat (revoking twice changes nothing)."""
    require_may(membership, "workspace.manage_members", "Only admins of this workspace can revoke invitations.")
    if invitation.accepted_at is not None:
        raise InvitationClosed("This invitation was accepted: remove the member instead.")
    if invitation.revoked_at is None:
        with transaction.atomic():
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit_record(
                workspace_id=invitation.workspace_id,
                actor=membership.user,
                action=AuditEntry.Action.INVITATION_REVOKED,
                target_label=f"{invitation.email} ({invitation.role})",
                details={"invitation_id": invitation.pk},
            )
    return invitation


def invitation_resend(*, membership: Membership, invitation: Invitation) -> Invitation:
    """Mail a new link, good for another INVITATION_DAYS; the link sent before stops working."""
    require_may(membership, "workspace.manage_members", "Only admins of this workspace can resend invitations.")
    if invitation.accepted_at is not None:
        raise InvitationClosed("This invitation was accepted already.")
    if invitation.revoked_at is not None:
        raise InvitationClosed("This invitation was revoked: invite the address again instead.")
    _count_sent(membership.user)
    token = _new_token()
    with transaction.atomic():
        workspace = lock_workspace(invitation.workspace)
        if invitation.state == Invitation.State.EXPIRED:
            # An expired invitation held no seat; sent again, it takes one.
            require_free_seat(workspace)
        now = timezone.now()
        invitation.token_digest = hash_token_secret(token)
        invitation.sent_at = now
        invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
        invitation.save(update_fields=["token_digest", "sent_at", "expires_at"])
        audit_record(
            workspace_id=workspace.pk,
            actor=membership.user,
            action=AuditEntry.Action.INVITATION_RESENT,
            target_label=f"{invitation.email} ({invitation.role})",
            details={"invitation_id": invitation.pk, "role": invitation.role},
        )
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
    workspace = lock_workspace(invitation.workspace)
    membership = Membership.objects.select_related("workspace").filter(workspace=workspace, user=user).first()
    if membership is None:
        # The invitation held a seat; it needs a free one still if the owner's plan shrank since.
        if Membership.objects.filter(workspace=workspace).count() >= seats_of(workspace):
            raise NoFreeSeat(
                "This workspace has no free seat now. Ask the person who invited you to make room, then try again."
            )
        membership = Membership.objects.create(workspace=workspace, user=user, role=invitation.role)
        record_member(membership, by=user, added=True, details={"invitation_id": invitation.pk})
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


# --- helpers -------------------------------------------------------------------------------------


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
