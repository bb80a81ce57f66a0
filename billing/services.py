"""The only way tokens move.

Every movement appends one LedgerEntry with a unique idempotency key and changes the wallet
balance in the same transaction, under a row lock on the wallet. Locks are always taken wallet
first, then hold, so two operations never wait on each other in opposite orders. Replaying a key
returns the first result and moves nothing; the balance can never go below zero (checked under the
lock, and by a database constraint as a backstop).

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

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.guests import Viewer
from accounts.models import User
from billing.models import Hold, LedgerEntry, Plan, PlanSubscription, QuotaCounter, QuotaUse, Wallet
from sage.errors import ApplicationError
from sage.realtime import push_to_user

Kind = LedgerEntry.Kind


class InsufficientTokens(ApplicationError):
    code = "insufficient_tokens"
    status = 402

    def __init__(self, *, needed: int, available: int) -> None:
        self.needed = needed
        self.available = available
        super().__init__(f"This needs {needed} tokens but only {available} are available.")


class TokensOwed(InsufficientTokens):
    """Paid work refused while tokens are owed (a refund or dispute took back tokens already spent).
    A kind of InsufficientTokens, so every place that handles a lack of tokens handles this too; its
    code and message are its own."""

    code = "tokens_owed"
    status = 402

    def __init__(self, *, owed: int, needed: int, available: int) -> None:
        self.owed = owed
        self.needed = needed
        self.available = available
        ApplicationError.__init__(
            self,
            f"{owed:,} {'token is' if owed == 1 else 'tokens are'} owed from a refund or dispute "
            "(tokens already spent were taken back), so new paid work is paused until they are paid off. "
            "Buying tokens or your next plan grant settles them.",
        )


class QuotaExceeded(ApplicationError):
    code = "quota_exceeded"
    status = 429

    def __init__(self, *, limit: int, resets_at: dt.datetime, per_address: bool = False) -> None:
        self.limit = limit
        self.resets_at = resets_at
        self.per_address = per_address
        resets = f"The quota resets at {resets_at:%H:%M} UTC ({resets_at:%Y-%m-%d})."
        if per_address:
            message = (
                f"Guests at this network address have used all {limit} free chat messages for today. "
                f"Sign up to ask more. {resets}"
            )
        else:
            message = f"You have used all {limit} chat messages for today. {resets}"
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(int((self.resets_at - timezone.now()).total_seconds()), 1))}


def _ref(ref: models.Model | None) -> tuple[str, str]:
    """What an entry is about, as (type, id): e.g. ("video", "12"). Kept as text so any app can be named."""
    if ref is None:
        return "", ""
    return ref._meta.model_name or "", str(ref.pk)


def _locked_wallets() -> models.QuerySet[Wallet]:
    # `of=("self",)`: a bare FOR UPDATE locks every joined row too, and with the plan joined every
    # wallet's change waited on its plan's one row: each user's answers, holds and grants queued
    # behind every other user's on the same plan until their transactions ended.
    return Wallet.objects.select_for_update(of=("self",)).select_related("plan")


def _lock_wallet(user_id: int) -> Wallet:
    try:
        return _locked_wallets().get(user_id=user_id)
    except Wallet.DoesNotExist:
        # Accounts made before billing existed (or by a raw insert) get their wallet on first use.
        wallet_create(user=User.objects.get(pk=user_id))
        return _locked_wallets().get(user_id=user_id)


def _append(
    wallet: Wallet,
    *,
    kind: str,
    amount: int,
    key: str,
    memo: str,
    hold: Hold | None = None,
    ref_type: str = "",
    ref_id: str = "",
    replay_checked: bool = False,
) -> LedgerEntry:
    """Append an entry and move the balance. The caller holds the wallet's row lock.
    `replay_checked`: the caller knows this key is new (a hold just created, or one found open under
    its lock), so the ledger need not be searched for it."""
    if not replay_checked and (existing := LedgerEntry.objects.filter(idempotency_key=key).first()) is not None:
        return existing
    new_balance = wallet.balance + amount
    if new_balance < 0:
        raise InsufficientTokens(needed=-amount, available=wallet.balance)
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
    )
    if amount > 0 and kind in _PAYS_OFF_OWED and wallet.tokens_owed > 0:
        _pay_off_owed(wallet, credit=entry)
    _push_balance(wallet)
    return entry


# Entries that bring tokens into the balance and so pay off what is owed first: grants (packs, plans,
# operators, monthly) and the tokens a closed hold gives back (they were counted as spent when the
# take-back made them owed). An operator's ADJUSTMENT moves exactly what it says.
_PAYS_OFF_OWED = frozenset({Kind.GRANT, Kind.SETTLE, Kind.RELEASE})


def _pay_off_owed(wallet: Wallet, *, credit: LedgerEntry) -> LedgerEntry:
    """Take what is owed (up to the credit) out of the balance the credit just raised. The caller
    holds the wallet's lock, in the credit's transaction; keyed by the credit, and only reached when
    the credit's entry is new, so it happens once per credit."""
    paid = min(wallet.tokens_owed, credit.amount)
    key = f"owed:{credit.idempotency_key}"
    if len(key) > 200:
        key = f"owed:sha256:{hashlib.sha256(credit.idempotency_key.encode()).hexdigest()}"
    Wallet.objects.filter(pk=wallet.pk).update(tokens_owed=models.F("tokens_owed") - paid)
    wallet.tokens_owed -= paid
    still_owed = f"; {wallet.tokens_owed:,} still owed" if wallet.tokens_owed else ""
    return _append(
        wallet,
        kind=Kind.ADJUSTMENT,
        amount=-paid,
        key=key,
        memo=f"{paid:,} tokens owed (from a refund or dispute) paid off{still_owed}",
        ref_type=credit.ref_type,
        ref_id=credit.ref_id,
        replay_checked=True,
    )


