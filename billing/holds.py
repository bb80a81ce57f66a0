"""Holds: tokens reserved for work about to start, then settled at the work's cost or released.

A hold takes its tokens out of the balance when made (a HOLD entry); closing it returns what the work
did not use (a SETTLE or RELEASE entry), once, however often it is closed.

Making and closing a hold are a few statements of fixed SQL each, the ledger's rules written out
(billing.ledger: the entry, the balance, the debt paid off first): a chat answer makes one before
its first word and closes it after its last, and building the ORM's statements cost a burst of
questions several times what Postgres spent running them (bench/chat.py; bench/RESULTS.md).
"""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from billing.ledger import (
    Kind,
    lock_wallet_for_work,
    owed_payoff_key,
    owed_payoff_memo,
    push_balance_figures,
    ref_of,
    tokens_lacking_refusal,
    tokens_owed_refusal,
)
from billing.models import Hold, LedgerEntry, Wallet
from billing.wallets import wallet_locked
from sage.sql import attnames, sql

# A ledger entry's columns but its id, in the order the statements below give their values.
_ENTRY_COLUMNS = sql(
    """{LedgerEntry.wallet}, {LedgerEntry.kind}, {LedgerEntry.amount}, {LedgerEntry.balance_after},
        {LedgerEntry.idempotency_key}, {LedgerEntry.hold}, {LedgerEntry.ref_type}, {LedgerEntry.ref_id},
        {LedgerEntry.memo}, {LedgerEntry.created_at}, {LedgerEntry.actor}""",
    LedgerEntry=LedgerEntry,
)

# The hold (unless its key was used before: a replay), the balance moved by it, and its ledger
# entry; gives the hold's id, the new balance and the tokens held before it (the statement's
# snapshot does not see its own hold). No row: the key's hold exists already.
_HOLD_SQL = sql(
    """
WITH hold AS (
    INSERT INTO {Hold} ({Hold.new_columns}) VALUES ({Hold.new_values})
    ON CONFLICT ({Hold.key}) DO NOTHING
    RETURNING {Hold.id}
), wallet AS (
    UPDATE {Wallet} SET {Wallet.balance} = {Wallet.balance} - %(amount)s::bigint, {Wallet.updated_at} = %(created_at)s
    WHERE {Wallet.id} = %(wallet_id)s AND EXISTS (SELECT 1 FROM hold)
    RETURNING {Wallet.balance}
), entry AS (
    INSERT INTO {LedgerEntry} ({entry_columns})
    SELECT %(wallet_id)s, %(kind)s, -%(amount)s::bigint, wallet.{Wallet.balance}, %(entry_key)s, hold.{Hold.id},
           %(ref_type)s, %(ref_id)s, %(entry_memo)s, %(created_at)s, %(actor_id)s
    FROM hold, wallet
)
SELECT hold.{Hold.id}, wallet.{Wallet.balance},
       -- bigint: sum() of bigints is numeric, a Decimal in Python, which the balance event's trip
       -- through the channel layer (msgpack) cannot carry
       (SELECT coalesce(sum({Hold.amount}), 0)::bigint FROM {Hold}
        WHERE {Hold.wallet} = %(wallet_id)s AND {Hold.status} = %(status)s)
FROM hold, wallet
""",
    Hold=Hold,
    Wallet=Wallet,
    LedgerEntry=LedgerEntry,
    entry_columns=_ENTRY_COLUMNS,
)


@transaction.atomic
def hold_create(
    *,
    user: User,
    amount: int,
    key: str,
    ref: models.Model | None = None,
    memo: str = "",
    workspace_id: int | None = None,
    about_video_id: int | None = None,
) -> Hold:
    """Reserve `amount` tokens for work `user` is about to start; they leave the balance of workspace
    `workspace_id`'s wallet (default: `user`'s personal one) now. InsufficientTokens if the balance is
    short, TokensOwed while tokens are owed (a replay still returns its hold). `about_video_id`: the
    video the work is about when `ref` is not that video (Hold.about_video)."""
    if amount <= 0:
        raise ValueError("A hold must be positive.")
    wallet = lock_wallet_for_work(actor=user, workspace_id=workspace_id)
    return hold_create_locked(
        wallet, actor=user, amount=amount, key=key, ref=ref, memo=memo, about_video_id=about_video_id
    )


