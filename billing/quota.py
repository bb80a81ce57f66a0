"""The daily chat quota: each message counted once against its viewer's counters for the UTC day.

`chat_answer_pay` counts a signed-in user's answer and holds its tokens under one wallet lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.guests import Viewer
from accounts.models import User
from billing.holds import hold_create_locked
from billing.ledger import lock_wallet_for_work
from billing.models import Hold, Plan, QuotaCounter, QuotaUse, Wallet
from billing.wallets import default_plan
from sage.errors import ApplicationError
from sage.sql import sql


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


def _member_owner(user_id: int, wallet: Wallet) -> _QuotaOwner:
    """A person's counter for questions asked in `wallet`'s workspace, at its plan's limit: in their
    own workspace their own plan's, one counter a person; in a team workspace the team's plan's (its
    owner's), one counter per member and team, apart from their own, so a member's questions in the
    team never use up their own day's, nor theirs the team's."""
    if wallet.user_id is not None:
        return _QuotaOwner(f"user:{user_id}", wallet.plan.daily_chat_messages, "")
    return _QuotaOwner(f"member:{wallet.workspace_id}:{user_id}", wallet.plan.daily_chat_messages, "")


def _team_wallet(viewer: Viewer) -> Wallet | None:
    """The wallet of the team workspace the viewer acts in (None: their own workspace, or a guest)."""
    user = viewer.user
    if user is None or viewer.workspace_id is None or viewer.workspace_id == user.personal_workspace_id:
        return None
    return Wallet.objects.select_related("plan").filter(workspace_id=viewer.workspace_id, user=None).first()


def _quota_owners(viewer: Viewer) -> list[_QuotaOwner]:
    """The counters a message of this viewer counts on, the one it is shown by (its own) first."""
    if viewer.user is not None:
        if (team_wallet := _team_wallet(viewer)) is not None:
            return [_member_owner(viewer.user.pk, team_wallet)]
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
_USER_QUOTA_SQL = sql(
    """
SELECT p.{Plan.daily_chat_messages},
       coalesce((SELECT {QuotaCounter.used} FROM {QuotaCounter}
                 WHERE {QuotaCounter.owner_key} = %(owner_key)s AND {QuotaCounter.day} = %(day)s), 0)
FROM {Wallet} w JOIN {Plan} p ON p.{Plan.id} = w.{Wallet.plan}
WHERE w.{Wallet.user} = %(user_id)s
""",
    Plan=Plan,
    QuotaCounter=QuotaCounter,
    Wallet=Wallet,
)


def quota_status(*, viewer: Viewer) -> QuotaStatus:
    """The viewer's own quota where it acts (`viewer.workspace_id`: in a team workspace the team
    plan's, per member); for a guest, its remaining messages are also at most its address's."""
    day, resets_at = _utc_day_bounds(timezone.now())
    if viewer.user is not None and viewer.workspace_id not in (None, viewer.user.personal_workspace_id):
        owners = _quota_owners(viewer)
        return _status_of(owners, _used_by(owners, day), resets_at)
    if viewer.user is not None:
        owner_key = f"user:{viewer.user.pk}"
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(_USER_QUOTA_SQL, {"owner_key": owner_key, "day": day, "user_id": viewer.user.pk})
            row = cursor.fetchone()
        if row is not None:
            limit, used = row
            return _status_of([_QuotaOwner(owner_key, limit, "")], {owner_key: used}, resets_at)
    owners = _quota_owners(viewer)
    return _status_of(owners, _used_by(owners, day), resets_at)


def _used_by(owners: list[_QuotaOwner], day: dt.date) -> dict[str, int]:
    counters = QuotaCounter.objects.filter(owner_key__in=[owner.key for owner in owners], day=day)
    return dict(counters.values_list("owner_key", "used"))


def _status_of(owners: list[_QuotaOwner], used_by: dict[str, int], resets_at: dt.datetime) -> QuotaStatus:
    """Shown against the viewer's own limit; a tighter address quota shows as more of it used."""
    own_limit = owners[0].limit
    remaining = min(owner.limit - used_by.get(owner.key, 0) for owner in owners)
    return QuotaStatus(limit=own_limit, used=own_limit - max(min(remaining, own_limit), 0), resets_at=resets_at)


def quota_consume(*, viewer: Viewer, key: str) -> QuotaStatus:
    """Count one chat message against today's quota, on each of the viewer's counters; the same key
    is counted once."""
    owners = _quota_owners(viewer)
    now = timezone.now()
    try:
        with transaction.atomic():  # a savepoint when nested: a refusal or a replay undoes the count
            return _count_use(owners, key=key, now=now)
    except _CountedBefore:
        day, resets_at = _utc_day_bounds(now)
        return _status_of(owners, _used_by(owners, day), resets_at)


class _CountedBefore(Exception):
    """The key was counted before: what `_count_use` wrote must be rolled back."""