def _refuse_while_owed(wallet: Wallet, *, needed: int) -> None:
    if wallet.tokens_owed > 0:
        raise TokensOwed(owed=wallet.tokens_owed, needed=needed, available=wallet.balance)


def _push_balance(wallet: Wallet) -> None:
    # Summed here: a wallet has a few open holds at most, and Django's aggregate() costs several
    # times more CPU to build than Postgres spends on the sum (this runs twice in every chat answer).
    held = sum(Hold.objects.filter(wallet_id=wallet.pk, status=Hold.Status.OPEN).values_list("amount", flat=True))
    _push_balance_figures(wallet.user_id, balance=wallet.balance, held=held, owed=wallet.tokens_owed)


def _push_balance_figures(user_id: int, *, balance: int, held: int, owed: int) -> None:
    """The `balance` event the user's pages show (once the transaction commits)."""
    push_to_user(user_id, "balance", {"balance": balance, "held": held, "owed": owed})


def _first_result_if_replayed(key: str) -> LedgerEntry | None:
    # Checked before locking too, so a replay never waits on the wallet lock.
    return LedgerEntry.objects.filter(idempotency_key=key).first()


# --- moving tokens -----------------------------------------------------------------------------


@transaction.atomic
def ledger_grant(*, user: User, amount: int, key: str, memo: str, ref: models.Model | None = None) -> LedgerEntry:
    if amount <= 0:
        raise ValueError("A grant must be positive.")
    if (entry := _first_result_if_replayed(key)) is not None:
        return entry
    wallet = _lock_wallet(user.pk)
    ref_type, ref_id = _ref(ref)
    return _append(wallet, kind=Kind.GRANT, amount=amount, key=key, memo=memo, ref_type=ref_type, ref_id=ref_id)