def hold_create_locked(
    wallet: Wallet,
    *,
    actor: User | None,
    amount: int,
    key: str,
    ref: models.Model | None = None,
    memo: str = "",
    about_video_id: int | None = None,
) -> Hold:
    """`hold_create` for a wallet the caller has just locked (`billing.ledger.lock_wallet`), in its
    transaction. No savepoint: a refusal raises before anything is written."""
    if amount <= 0:
        raise ValueError("A hold must be positive.")
    if wallet.tokens_owed > 0 or wallet.balance < amount:
        if (replayed := Hold.objects.filter(key=key).first()) is not None:  # a replay, looked up under the lock
            return replayed
        actor_id = actor.pk if actor is not None else None
        if wallet.tokens_owed > 0:
            raise tokens_owed_refusal(wallet, needed=amount, actor_id=actor_id)
        raise tokens_lacking_refusal(wallet, needed=amount, actor_id=actor_id)
    ref_type, ref_id = ref_of(ref)
    if about_video_id is None and ref_type == "video":  # processing: the work is about its ref
        about_video_id = int(ref_id)
    values: dict[str, object] = {
        "wallet_id": wallet.id,
        "actor_id": actor.pk if actor is not None else None,
        "amount": amount,
        "key": key,
        "status": Hold.Status.OPEN.value,
        "settled_amount": None,
        "ref_type": ref_type,
        "ref_id": ref_id,
        "about_video": about_video_id,
        "memo": memo[:200],
        "created_at": timezone.now(),
        "closed_at": None,
    }
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        entry_memo = (memo or "Tokens put on hold")[:200]
        entry = {"kind": Kind.HOLD.value, "entry_key": f"hold:{key}", "entry_memo": entry_memo}
        cursor.execute(_HOLD_SQL, {**values, **entry})
        row = cursor.fetchone()
    if row is None:  # the key's hold was made before (under this lock, by an earlier transaction)
        return Hold.objects.get(key=key)
    hold_id, balance, held_before = row
    push_balance_figures(wallet.workspace_id, balance=balance, held=held_before + amount, owed=wallet.tokens_owed)
    values["id"] = hold_id
    return Hold.from_db(connection.alias, attnames(Hold), [values[name] for name in attnames(Hold)])


def hold_settle(*, hold: Hold, actual_amount: int) -> Hold:
    """Charge the actual cost of the work and return the rest. Settling twice moves tokens once."""
    return _close_hold(hold, status=Hold.Status.SETTLED, actual_amount=actual_amount)


def hold_release(*, hold: Hold) -> Hold:
    """Refund a hold in full (the work failed or was cancelled). Releasing twice refunds once."""
    return _close_hold(hold, status=Hold.Status.RELEASED, actual_amount=0)


