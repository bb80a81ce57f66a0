"""The ledger: the only way tokens move.

Every movement appends one LedgerEntry with a unique idempotency key and changes the wallet
balance in the same transaction, under the wallet's row lock (billing.wallets). Locks are always
taken wallet first, then hold, so two operations never wait on each other in opposite orders.
Replaying a key returns the first result and moves nothing; the balance can never go below zero
(checked under the lock, and by a database constraint as a backstop).

Tokens owed: a take-back (a refund or dispute) that finds some of its tokens already spent takes what
the balance holds and adds the rest to `Wallet.tokens_owed`, in the same transaction. Tokens coming
back into the balance (grants of every kind, and what a closed hold returns) pay that off first: the
credit's entry records all of it, then a keyed ADJUSTMENT takes the owed part, so the ledger still
sums to the balance and the history shows the settling. While anything is owed, no new paid work
starts (`hold_create` and `ledger_debit` refuse with TokensOwed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from billing.models import Hold, LedgerEntry, PlanSubscription, Wallet
from billing.wallets import current_period_start, default_plan, granted_team_of, wallet_locked
from sage.errors import ApplicationError
from sage.realtime import push_to_workspace
from workspaces.models import Membership, Role, Workspace

Kind = LedgerEntry.Kind


class InsufficientTokens(ApplicationError):
    code = "insufficient_tokens"
    status = 402

    def __init__(self, *, needed: int, available: int, team_id: int | None = None, actor_id: int | None = None) -> None:
        self.needed = needed
        self.available = available
        # The team workspace whose wallet is short (None: a personal wallet) and who was refused (None:
        # unknown): a member who may not buy is told whom to ask, not offered a pack (billing.shortfalls).
        self.team_id = team_id
        self.actor_id = actor_id
        super().__init__(f"This needs {needed} tokens but only {available} are available.")


class TokensOwed(InsufficientTokens):
    """Paid work refused while tokens are owed (a refund or dispute took back tokens already spent).
    A kind of InsufficientTokens, so every place that handles a lack of tokens handles this too; its
    code and message are its own."""

    code = "tokens_owed"
    status = 402

    def __init__(
        self,
        *,
        owed: int,
        needed: int,
        available: int,
        team_name: str = "",
        team_id: int | None = None,
        actor_id: int | None = None,
    ) -> None:
        self.owed = owed
        self.needed = needed
        self.available = available
        self.team_id = team_id
        self.actor_id = actor_id
        # A team workspace's wallet owes for the whole workspace: the message says which.
        where = f" by the team workspace “{team_name}”" if team_name else ""
        ApplicationError.__init__(
            self,
            f"{owed:,} {'token is' if owed == 1 else 'tokens are'} owed{where} from a refund or dispute "
            "(tokens already spent were taken back), so new paid work is paused until they are paid off. "
            "Buying tokens or your next plan grant settles them.",
        )


def tokens_owed_refusal(wallet: Wallet, *, needed: int, actor_id: int | None = None) -> TokensOwed:
    """The refusal of paid work while `wallet` owes tokens, naming its workspace if it is a team's."""
    team_name = "" if wallet.user_id is not None else Workspace.objects.get(pk=wallet.workspace_id).name
    return TokensOwed(
        owed=wallet.tokens_owed,
        needed=needed,
        available=wallet.balance,
        team_name=team_name,
        team_id=_team_of(wallet),
        actor_id=actor_id,
    )


def tokens_lacking_refusal(wallet: Wallet, *, needed: int, actor_id: int | None = None) -> InsufficientTokens:
    """The refusal of work `wallet`'s balance cannot pay for, naming its team (if it is a team's) and
    who was refused (`actor_id`)."""
    return InsufficientTokens(needed=needed, available=wallet.balance, team_id=_team_of(wallet), actor_id=actor_id)


def _team_of(wallet: Wallet) -> int | None:
    return wallet.workspace_id if wallet.user_id is None else None


def ref_of(ref: models.Model | None) -> tuple[str, str]:
    """What an entry is about, as (type, id): e.g. ("video", "12"). Kept as text so any app can be named."""
    if ref is None:
        return "", ""
    return ref._meta.model_name or "", str(ref.pk)


def lock_wallet(user_id: int) -> Wallet:
    """The user's personal wallet, locked (billing.wallets.wallet_locked); made first if the account
    has none."""
    try:
        return wallet_locked(user_id=user_id)
    except Wallet.DoesNotExist:
        # Accounts made before billing existed (or by a raw insert) get their wallet on first use.
        wallet_create(user=User.objects.get(pk=user_id))
        return wallet_locked(user_id=user_id)