@transaction.atomic
def ledger_debit(*, user: User, amount: int, key: str, memo: str, ref: models.Model | None = None) -> LedgerEntry:
    """Charge `amount` now (e.g. a chat answer); InsufficientTokens if the balance is short,
    TokensOwed while tokens are owed."""
    if amount <= 0:
        raise ValueError("A debit must be positive.")
    if (entry := _first_result_if_replayed(key)) is not None:
        return entry
    wallet = _lock_wallet(user.pk)
    if (entry := _first_result_if_replayed(key)) is not None:  # a replay that waited on the lock
        return entry
    _refuse_while_owed(wallet, needed=amount)
    ref_type, ref_id = _ref(ref)
    return _append(wallet, kind=Kind.DEBIT, amount=-amount, key=key, memo=memo, ref_type=ref_type, ref_id=ref_id)


@transaction.atomic
def ledger_adjust(*, user: User, amount: int, key: str, memo: str) -> LedgerEntry:
    """An operator's correction, either sign, with the reason in `memo`."""
    if amount == 0:
        raise ValueError("An adjustment must change the balance.")
    if not memo.strip():
        raise ValueError("An adjustment needs a reason.")
    if (entry := _first_result_if_replayed(key)) is not None:
        return entry
    wallet = _lock_wallet(user.pk)
    return _append(wallet, kind=Kind.ADJUSTMENT, amount=amount, key=key, memo=memo)


@dataclass(frozen=True)
class TakeBack:
    """What a take-back did: `taken` left the balance, `owed` (already spent) was added to what the
    wallet owes. `entry` is its ledger entry (amount −taken; 0 when the balance was empty)."""

    entry: LedgerEntry
    taken: int
    owed: int
    replayed: bool