# The hold closed if it is still open (under the wallet's lock: no other closing can be between),
# what it returns added to the balance less the debt it pays off, and the ledger entry (which
# records all it returns: the balance after it is before the payoff); gives the hold's row (its
# model's fields in order), the new balance and the tokens still held. No row: the hold was already
# closed.
_CLOSE_HOLD_SQL = sql(
    """
WITH closed AS (
    UPDATE {Hold} SET {Hold.status} = %(status)s, {Hold.settled_amount} = %(actual)s, {Hold.closed_at} = %(now)s
    WHERE {Hold.id} = %(hold_id)s AND {Hold.status} = %(open)s
    RETURNING {Hold.columns}
), wallet AS (
    UPDATE {Wallet}
    SET {Wallet.balance} = {Wallet.balance} + %(refund)s - %(paid)s,
        {Wallet.tokens_owed} = {Wallet.tokens_owed} - %(paid)s, {Wallet.updated_at} = %(now)s
    WHERE {Wallet.id} = %(wallet_id)s AND EXISTS (SELECT 1 FROM closed)
    RETURNING {Wallet.balance}
), entry AS (
    INSERT INTO {LedgerEntry} ({entry_columns})
    SELECT %(wallet_id)s, %(kind)s, %(refund)s, wallet.{Wallet.balance} + %(paid)s, %(entry_key)s, closed.{Hold.id},
           closed.{Hold.ref_type}, closed.{Hold.ref_id}, %(memo)s, %(now)s, closed.{Hold.actor}
    FROM closed, wallet
)
SELECT closed.*, wallet.{Wallet.balance},
       -- the statement's snapshot still sees this hold open; bigint, as the channel layer needs ints
       (SELECT coalesce(sum({Hold.amount}), 0)::bigint FROM {Hold}
        WHERE {Hold.wallet} = %(wallet_id)s AND {Hold.status} = %(open)s) - closed.{Hold.amount}
FROM closed, wallet
""",
    Hold=Hold,
    Wallet=Wallet,
    LedgerEntry=LedgerEntry,
    entry_columns=_ENTRY_COLUMNS,
)

# The debt a closed hold's refund paid off, as the ledger writes it (billing.ledger._pay_off_owed):
# an ADJUSTMENT after the credit's entry, keyed by it.
_PAY_OFF_OWED_SQL = sql(
    """
INSERT INTO {LedgerEntry} ({entry_columns})
VALUES (%(wallet_id)s, %(kind)s, -%(paid)s::bigint, %(balance)s, %(key)s, NULL, %(ref_type)s, %(ref_id)s, %(memo)s,
        %(now)s, NULL)
""",
    LedgerEntry=LedgerEntry,
    entry_columns=_ENTRY_COLUMNS,
)


def _close_hold(hold: Hold, *, status: str, actual_amount: int) -> Hold:
    # A hold's amount, key and ref never change once made, so the caller's copy can be used before any lock.
    if not 0 <= actual_amount <= hold.amount:
        raise ValueError(f"The actual cost must be between 0 and the {hold.amount} tokens held.")
    settled = status == Hold.Status.SETTLED
    refund = hold.amount - actual_amount
    entry_key = f"{status}:{hold.key}"
    # No savepoint: nothing below raises before its last write, and a failed statement spoils the
    # caller's transaction whether or not one was set.
    with transaction.atomic(savepoint=False), transaction.get_connection().cursor() as cursor:
        wallet = wallet_locked(wallet_id=hold.wallet_id)
        # Tokens coming back pay off what is owed first (billing.ledger): read under the lock.
        paid = min(wallet.tokens_owed, refund)
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
                "paid": paid,
                "wallet_id": wallet.id,
                "kind": Kind.SETTLE if settled else Kind.RELEASE,
                "entry_key": entry_key,
                "memo": _closing_memo(hold, actual_amount=actual_amount, settled=settled),
            },
        )
        row = cursor.fetchone()
        if row is None:
            return Hold.objects.get(pk=hold.pk)  # already settled or released: nothing moves again
        *hold_row, balance, held = row
        owed = wallet.tokens_owed - paid
        if paid:
            cursor.execute(
                _PAY_OFF_OWED_SQL,
                {
                    "wallet_id": wallet.id,
                    "kind": Kind.ADJUSTMENT,
                    "paid": paid,
                    "balance": balance,
                    "key": owed_payoff_key(entry_key),
                    "ref_type": hold.ref_type,
                    "ref_id": hold.ref_id,
                    "memo": owed_payoff_memo(paid=paid, still_owed=owed),
                    "now": timezone.now(),
                },
            )
    push_balance_figures(wallet.workspace_id, balance=balance, held=held, owed=owed)
    return Hold.from_db(transaction.get_connection().alias, attnames(Hold), hold_row)


def _closing_memo(hold: Hold, *, actual_amount: int, settled: bool) -> str:
    refund = hold.amount - actual_amount
    return f"Charged {actual_amount} of {hold.amount} held, {refund} returned" if settled else "Hold refunded"