def lock_wallet_for_work(*, actor: User, workspace_id: int | None = None) -> Wallet:
    """The wallet that pays for work `actor` does, locked: workspace `workspace_id`'s (the one the
    request acts in, or the object's for work finished in a task), else the actor's personal one."""
    workspace_id = workspace_id if workspace_id is not None else actor.personal_workspace_id
    assert workspace_id is not None, "An account has its personal workspace from its first transaction."
    try:
        return wallet_locked(workspace_id=workspace_id)
    except Wallet.DoesNotExist:
        wallet_create_for_workspace(workspace=Workspace.objects.get(pk=workspace_id))
        return wallet_locked(workspace_id=workspace_id)


def entry_append(
    wallet: Wallet,
    *,
    kind: str,
    amount: int,
    key: str,
    memo: str,
    hold: Hold | None = None,
    ref_type: str = "",
    ref_id: str = "",
    actor: User | None = None,
    replay_checked: bool = False,
) -> LedgerEntry:
    """Append an entry and move the balance. The caller holds the wallet's row lock.
    `replay_checked`: the caller knows this key is new (a hold just created, or one found open under
    its lock), so the ledger need not be searched for it."""
    if not replay_checked and (existing := LedgerEntry.objects.filter(idempotency_key=key).first()) is not None:
        return existing
    new_balance = wallet.balance + amount
    if new_balance < 0:
        raise tokens_lacking_refusal(wallet, needed=-amount, actor_id=actor.pk if actor is not None else None)
    Wallet.objects.filter(pk=wallet.pk).update(balance=new_balance, updated_at=timezone.now())
    wallet.balance = new_balance
    entry = LedgerEntry.objects.create(
        wallet=wallet,
        kind=kind,
        amount=amount,
        balance_after=new_balance,
        idempotency_key=key,
        hold=hold,
        ref_type=ref_type,
        ref_id=ref_id,
        memo=memo[:200],
        actor=actor,
    )
    if amount > 0 and kind in _PAYS_OFF_OWED and wallet.tokens_owed > 0:
        _pay_off_owed(wallet, credit=entry)
    push_balance(wallet)
    return entry


# Entries that bring tokens into the balance and so pay off what is owed first: grants (packs, plans,
# operators, monthly) and the tokens a closed hold gives back (they were counted as spent when the
# take-back made them owed; billing.holds writes those entries in its own SQL, with the same payoff).
# An operator's ADJUSTMENT moves exactly what it says.
_PAYS_OFF_OWED = frozenset({Kind.GRANT, Kind.SETTLE, Kind.RELEASE})


def _pay_off_owed(wallet: Wallet, *, credit: LedgerEntry) -> LedgerEntry:
    """Take what is owed (up to the credit) out of the balance the credit just raised. The caller
    holds the wallet's lock, in the credit's transaction; keyed by the credit, and only reached when
    the credit's entry is new, so it happens once per credit."""
    paid = min(wallet.tokens_owed, credit.amount)
    Wallet.objects.filter(pk=wallet.pk).update(tokens_owed=models.F("tokens_owed") - paid)
    wallet.tokens_owed -= paid
    return entry_append(
        wallet,
        kind=Kind.ADJUSTMENT,
        amount=-paid,
        key=owed_payoff_key(credit.idempotency_key),
        memo=owed_payoff_memo(paid=paid, still_owed=wallet.tokens_owed),
        ref_type=credit.ref_type,
        ref_id=credit.ref_id,
        replay_checked=True,
    )


def owed_payoff_key(credit_key: str) -> str:
    """The key of the ADJUSTMENT paying off a debt from the credit keyed `credit_key` (one per credit)."""
    key = f"owed:{credit_key}"
    if len(key) > 200:
        key = f"owed:sha256:{hashlib.sha256(credit_key.encode()).hexdigest()}"
    return key


def owed_payoff_memo(*, paid: int, still_owed: int) -> str:
    still = f"; {still_owed:,} still owed" if still_owed else ""
    return f"{paid:,} tokens owed (from a refund or dispute) paid off{still}"


def refuse_while_owed(wallet: Wallet, *, needed: int, actor_id: int | None = None) -> None:
    if wallet.tokens_owed > 0:
        raise tokens_owed_refusal(wallet, needed=needed, actor_id=actor_id)


def push_balance(wallet: Wallet) -> None:
    # Summed here: a wallet has a few open holds at most, and Django's aggregate() costs several
    # times more CPU to build than Postgres spends on the sum (this runs twice in every chat answer).
    held = sum(Hold.objects.filter(wallet_id=wallet.pk, status=Hold.Status.OPEN).values_list("amount", flat=True))
    push_balance_figures(wallet.workspace_id, balance=wallet.balance, held=held, owed=wallet.tokens_owed)


def push_balance_figures(workspace_id: int, *, balance: int, held: int, owed: int) -> None:
    """The `balance` event the header shows (once the transaction commits), to the pages acting in
    the wallet's workspace: a page acting elsewhere shows another wallet."""
    push_to_workspace(workspace_id, "balance", {"balance": balance, "held": held, "owed": owed})