@transaction.atomic
def ledger_take_back(*, user: User, up_to: int, key: str, memo: str, ref: models.Model | None = None) -> TakeBack:
    """Take back `up_to` tokens (a refunded or disputed purchase): as much as the balance holds now
    leaves it, and the rest, already spent, is added to the wallet's `tokens_owed` in the same
    transaction. The balance never goes below zero. An entry is written even when the balance is empty
    (amount 0), so the key records the owed part too: replaying it (with the same `up_to`, which the
    key names) returns the first result and moves nothing."""
    if up_to <= 0:
        raise ValueError("Taking back needs a positive number of tokens.")
    if (entry := _first_result_if_replayed(key)) is not None:
        return TakeBack(entry=entry, taken=-entry.amount, owed=up_to + entry.amount, replayed=True)
    wallet = _lock_wallet(user.pk)
    if (entry := _first_result_if_replayed(key)) is not None:  # a replay that waited on the lock
        return TakeBack(entry=entry, taken=-entry.amount, owed=up_to + entry.amount, replayed=True)
    taken = min(up_to, wallet.balance)  # read under the wallet's lock, so no debit slips in between
    owed = up_to - taken
    if owed:
        Wallet.objects.filter(pk=wallet.pk).update(tokens_owed=models.F("tokens_owed") + owed)
        wallet.tokens_owed += owed
        memo = f"{memo}: {taken:,} taken back, {owed:,} already spent and now owed"
    ref_type, ref_id = _ref(ref)
    entry = _append(
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


@transaction.atomic
def hold_create(*, user: User, amount: int, key: str, ref: models.Model | None = None, memo: str = "") -> Hold:
    """Reserve `amount` tokens for work about to start; they leave the balance now. InsufficientTokens
    if the balance is short, TokensOwed while tokens are owed (a replay still returns its hold)."""
    if amount <= 0:
        raise ValueError("A hold must be positive.")
    wallet = _lock_wallet(user.pk)
    if (hold := Hold.objects.filter(key=key).first()) is not None:  # a replay (checked under the lock)
        return hold
    _refuse_while_owed(wallet, needed=amount)
    if wallet.balance < amount:
        raise InsufficientTokens(needed=amount, available=wallet.balance)
    ref_type, ref_id = _ref(ref)
    hold = Hold.objects.create(wallet=wallet, amount=amount, key=key, memo=memo[:200], ref_type=ref_type, ref_id=ref_id)
    _append(
        wallet,
        kind=Kind.HOLD,
        amount=-amount,
        key=f"hold:{key}",
        memo=memo or "Tokens put on hold",
        hold=hold,
        ref_type=hold.ref_type,
        ref_id=hold.ref_id,
        replay_checked=True,
    )
    return hold


def hold_settle(*, hold: Hold, actual_amount: int) -> Hold:
    """Charge the actual cost of the work and return the rest. Settling twice moves tokens once."""
    return _close_hold(hold, status=Hold.Status.SETTLED, actual_amount=actual_amount)


def hold_release(*, hold: Hold) -> Hold:
    """Refund a hold in full (the work failed or was cancelled). Releasing twice refunds once."""
    return _close_hold(hold, status=Hold.Status.RELEASED, actual_amount=0)


# Closing a hold, in two statements of fixed SQL (a chat answer closes one after its last word, and in
# a burst of fifty questions the eight ORM statements this replaces, a savepoint's two among them,
# took ~7 % of the web process's interpreter time by py-spy). The rows written are those of the
# general path `_close_hold_through_orm`, which a wallet that owes tokens still takes (a refund
# pays the debt off first): tests/billing/test_close_hold.py compares them.
_LOCK_WALLET_SQL = 'SELECT "tokens_owed", "user_id" FROM "billing_wallet" WHERE "id" = %s FOR UPDATE'

# The hold closed if it is still open (under the wallet's lock: no other closing can be between),
# what it returns added to the balance, and the ledger entry; gives the hold's row (its model's
# fields in order), the new balance and the tokens still held. No row: the hold was already closed.
_CLOSE_HOLD_SQL = """
WITH closed AS (
    UPDATE "billing_hold" SET "status" = %(status)s, "settled_amount" = %(actual)s, "closed_at" = %(now)s
    WHERE "id" = %(hold_id)s AND "status" = %(open)s
    RETURNING "id", "wallet_id", "amount", "key", "status", "settled_amount", "ref_type", "ref_id", "memo",
              "created_at", "closed_at"
), wallet AS (
    UPDATE "billing_wallet" SET "balance" = "balance" + %(refund)s, "updated_at" = %(now)s
    WHERE "id" = %(wallet_id)s AND EXISTS (SELECT 1 FROM closed)
    RETURNING "balance"
), entry AS (
    INSERT INTO "billing_ledgerentry"
        ("wallet_id", "kind", "amount", "balance_after", "idempotency_key", "hold_id", "ref_type", "ref_id", "memo",
         "created_at")
    SELECT %(wallet_id)s, %(kind)s, %(refund)s, wallet."balance", %(status)s || ':' || closed."key", closed."id",
           closed."ref_type", closed."ref_id", %(memo)s, %(now)s
    FROM closed, wallet
)
SELECT closed.*, wallet."balance",
       -- the statement's snapshot still sees this hold open; bigint, as the channel layer needs ints
       (SELECT coalesce(sum("amount"), 0)::bigint FROM "billing_hold"
        WHERE "wallet_id" = %(wallet_id)s AND "status" = %(open)s) - closed."amount"
FROM closed, wallet
"""


def _close_hold(hold: Hold, *, status: str, actual_amount: int) -> Hold:
    # A hold's amount never changes once made, so the caller's copy can be checked before any lock.
    if not 0 <= actual_amount <= hold.amount:
        raise ValueError(f"The actual cost must be between 0 and the {hold.amount} tokens held.")
    settled = status == Hold.Status.SETTLED
    refund = hold.amount - actual_amount
    # No savepoint: nothing below raises before its last write, and a failed statement spoils the
    # caller's transaction whether or not one was set.
    with transaction.atomic(savepoint=False), transaction.get_connection().cursor() as cursor:
        cursor.execute(_LOCK_WALLET_SQL, [hold.wallet_id])
        tokens_owed, user_id = cursor.fetchone()
        if tokens_owed > 0:
            return _close_hold_through_orm(hold, status=status, actual_amount=actual_amount)
        now = timezone.now()
        cursor.execute(
            _CLOSE_HOLD_SQL,
            {
                "status": status,
                "actual": actual_amount,
                "now": now,
                "hold_id": hold.pk,
                "open": Hold.Status.OPEN,
                "refund": refund,
                "wallet_id": hold.wallet_id,
                "kind": Kind.SETTLE if settled else Kind.RELEASE,
                "memo": _closing_memo(hold, actual_amount=actual_amount, settled=settled),
            },
        )
        row = cursor.fetchone()
        if row is None:
            return Hold.objects.get(pk=hold.pk)  # already settled or released: nothing moves again
        *hold_row, balance, held = row
    _push_balance_figures(user_id, balance=balance, held=held, owed=0)
    fields = [field.attname for field in Hold._meta.concrete_fields]
    return Hold.from_db(transaction.get_connection().alias, fields, hold_row)


def _closing_memo(hold: Hold, *, actual_amount: int, settled: bool) -> str:
    refund = hold.amount - actual_amount
    return f"Charged {actual_amount} of {hold.amount} held, {refund} returned" if settled else "Hold refunded"


@transaction.atomic
def _close_hold_through_orm(hold: Hold, *, status: str, actual_amount: int) -> Hold:
    wallet = Wallet.objects.select_for_update().get(pk=hold.wallet_id)
    locked = Hold.objects.select_for_update().get(pk=hold.pk)
    if locked.status != Hold.Status.OPEN:
        return locked  # already settled or released: nothing moves again
    locked.status = status
    locked.settled_amount = actual_amount
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "settled_amount", "closed_at"])
    settled = status == Hold.Status.SETTLED
    _append(
        wallet,
        kind=Kind.SETTLE if settled else Kind.RELEASE,
        amount=locked.amount - actual_amount,
        key=f"{status}:{locked.key}",
        memo=_closing_memo(locked, actual_amount=actual_amount, settled=settled),
        hold=locked,
        ref_type=locked.ref_type,
        ref_id=locked.ref_id,
        replay_checked=True,
    )
    return locked


