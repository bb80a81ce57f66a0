"""Which workspaces a person belongs to and with what role; members, invitations and seats."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.services import hash_token_secret
from sage.errors import NotFound
from workspaces.models import ROLE_RANK, Invitation, Membership, Role, Workspace
from workspaces.registry import PlanTerms, Work, payer, registered_work


def workspaces_of(user: User) -> QuerySet[Workspace]:
    """The workspaces `user` belongs to, the personal one first ("personal" sorts before "team"),
    then by name."""
    return Workspace.objects.filter(memberships__user=user).order_by("kind", "name", "pk")


def plan_holder_of(workspace_id: int) -> int | None:
    """Whose plan pays for workspace `workspace_id`: the account of a personal workspace, a team's
    owner (None: a team whose owner's account is gone)."""
    return (
        Membership.objects.filter(workspace_id=workspace_id, role=Role.OWNER).values_list("user_id", flat=True).first()
    )


def workspaces_paid_by(user_id: int) -> QuerySet[Workspace]:
    """The workspaces one person's plan pays for: their personal one and the teams they own. Its
    limits that are totals (storage) are counted over all of them: one plan, one allowance."""
    return Workspace.objects.filter(memberships__user_id=user_id, memberships__role=Role.OWNER)


def personal_workspace_of(user: User) -> Workspace:
    return Workspace.objects.get(created_by=user, kind=Workspace.Kind.PERSONAL)


def membership_in(user: User, workspace_id: object) -> Membership:
    """`user`'s membership of workspace `workspace_id`; NotFound (a 404) when they are not a member,
    whether or not it exists: another team's ids say nothing."""
    if not isinstance(workspace_id, int) or isinstance(workspace_id, bool):
        raise NotFound("No such workspace.")
    membership = Membership.objects.select_related("workspace").filter(user=user, workspace_id=workspace_id).first()
    if membership is None:
        raise NotFound("No such workspace.")
    return membership


def memberships_of(user: User) -> QuerySet[Membership]:
    """`user`'s memberships with their workspaces and member counts, in `workspaces_of`'s order."""
    return (
        Membership.objects.filter(user=user)
        .select_related("workspace")
        .annotate(member_count=Count("workspace__memberships"))
        .order_by("workspace__kind", "workspace__name", "workspace__pk")
    )


def members_of(workspace: Workspace) -> QuerySet[Membership]:
    """The workspace's members with their accounts: the owner first, then by role, then by joining."""
    rank = Case(*(When(role=role, then=Value(rank)) for role, rank in ROLE_RANK.items()))
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .annotate(role_rank=rank)
        .order_by("-role_rank", "created_at", "pk")
    )


def member_in(workspace: Workspace, user_id: object) -> Membership:
    """The membership of account `user_id` in `workspace`; NotFound when they are not a member."""
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise NotFound("No such member.")
    membership = Membership.objects.select_related("user", "workspace").filter(workspace=workspace, user_id=user_id)
    found = membership.first()
    if found is None:
        raise NotFound("No such member.")
    return found


def invitations_of(workspace: Workspace) -> QuerySet[Invitation]:
    """Every invitation of the workspace, newest first, with who sent it."""
    return Invitation.objects.filter(workspace=workspace).select_related("invited_by").order_by("-created_at", "-pk")


def invitation_in(workspace: Workspace, invitation_id: object) -> Invitation:
    """Invitation `invitation_id` of `workspace`; NotFound for another workspace's (or none)."""
    if not isinstance(invitation_id, int) or isinstance(invitation_id, bool):
        raise NotFound("No such invitation.")
    invitation = invitations_of(workspace).filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link's token opens, whatever its state (the page says which), or None."""
    return (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_digest=hash_token_secret(token))
        .first()
    )


def plan_of(user: User) -> PlanTerms:
    """The plan `user` is on (billing's: subscriptions move it)."""
    return payer().plan_of(user)