def first_result_if_replayed(key: str) -> LedgerEntry | None:
    # Checked before locking too, so a replay never waits on the wallet lock.
    return LedgerEntry.objects.filter(idempotency_key=key).first()


# --- moving tokens -----------------------------------------------------------------------------


def _lock_given(user: User | None, wallet_id: int | None) -> Wallet:
    """The wallet a grant, adjustment or take-back moves: wallet `wallet_id` (a team's, say), else
    `user`'s personal one."""
    if wallet_id is not None:
        return wallet_locked(wallet_id=wallet_id)
    if user is None:
        raise TypeError("Tokens move in a wallet: give a user (their personal wallet) or a wallet_id.")
    return lock_wallet(user.pk)


@transaction.atomic
def ledger_grant(
    *,
    user: User | None = None,
    amount: int,
    key: str,
    memo: str,
    ref: models.Model | None = None,
    wallet_id: int | None = None,
    actor: User | None = None,
) -> LedgerEntry:
    """Give `amount` tokens to `user`'s personal wallet or to wallet `wallet_id`; `actor`: who gave or
    bought them, when someone did."""
    if amount <= 0:
        raise ValueError("A grant must be positive.")
    if (entry := first_result_if_replayed(key)) is not None:
        return entry
    wallet = _lock_given(user, wallet_id)
    ref_type, ref_id = ref_of(ref)
    return entry_append(
        wallet, kind=Kind.GRANT, amount=amount, key=key, memo=memo, ref_type=ref_type, ref_id=ref_id, actor=actor
    )


@transaction.atomic
def ledger_debit(
    *,
    user: User,
    amount: int,
    key: str,
    memo: str,
    ref: models.Model | None = None,
    workspace_id: int | None = None,
) -> LedgerEntry:
    """Charge `amount` now for work `user` did, to the wallet of workspace `workspace_id` (default:
    their personal one); InsufficientTokens if the balance is short, TokensOwed while tokens are owed."""
    if amount <= 0:
        raise ValueError("A debit must be positive.")
    if (entry := first_result_if_replayed(key)) is not None:
        return entry
    wallet = lock_wallet_for_work(actor=user, workspace_id=workspace_id)
    if (entry := first_result_if_replayed(key)) is not None:  # a replay that waited on the lock
        return entry
    refuse_while_owed(wallet, needed=amount, actor_id=user.pk)
    ref_type, ref_id = ref_of(ref)
    return entry_append(
        wallet, kind=Kind.DEBIT, amount=-amount, key=key, memo=memo, ref_type=ref_type, ref_id=ref_id, actor=user
    )


@transaction.atomic
def ledger_adjust(
    *, user: User | None = None, amount: int, key: str, memo: str, wallet_id: int | None = None
) -> LedgerEntry:
    """An operator's correction, either sign, with the reason in `memo`."""
    if amount == 0:
        raise ValueError("An adjustment must change the balance.")
    if not memo.strip():
        raise ValueError("An adjustment needs a reason.")
    if (entry := first_result_if_replayed(key)) is not None:
        return entry
    wallet = _lock_given(user, wallet_id)
    return entry_append(wallet, kind=Kind.ADJUSTMENT, amount=amount, key=key, memo=memo)


@dataclass(frozen=True)
class TakeBack:
    """What a take-back did: `taken` left the balance, `owed` (already spent) was added to what the
    wallet owes. `entry` is its ledger entry (amount −taken; 0 when the balance was empty)."""

    entry: LedgerEntry
    taken: int
    owed: int
    replayed: bool


@transaction.atomic
def ledger_take_back(
    *,
    user: User | None = None,
    up_to: int,
    key: str,
    memo: str,
    ref: models.Model | None = None,
    wallet_id: int | None = None,
) -> TakeBack:
    """Take back `up_to` tokens (a refunded or disputed purchase): as much as the balance holds now
    leaves it, and the rest, already spent, is added to the wallet's `tokens_owed` in the same
    transaction. The balance never goes below zero. An entry is written even when the balance is empty
    (amount 0), so the key records the owed part too: replaying it (with the same `up_to`, which the
    key names) returns the first result and moves nothing."""
    if up_to <= 0:
        raise ValueError("Taking back needs a positive number of tokens.")
    if (entry := first_result_if_replayed(key)) is not None:
        return TakeBack(entry=entry, taken=-entry.amount, owed=up_to + entry.amount, replayed=True)
    wallet = _lock_given(user, wallet_id)
    if (entry := first_result_if_replayed(key)) is not None:  # a replay that waited on the lock
        return TakeBack(entry=entry, taken=-entry.amount, owed=up_to + entry.amount, replayed=True)
    taken = min(up_to, wallet.balance)  # read under the wallet's lock, so no debit slips in between
    owed = up_to - taken
    if owed:
        Wallet.objects.filter(pk=wallet.pk).update(tokens_owed=models.F("tokens_owed") + owed)
        wallet.tokens_owed += owed
        memo = f"{memo}: {taken:,} taken back, {owed:,} already spent and now owed"
    ref_type, ref_id = ref_of(ref)
    entry = entry_append(
        wallet,
        kind=Kind.ADJUSTMENT,
        amount=-taken,
        key=key,
        memo=memo,
        ref_type=ref_type,
        ref_id=ref_id,
        replay_checked=True,
    )
    return TakeBack(entry=entry, taken=taken, owed=owed, replayed=False)