# --- wallets and monthly grants ------------------------------------------------------------------


def current_period_start(now: dt.datetime | None = None) -> dt.date:
    """Periods are calendar months in UTC."""
    return (now or timezone.now()).astimezone(dt.UTC).date().replace(day=1)


def default_plan() -> Plan:
    plan = Plan.objects.filter(is_default=True).first() or Plan.objects.order_by("sort_order", "pk").first()
    if plan is None:
        raise RuntimeError("No billing plan exists; run migrations (they create Free, Pro and Team).")
    return plan


@transaction.atomic
def wallet_create(*, user: User) -> Wallet:
    """A new account's wallet, on the default plan, with this month's grant."""
    wallet, created = Wallet.objects.get_or_create(user=user, defaults={"plan": default_plan()})
    if created:
        wallet_grant_for_period(wallet_id=wallet.pk, period=current_period_start())
        wallet.refresh_from_db()
    return wallet


@transaction.atomic
def wallet_change_plan(*, wallet: Wallet, plan: Plan) -> Wallet:
    Wallet.objects.filter(pk=wallet.pk).update(plan=plan, updated_at=timezone.now())
    wallet.plan = plan
    return wallet


@transaction.atomic
def wallet_grant_for_period(*, wallet_id: int, period: dt.date) -> LedgerEntry | None:
    """Grant the plan's tokens for `period` once, however often or late this runs (none to a wallet
    whose plan is paid through a subscription: its invoices grant them)."""
    key = f"grant:{wallet_id}:{period:%Y-%m}"
    if (entry := _first_result_if_replayed(key)) is not None:
        return entry
    try:
        wallet = _locked_wallets().get(pk=wallet_id)
    except Wallet.DoesNotExist:
        return None
    entry = None
    # A plan paid through a Stripe subscription gets its tokens from each paid invoice
    # (billing.subscriptions), not from the calendar.
    paid_by_subscription = PlanSubscription.objects.filter(
        wallet=wallet, status__in=PlanSubscription.LIVE_STATUSES
    ).exists()
    if wallet.plan.monthly_tokens > 0 and not paid_by_subscription:
        entry = _append(
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


# --- daily chat quota ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaStatus:
    limit: int
    used: int
    resets_at: dt.datetime

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


def _utc_day_bounds(now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    day = now.astimezone(dt.UTC).date()
    return day, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


@dataclass(frozen=True)
class _QuotaOwner:
    key: str  # QuotaCounter.owner_key: "user:<id>", "guest:<uuid>" or "address:<address or /64>"
    limit: int
    use_suffix: str  # added to a use's key, so one message is one use on each of its counters


# A guest's answers count against its id and against its client address: a new id costs nothing, so
# the id's quota alone would be unlimited answers for anyone who changes it.
_ADDRESS_USE_SUFFIX = "|address"


def _quota_owners(viewer: Viewer) -> list[_QuotaOwner]:
    """The counters a message of this viewer counts on, the one it is shown by (its own) first."""
    if viewer.user is not None:
        wallet = Wallet.objects.select_related("plan").filter(user=viewer.user).first()
        plan = wallet.plan if wallet is not None else default_plan()
        return [_QuotaOwner(f"user:{viewer.user.pk}", plan.daily_chat_messages, "")]
    if viewer.guest_id is None:
        raise ValueError("A guest needs an id before using the quota.")
    owners = [_QuotaOwner(f"guest:{viewer.guest_id}", int(settings.GUEST_DAILY_CHAT_MESSAGES), "")]
    if viewer.address is not None:
        limit = int(settings.GUEST_DAILY_CHAT_MESSAGES_PER_ADDRESS)
        owners.append(_QuotaOwner(f"address:{viewer.address}", limit, _ADDRESS_USE_SUFFIX))
    return owners


# A user's plan limit and today's count in one query (the chat reads it after every answer, for the
# questions left that its `done` shows); no row: the user has no wallet yet.
_USER_QUOTA_SQL = """
SELECT p."daily_chat_messages",
       coalesce((SELECT "used" FROM "billing_quotacounter" WHERE "owner_key" = %(owner_key)s AND "day" = %(day)s), 0)
FROM "billing_wallet" w JOIN "billing_plan" p ON p."id" = w."plan_id"
WHERE w."user_id" = %(user_id)s
"""


def quota_status(*, viewer: Viewer) -> QuotaStatus:
    """The viewer's own quota; for a guest, its remaining messages are also at most its address's."""
    day, resets_at = _utc_day_bounds(timezone.now())
    if viewer.user is not None:
        owner_key = f"user:{viewer.user.pk}"
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(_USER_QUOTA_SQL, {"owner_key": owner_key, "day": day, "user_id": viewer.user.pk})
            row = cursor.fetchone()
        if row is not None:
            limit, used = row
            return _status_of([_QuotaOwner(owner_key, limit, "")], {owner_key: used}, resets_at)
    owners = _quota_owners(viewer)
    used_by = dict(
        QuotaCounter.objects.filter(owner_key__in=[owner.key for owner in owners], day=day).values_list(
            "owner_key", "used"
        )
    )
    return _status_of(owners, used_by, resets_at)


def _status_of(owners: list[_QuotaOwner], used_by: dict[str, int], resets_at: dt.datetime) -> QuotaStatus:
    """Shown against the viewer's own limit; a tighter address quota shows as more of it used."""
    own_limit = owners[0].limit
    remaining = min(owner.limit - used_by.get(owner.key, 0) for owner in owners)
    return QuotaStatus(limit=own_limit, used=own_limit - max(min(remaining, own_limit), 0), resets_at=resets_at)


@transaction.atomic
def quota_consume(*, viewer: Viewer, key: str) -> QuotaStatus:
    """Count one chat message against today's quota, on each of the viewer's counters; the same key
    is counted once."""
    owners = _quota_owners(viewer)
    day, resets_at = _utc_day_bounds(timezone.now())
    # Locked as they are read, always in owner_key order so two guests never wait on each other in
    # opposite orders; get_or_create survives a concurrent creation (it re-reads, locking, after the
    # unique-constraint error).
    counters = {
        owner.key: QuotaCounter.objects.select_for_update().get_or_create(owner_key=owner.key, day=day)[0]
        for owner in sorted(owners, key=lambda owner: owner.key)
    }
    used_by = {owner_key: counter.used for owner_key, counter in counters.items()}
    if QuotaUse.objects.filter(key=key).exists():
        return _status_of(owners, used_by, resets_at)
    for index, owner in enumerate(owners):
        if used_by[owner.key] >= owner.limit:
            raise QuotaExceeded(limit=owner.limit, resets_at=resets_at, per_address=index > 0)
    for owner in owners:
        counter = counters[owner.key]
        QuotaUse.objects.create(counter=counter, key=key + owner.use_suffix)
        QuotaCounter.objects.filter(pk=counter.pk).update(used=models.F("used") + 1)
        used_by[owner.key] += 1
    return _status_of(owners, used_by, resets_at)


# chat_answer_pay's three statements, in SQL of fixed text: they run before every chat answer's first
# word, and the ORM spent several times longer building the eight statements they replace than
# Postgres spent running them (in a burst of fifty questions those eight took ~15 % of the web
# process's interpreter time, ~3.4 ms per answer, by py-spy). They write exactly the rows
# `quota_consume` and `hold_create` write (tests/billing/test_chat_answer_pay.py compares them).
_LOCK_WALLET_AND_READ_QUOTA_SQL = """
SELECT w."id", w."balance", w."tokens_owed", p."daily_chat_messages"
FROM "billing_wallet" w JOIN "billing_plan" p ON p."id" = w."plan_id"
WHERE w."user_id" = %s
FOR UPDATE OF w
"""

# One more use on today's counter (made at 1 if it is the day's first), and the use itself; gives
# the count with this use. The insert of a counter that exists turns into the update, under its lock.
_COUNT_USE_SQL = """
WITH counter AS (
    INSERT INTO "billing_quotacounter" ("owner_key", "day", "used") VALUES (%(owner_key)s, %(day)s, 1)
    ON CONFLICT ("owner_key", "day") DO UPDATE SET "used" = "billing_quotacounter"."used" + 1
    RETURNING "id", "used"
), counted AS (
    INSERT INTO "billing_quotause" ("counter_id", "key", "created_at")
    SELECT "id", %(key)s, %(now)s FROM counter
)
SELECT "used" FROM counter
"""

# The hold, the balance moved by it, and its ledger entry; gives the hold's id, the new balance and
# the tokens held before it (the statement's snapshot does not see its own hold).
_HOLD_SQL = """
WITH hold AS (
    INSERT INTO "billing_hold"
        ("wallet_id", "amount", "key", "status", "settled_amount", "ref_type", "ref_id", "memo", "created_at",
         "closed_at")
    VALUES (%(wallet_id)s, %(amount)s::bigint, %(key)s, %(status)s, NULL, %(ref_type)s, %(ref_id)s, %(memo)s,
            %(created_at)s, NULL)
    RETURNING "id"
), wallet AS (
    UPDATE "billing_wallet" SET "balance" = "balance" - %(amount)s::bigint, "updated_at" = %(created_at)s
    WHERE "id" = %(wallet_id)s
    RETURNING "balance"
), entry AS (
    INSERT INTO "billing_ledgerentry"
        ("wallet_id", "kind", "amount", "balance_after", "idempotency_key", "hold_id", "ref_type", "ref_id", "memo",
         "created_at")
    SELECT %(wallet_id)s, %(kind)s, -%(amount)s::bigint, wallet."balance", %(entry_key)s, hold."id", %(ref_type)s,
           %(ref_id)s, %(entry_memo)s, %(created_at)s
    FROM hold, wallet
)
SELECT hold."id", wallet."balance",
       -- bigint: sum() of bigints is numeric, a Decimal in Python, which the balance event's trip
       -- through the channel layer (msgpack) cannot carry
       (SELECT coalesce(sum("amount"), 0)::bigint FROM "billing_hold"
        WHERE "wallet_id" = %(wallet_id)s AND "status" = %(status)s)
FROM hold, wallet
"""


def chat_answer_pay(
    *, user: User, quota_key: str, hold_key: str, amount: int, ref: models.Model, memo: str
) -> Hold | None:
    """Count a signed-in user's chat answer against today's quota and hold its `amount` tokens (none
    when 0), inside the caller's transaction, which a refusal (QuotaExceeded, InsufficientTokens,
    TokensOwed) must roll back whole. What `quota_consume` and `hold_create` do, with less around it:
    it runs before every answer's first word. The wallet is locked once (its plan gives the quota),
    then the quota counter, as every path does; no savepoints; and no replay checks, because the keys
    name the answer the same transaction has just created: no earlier use or hold can have them."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("chat_answer_pay runs inside the transaction that creates the answer.")
    now = timezone.now()
    day, resets_at = _utc_day_bounds(now)
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_WALLET_AND_READ_QUOTA_SQL, [user.pk])
        locked = cursor.fetchone()
        if locked is None:
            _lock_wallet(user.pk)  # an account made before billing existed gets its wallet here
            cursor.execute(_LOCK_WALLET_AND_READ_QUOTA_SQL, [user.pk])
            locked = cursor.fetchone()
        wallet_id, balance, owed, daily_limit = locked
        cursor.execute(_COUNT_USE_SQL, {"owner_key": f"user:{user.pk}", "day": day, "key": quota_key, "now": now})
        (used,) = cursor.fetchone()
        if used > daily_limit:  # counted above; the refusal rolls the count back with the rest
            raise QuotaExceeded(limit=daily_limit, resets_at=resets_at)
        if amount <= 0:
            return None
        if owed > 0:
            raise TokensOwed(owed=owed, needed=amount, available=balance)
        if balance < amount:
            raise InsufficientTokens(needed=amount, available=balance)
        ref_type, ref_id = _ref(ref)
        hold_values = {
            "wallet_id": wallet_id,
            "amount": amount,
            "key": hold_key,
            "status": Hold.Status.OPEN.value,
            "settled_amount": None,
            "ref_type": ref_type,
            "ref_id": ref_id,
            "memo": memo[:200],
            "created_at": now,
            "closed_at": None,
        }
        # The hold's own values, and its ledger entry's.
        entry = {
            "kind": Kind.HOLD.value,
            "entry_key": f"hold:{hold_key}",
            "entry_memo": (memo or "Tokens put on hold")[:200],
        }
        cursor.execute(_HOLD_SQL, {**hold_values, **entry})
        hold_id, new_balance, held_before = cursor.fetchone()
    _push_balance_figures(user.pk, balance=new_balance, held=held_before + amount, owed=owed)
    fields = [field.attname for field in Hold._meta.concrete_fields]
    return Hold.from_db(connection.alias, fields, [hold_id if name == "id" else hold_values[name] for name in fields])


@transaction.atomic
def quota_release(*, key: str) -> None:
    """Give back the use counted under `key` (its work failed on our side). Releasing twice, or a
    key never counted, gives back nothing."""
    for use in QuotaUse.objects.select_for_update().filter(key__in=[key, key + _ADDRESS_USE_SUFFIX]):
        QuotaCounter.objects.filter(pk=use.counter_id, used__gt=0).update(used=models.F("used") - 1)
        use.delete()
