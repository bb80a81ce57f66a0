"""The daily chat quota: each message counted once against its viewer's counters for the UTC day.

`chat_answer_pay` counts a signed-in user's answer and holds its tokens in one go (see its doc).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.guests import Viewer
from accounts.models import User
from billing.ledger import InsufficientTokens, Kind, TokensOwed, lock_wallet, push_balance_figures, ref_of
from billing.models import Hold, QuotaCounter, QuotaUse, Wallet
from billing.wallets import default_plan
from sage.errors import ApplicationError


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
# Postgres spent running them (bench/chat.py's burst; figures in bench/RESULTS.md). They write
# exactly the rows `quota_consume` and `hold_create` write (tests/billing/test_chat_answer_pay.py
# compares them).
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
            lock_wallet(user.pk)  # an account made before billing existed gets its wallet here
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
        ref_type, ref_id = ref_of(ref)
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
    push_balance_figures(user.pk, balance=new_balance, held=held_before + amount, owed=owed)
    fields = [field.attname for field in Hold._meta.concrete_fields]
    return Hold.from_db(connection.alias, fields, [hold_id if name == "id" else hold_values[name] for name in fields])


@transaction.atomic
def quota_release(*, key: str) -> None:
    """Give back the use counted under `key` (its work failed on our side). Releasing twice, or a
    key never counted, gives back nothing."""
    for use in QuotaUse.objects.select_for_update().filter(key__in=[key, key + _ADDRESS_USE_SUFFIX]):
        QuotaCounter.objects.filter(pk=use.counter_id, used__gt=0).update(used=models.F("used") - 1)
        use.delete()