def owner_of(workspace: Workspace) -> User | None:
    """The workspace's owner; None once an operator deleted the owner's account."""
    owner = Membership.objects.select_related("user").filter(workspace=workspace, role=Role.OWNER).first()
    return owner.user if owner is not None else None


def seats_of(workspace: Workspace) -> int:
    """People the workspace may hold: its owner's plan's seats (a personal workspace: its one). With
    no owner (their account was deleted) no plan pays for seats: nobody more may join."""
    if workspace.kind == Workspace.Kind.PERSONAL:
        return 1
    owner = owner_of(workspace)
    return plan_of(owner).seats if owner is not None else 0


def pending_invitations(workspace: Workspace) -> QuerySet[Invitation]:
    """Invitations that still hold a seat: neither accepted nor revoked, and not expired."""
    return Invitation.objects.filter(
        workspace=workspace, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def seats_taken(workspace: Workspace) -> int:
    """Members plus pending invitations: what counts against the seats."""
    return Membership.objects.filter(workspace=workspace).count() + pending_invitations(workspace).count()


# --- an owner's account going ----------------------------------------------------------------------


@dataclass(frozen=True)
class OwnedTeam:
    workspace: Workspace
    other_members: int
    work: tuple[tuple[Work, int], ...]  # the registered work its deletion names, and how many rows
    tokens: int  # its wallet's balance

    @property
    def counts(self) -> dict[str, int]:
        """What goes with it, by name: {"videos": 3, "tokens": 1000} (the audit log's details)."""
        named = {work.counted_as[1]: count for work, count in self.work if work.counted_as is not None}
        return {**named, "tokens": self.tokens}

    @property
    def description(self) -> str:
        """How the account's deletion names it: what goes with it."""
        parts = [_counted(count, *work.counted_as) for work, count in self.work if work.counted_as is not None]
        parts.append(_counted(self.tokens, "token", "tokens"))
        name = self.workspace.name
        return f"Team workspace “{name}” (no other member), with its {' and its '.join(parts)}"


def _counted(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def teams_owned_by(user: User) -> list[OwnedTeam]:
    """The team workspaces `user` owns, each with how many other people are in it, the work its
    deletion names (registered by the apps: videos) and its wallet's balance: what deleting the
    account would refuse (teams with others: they would be left with no owner) or take with it (teams
    of one, as their personal workspace)."""
    teams = list(
        # By a subquery, not a join on memberships: the count below must see every member, not the owner's row.
        Workspace.objects.filter(
            kind=Workspace.Kind.TEAM,
            pk__in=Membership.objects.filter(user=user, role=Role.OWNER).values("workspace_id"),
        )
        .annotate(members=Count("memberships", distinct=True))
        .order_by("created_at", "pk")
    )
    if not teams:
        return []
    named = [work for work in registered_work() if work.counted_as is not None]
    # One query per kind of work for all the teams: rows per workspace.
    counts = {
        work: dict(
            work.model._default_manager.filter(workspace__in=teams)
            .order_by()
            .values_list("workspace")
            .annotate(n=Count("pk"))
        )
        for work in named
    }
    return [
        OwnedTeam(
            workspace=team,
            other_members=team.members - 1,
            work=tuple((work, counts[work].get(team.pk, 0)) for work in named),
            tokens=payer().tokens_of(team.pk),
        )
        for team in teams
    ]


def account_deletion_refusal(user: User) -> str | None:
    """Why `user`'s account may not be deleted now, or None: it owns team workspaces others work in,
    which would be left with nobody to manage them, pay for them or hand them on."""
    blocking = [team for team in teams_owned_by(user) if team.other_members > 0]
    if not blocking:
        return None
    names = ", ".join(
        f"“{team.workspace.name}” ({team.other_members} other member{'s' if team.other_members != 1 else ''})"
        for team in blocking
    )
    return (
        f"{user.email} owns the team workspace{'s' if len(blocking) != 1 else ''} {names}. Transfer "
        "ownership to another member first (the workspace's page, Transfer ownership), or remove its other members."
    )