# One more use on each of the message's counters (made at 1 if it is the day's first), in owner_key
# order so two guests never wait on each other in opposite orders, and the uses themselves; gives each
# counter's count with this use and whether its use is new (not: the key was counted before, and the
# caller rolls this back). The insert of a counter that exists turns into the update, under its lock.
_COUNT_USE_SQL = sql(
    """
WITH owner AS (
    SELECT * FROM unnest(%(owner_keys)s::text[], %(use_keys)s::text[]) AS owner (owner_key, use_key)
), counter AS (
    INSERT INTO {QuotaCounter} ({QuotaCounter.owner_key}, {QuotaCounter.day}, {QuotaCounter.used})
    SELECT owner.owner_key, %(day)s, 1 FROM owner ORDER BY owner.owner_key
    ON CONFLICT ({QuotaCounter.owner_key}, {QuotaCounter.day})
    DO UPDATE SET {QuotaCounter.used} = {QuotaCounter}.{QuotaCounter.used} + 1
    RETURNING {QuotaCounter.id}, {QuotaCounter.owner_key}, {QuotaCounter.used}
), counted AS (
    INSERT INTO {QuotaUse} ({QuotaUse.counter}, {QuotaUse.key}, {QuotaUse.created_at})
    SELECT counter.{QuotaCounter.id}, owner.use_key, %(now)s
    FROM counter JOIN owner ON owner.owner_key = counter.{QuotaCounter.owner_key}
    ON CONFLICT ({QuotaUse.key}) DO NOTHING
    RETURNING {QuotaUse.counter}
)
SELECT counter.{QuotaCounter.owner_key}, counter.{QuotaCounter.used},
       EXISTS (SELECT 1 FROM counted WHERE counted.{QuotaUse.counter} = counter.{QuotaCounter.id})
FROM counter
""",
    QuotaCounter=QuotaCounter,
    QuotaUse=QuotaUse,
)


def _count_use(owners: list[_QuotaOwner], *, key: str, now: dt.datetime) -> QuotaStatus:
    """Count the message keyed `key` on each of `owners`' counters, in the caller's transaction, which
    rolls it back on QuotaExceeded or _CountedBefore: the count is written first and judged after,
    one statement for every counter."""
    day, resets_at = _utc_day_bounds(now)
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            _COUNT_USE_SQL,
            {
                "owner_keys": [owner.key for owner in owners],
                "use_keys": [key + owner.use_suffix for owner in owners],
                "day": day,
                "now": now,
            },
        )
        counted = {owner_key: (used, new) for owner_key, used, new in cursor.fetchall()}
    if not counted[owners[0].key][1]:  # the message's own use was there: it was counted before
        raise _CountedBefore(key)
    for index, owner in enumerate(owners):
        if counted[owner.key][0] > owner.limit:  # counted above; the refusal rolls the count back
            raise QuotaExceeded(limit=owner.limit, resets_at=resets_at, per_address=index > 0)
    return _status_of(owners, {owner_key: used for owner_key, (used, _new) in counted.items()}, resets_at)


def chat_answer_pay(
    *,
    user: User,
    quota_key: str,
    hold_key: str,
    amount: int,
    ref: models.Model,
    memo: str,
    workspace_id: int | None = None,
    about_video_id: int | None = None,
) -> Hold | None:
    """Count a signed-in user's chat answer against today's quota and hold its `amount` tokens (none
    when 0), inside the caller's transaction, which a refusal (QuotaExceeded, InsufficientTokens,
    TokensOwed) must roll back whole: `quota_consume` and `hold_create` under one wallet lock (its plan
    gives the quota), taken before the quota counter's as every path does, and without their
    savepoints (this runs before every answer's first word). The keys name the answer the same
    transaction has just created, so neither can have been used before. The tokens come from the
    wallet of the conversation's workspace `workspace_id`, and so does the quota's limit: the asker's
    own counter in their own workspace, their counter in the team in a team's (`_member_owner`).
    `about_video_id`: the conversation's video, if it is about one (Hold.about_video)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("chat_answer_pay runs inside the transaction that creates the answer.")
    wallet = lock_wallet_for_work(actor=user, workspace_id=workspace_id)
    _count_use([_member_owner(user.pk, wallet)], key=quota_key, now=timezone.now())
    if amount <= 0:
        return None
    return hold_create_locked(
        wallet, actor=user, amount=amount, key=hold_key, ref=ref, memo=memo, about_video_id=about_video_id
    )


@transaction.atomic
def quota_release(*, key: str) -> None:
    """Give back the use counted under `key` (its work failed on our side). Releasing twice, or a
    key never counted, gives back nothing."""
    for use in QuotaUse.objects.select_for_update().filter(key__in=[key, key + _ADDRESS_USE_SUFFIX]):
        QuotaCounter.objects.filter(pk=use.counter_id, used__gt=0).update(used=models.F("used") - 1)
        use.delete()