# --- a wallet's first and monthly grants ---------------------------------------------------------


@transaction.atomic
def wallet_create(*, user: User) -> Wallet:
    """An account's personal wallet (its personal workspace's), on the default plan, with this
    month's grant; the same one after."""
    if (wallet := Wallet.objects.filter(user=user).first()) is not None:
        return wallet
    workspace = Workspace.objects.get(created_by=user, kind=Workspace.Kind.PERSONAL)
    return _wallet_made(workspace=workspace, user=user, plan_id=default_plan().pk)


@transaction.atomic
def wallet_create_for_workspace(*, workspace: Workspace) -> Wallet:
    """A workspace's wallet: a personal one's is its account's (`wallet_create`); a team's is on its
    owner's plan, with this month's grant of that plan if it is the owner's first team (one plan, one
    grant: billing.wallets.granted_team_of; the owner's own wallet keeps its own grant)."""
    if (wallet := Wallet.objects.filter(workspace=workspace).first()) is not None:
        return wallet
    if workspace.kind == Workspace.Kind.PERSONAL and workspace.created_by_id is not None:
        return wallet_create(user=User.objects.get(pk=workspace.created_by_id))
    owner = Membership.objects.filter(workspace=workspace, role=Role.OWNER).values_list("user_id", flat=True).first()
    owners_plan = Wallet.objects.filter(user_id=owner).values_list("plan", flat=True).first() if owner else None
    return _wallet_made(workspace=workspace, user=None, plan_id=owners_plan or default_plan().pk)


def _wallet_made(*, workspace: Workspace, user: User | None, plan_id: int) -> Wallet:
    wallet, created = Wallet.objects.get_or_create(workspace=workspace, defaults={"user": user, "plan_id": plan_id})
    if created:
        wallet_grant_for_period(wallet_id=wallet.pk, period=current_period_start())
        wallet.refresh_from_db()
    return wallet


@transaction.atomic
def wallet_grant_for_period(*, wallet_id: int, period: dt.date) -> LedgerEntry | None:
    """Grant the plan's tokens for `period` once, however often or late this runs (none to a wallet
    whose plan is paid through a subscription: its invoices grant them; none to a team workspace
    other than its owner's first: one plan, one grant, billing.wallets.granted_team_of)."""
    key = f"grant:{wallet_id}:{period:%Y-%m}"
    if (entry := first_result_if_replayed(key)) is not None:
        return entry
    try:
        wallet = wallet_locked(wallet_id=wallet_id)
    except Wallet.DoesNotExist:
        return None
    entry = None
    # A plan paid through a Stripe subscription gets its tokens from each paid invoice
    # (billing.subscriptions), not from the calendar.
    paid_by_subscription = PlanSubscription.objects.filter(
        wallet=wallet, status__in=PlanSubscription.LIVE_STATUSES
    ).exists()
    # One plan, one grant: of the team workspaces one person owns, only the first is granted.
    first_team = granted_team_of(wallet.workspace_id) if wallet.user_id is None else None
    another_team_granted = first_team is not None and first_team.pk != wallet.workspace_id
    if wallet.plan.monthly_tokens > 0 and not paid_by_subscription and not another_team_granted:
        entry = entry_append(
            wallet,
            kind=Kind.GRANT,
            amount=wallet.plan.monthly_tokens,
            key=key,
            memo=f"{wallet.plan.name} plan: tokens for {period:%B %Y}",
        )
    if wallet.period_start is None or wallet.period_start < period:
        Wallet.objects.filter(pk=wallet.pk).update(period_start=period)
    return entry


def grant_monthly_tokens(*, now: dt.datetime | None = None) -> int:
    """Grant every wallet not yet granted for the current period; returns how many were granted."""
    period = current_period_start(now)
    wallet_ids = (
        Wallet.objects.filter(models.Q(period_start__lt=period) | models.Q(period_start__isnull=True))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    granted = 0
    for wallet_id in wallet_ids.iterator():
        if wallet_grant_for_period(wallet_id=wallet_id, period=period) is not None:
            granted += 1
    return granted
