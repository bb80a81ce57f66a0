"""Holds: tokens reserved for work about to start, then settled at the work's cost or released.

A hold takes its tokens out of the balance when made (a HOLD entry); closing it returns what the work
did not use (a SETTLE or RELEASE entry), once, however often it is closed.
"""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from billing.ledger import (
    InsufficientTokens,
    Kind,
    entry_append,
    lock_wallet,
    push_balance_figures,
    ref_of,
    refuse_while_owed,
)
from billing.models import Hold
from billing.wallets import wallet_locked


@transaction.atomic
def hold_create(*, user: User, amount: int, key: str, ref: models.Model | None = None, memo: str = "") -> Hold:
    """Reserve `amount` tokens for work about to start; they leave the balance now. InsufficientTokens
    if the balance is short, TokensOwed while tokens are owed (a replay still returns its hold)."""
    if amount <= 0:
        raise ValueError("A hold must be positive.")
    wallet = lock_wallet(user.pk)
    if (hold := Hold.objects.filter(key=key).first()) is not None:  # a replay (checked under the lock)
        return hold
    refuse_while_owed(wallet, needed=amount)
    if wallet.balance < amount:
        raise InsufficientTokens(needed=amount, available=wallet.balance)
    ref_type, ref_id = ref_of(ref)
    hold = Hold.objects.create(wallet=wallet, amount=amount, key=key, memo=memo[:200], ref_type=ref_type, ref_id=ref_id)
    entry_append(
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


# Closing a hold, in two statements of fixed SQL: a chat answer closes one after its last word, and
# the eight ORM statements this replaces (a savepoint's two among them) cost a burst of questions
# interpreter time (bench/chat.py; figures in bench/RESULTS.md). The rows written are those of the
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
    push_balance_figures(user_id, balance=balance, held=held, owed=0)
    fields = [field.attname for field in Hold._meta.concrete_fields]
    return Hold.from_db(transaction.get_connection().alias, fields, hold_row)


def _closing_memo(hold: Hold, *, actual_amount: int, settled: bool) -> str:
    refund = hold.amount - actual_amount
    return f"Charged {actual_amount} of {hold.amount} held, {refund} returned" if settled else "Hold refunded"


@transaction.atomic
def _close_hold_through_orm(hold: Hold, *, status: str, actual_amount: int) -> Hold:
    wallet = wallet_locked(wallet_id=hold.wallet_id)
    locked = Hold.objects.select_for_update().get(pk=hold.pk)
    if locked.status != Hold.Status.OPEN:
        return locked  # already settled or released: nothing moves again
    locked.status = status
    locked.settled_amount = actual_amount
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "settled_amount", "closed_at"])
    settled = status == Hold.Status.SETTLED
    entry_append(
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
