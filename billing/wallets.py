"""Wallets: the one row lock every movement of tokens takes, and what a wallet is read for.

Tokens move in billing.ledger; a wallet's first grant and its monthly grants are ledger entries too
(billing.ledger.wallet_create, wallet_grant_for_period).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from billing.models import Plan, Wallet
from sage.sql import TableNames, attnames, sql
from workspaces.models import Membership, Role, Workspace

# The one wallet lock: every movement of tokens takes it first, and holds it until its transaction
# ends. One statement of fixed SQL, because a chat answer takes it before its first word and the ORM
# spent longer building its query than Postgres took to run it (bench/chat.py). The plan is joined
# and read, not locked (`OF w`): a bare FOR UPDATE would lock the plan's one row too, and every
# user's answers, holds and grants on that plan would queue behind each other.
_LOCK_WALLET = """
SELECT {w.columns}, {p.columns}
FROM {Wallet} w JOIN {Plan} p ON {p.id} = {w.plan}
WHERE {by} = %s
FOR UPDATE OF w
"""
_WALLET, _PLAN = TableNames(Wallet, alias="w"), TableNames(Plan, alias="p")
_LOCK_WALLET_OF_USER_SQL = sql(_LOCK_WALLET, Wallet=Wallet, Plan=Plan, w=_WALLET, p=_PLAN, by=_WALLET.user)
_LOCK_WALLET_BY_ID_SQL = sql(_LOCK_WALLET, Wallet=Wallet, Plan=Plan, w=_WALLET, p=_PLAN, by=_WALLET.id)
_LOCK_WALLET_OF_WORKSPACE_SQL = sql(_LOCK_WALLET, Wallet=Wallet, Plan=Plan, w=_WALLET, p=_PLAN, by=_WALLET.workspace)
_WALLET_FIELDS = attnames(Wallet)
_PLAN_FIELDS = attnames(Plan)


def wallet_locked(
    *, user_id: int | None = None, wallet_id: int | None = None, workspace_id: int | None = None
) -> Wallet:
    """One wallet (with its plan), by the account whose personal wallet it is, its id or its
    workspace, locked until the caller's transaction ends (Wallet.DoesNotExist if there is none:
    billing.ledger.lock_wallet makes a personal one on first use)."""
    if wallet_id is not None:
        statement, by = _LOCK_WALLET_BY_ID_SQL, wallet_id
    elif workspace_id is not None:
        statement, by = _LOCK_WALLET_OF_WORKSPACE_SQL, workspace_id
    elif user_id is not None:
        statement, by = _LOCK_WALLET_OF_USER_SQL, user_id
    else:
        raise TypeError("wallet_locked needs a user_id, a wallet_id or a workspace_id.")
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise TransactionManagementError("A wallet is locked inside the transaction that uses it.")
    with connection.cursor() as cursor:
        cursor.execute(statement, [by])
        row = cursor.fetchone()
    if row is None:
        raise Wallet.DoesNotExist(f"No wallet for {by} (user, wallet or workspace id).")
    wallet = Wallet.from_db(connection.alias, _WALLET_FIELDS, row[: len(_WALLET_FIELDS)])
    wallet.plan = Plan.from_db(connection.alias, _PLAN_FIELDS, row[len(_WALLET_FIELDS) :])
    return wallet


def current_period_start(now: dt.datetime | None = None) -> dt.date:
    """Periods are calendar months in UTC."""
    return (now or timezone.now()).astimezone(dt.UTC).date().replace(day=1)


def default_plan() -> Plan:
    plan = Plan.objects.filter(is_default=True).first() or Plan.objects.order_by("sort_order", "pk").first()
    if plan is None:
        raise RuntimeError("No billing plan exists; run migrations (they create Free, Pro and Team).")
    return plan


@transaction.atomic
def wallet_change_plan(*, wallet: Wallet, plan: Plan) -> Wallet:
    """Put the wallet on `plan`; a person's plan is also the plan of the team workspaces they own
    (their seats, limits and monthly tokens), so those wallets move with it."""
    Wallet.objects.filter(pk=wallet.pk).update(plan=plan, updated_at=timezone.now())
    if wallet.user_id is not None:
        team_wallets_owned_by(wallet.user_id).update(plan=plan, updated_at=timezone.now())
    wallet.plan = plan
    return wallet


def granted_team_of(workspace_id: int) -> Workspace | None:
    """The one team workspace, of those the owner of team workspace `workspace_id` owns, that their
    plan's monthly tokens go to: the oldest. One plan, one grant: a studio on the Team plan pays for
    50 hours a month, and a second workspace (a client's, a side project) organises that work rather
    than doubling it; the first team is the one the plan was bought for, and a grant that does not
    move as workspaces come and go keeps each team's month predictable. None: it has no owner (the
    plan that paid is gone)."""
    owner_id = (
        Membership.objects.filter(workspace_id=workspace_id, role=Role.OWNER).values_list("user_id", flat=True).first()
    )
    if owner_id is None:
        return None
    return (
        Workspace.objects.filter(kind=Workspace.Kind.TEAM, memberships__user_id=owner_id, memberships__role=Role.OWNER)
        .order_by("created_at", "pk")
        .first()
    )


def team_wallets_owned_by(user_id: int) -> QuerySet[Wallet]:
    return Wallet.objects.filter(
        workspace__kind=Workspace.Kind.TEAM,
        workspace__memberships__user_id=user_id,
        workspace__memberships__role=Role.OWNER,
    )
