"""Closing a hold in fixed SQL (`hold_settle`, `hold_release`) against the general path it replaces
(`_close_hold_through_orm`, which a wallet owing tokens still takes): the same rows, once."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from accounts.models import User
from billing.holds import _close_hold_through_orm, hold_create, hold_release, hold_settle
from billing.ledger import ledger_grant
from billing.models import Hold, LedgerEntry, Wallet
from sage.asgi import application
from tests.factories import empty_wallet_user

pytestmark = pytest.mark.django_db


def holding(amounts: tuple[int, ...] = (10, 4)) -> tuple[User, list[Hold]]:
    """A user granted 100 tokens with holds of `amounts` open."""
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key=f"grant:{user.pk}", memo="grant")
    holds = [
        hold_create(user=user, amount=amount, key=f"work:{user.pk}:{number}", ref=user, memo="Work")
        for number, amount in enumerate(amounts)
    ]
    return user, holds


def written_by(user) -> dict[str, object]:
    """The user's balance, holds and hold entries, without ids, times and keys' user part."""
    wallet = Wallet.objects.get(user=user)
    return {
        "balance": wallet.balance,
        "holds": [
            (h.amount, h.status, h.settled_amount, h.closed_at is not None, h.ref_type, h.ref_id == str(user.pk))
            for h in Hold.objects.filter(wallet=wallet).order_by("pk")
        ],
        "entries": [
            (
                e.kind,
                e.amount,
                e.balance_after,
                e.idempotency_key.replace(f"{user.pk}:", ""),
                e.hold.key.replace(f"{user.pk}:", "") if e.hold else None,
                e.ref_type,
                e.ref_id == str(user.pk),
                e.memo,
            )
            for e in LedgerEntry.objects.filter(wallet=wallet, hold__isnull=False).order_by("pk")
        ],
    }


def test_settling_and_releasing_write_what_the_general_path_writes() -> None:
    fast_user, (fast_settled, fast_released) = holding()
    general_user, (general_settled, general_released) = holding()

    settled = hold_settle(hold=fast_settled, actual_amount=7)
    released = hold_release(hold=fast_released)
    _close_hold_through_orm(general_settled, status=Hold.Status.SETTLED, actual_amount=7)
    _close_hold_through_orm(general_released, status=Hold.Status.RELEASED, actual_amount=0)

    assert written_by(fast_user) == written_by(general_user)
    assert Wallet.objects.get(user=fast_user).balance == 93
    # What the callers get back is the row as stored.
    for returned in (settled, released):
        stored = Hold.objects.get(pk=returned.pk)
        assert [getattr(returned, f.attname) for f in Hold._meta.concrete_fields] == [
            getattr(stored, f.attname) for f in Hold._meta.concrete_fields
        ]


def test_a_hold_closes_once_however_often_it_is_settled_or_released() -> None:
    user, (hold, _) = holding()
    hold_settle(hold=hold, actual_amount=3)
    before = written_by(user)

    again = hold_settle(hold=hold, actual_amount=10)
    released = hold_release(hold=hold)

    assert written_by(user) == before
    assert (again.status, again.settled_amount) == (released.status, released.settled_amount) == ("settled", 3)


def test_a_cost_above_the_hold_is_refused_and_moves_nothing() -> None:
    user, (hold, _) = holding()
    before = written_by(user)

    with pytest.raises(ValueError, match="between 0 and the 10 tokens held"), transaction.atomic():
        hold_settle(hold=hold, actual_amount=11)

    assert written_by(user) == before


def test_a_refund_to_a_wallet_that_owes_tokens_pays_the_debt_first() -> None:
    user, (hold, _) = holding()
    Wallet.objects.filter(user=user).update(tokens_owed=6)

    hold_release(hold=hold)

    wallet = Wallet.objects.get(user=user)
    assert (wallet.balance, wallet.tokens_owed) == (86 + 10 - 6, 0)
    assert list(LedgerEntry.objects.filter(wallet=wallet).order_by("-pk").values_list("kind", "amount")[:2]) == [
        (LedgerEntry.Kind.ADJUSTMENT, -6),
        (LedgerEntry.Kind.RELEASE, 10),
    ]


@pytest.mark.django_db(transaction=True)
async def test_the_users_pages_hear_the_balance_a_closed_hold_leaves() -> None:
    user, (hold, _) = await database_sync_to_async(holding)()
    socket = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://localhost")])
    socket.scope["user"] = user
    assert (await socket.connect())[0]

    await database_sync_to_async(hold_settle, thread_sensitive=False)(hold=hold, actual_amount=7)

    assert await socket.receive_json_from(timeout=5) == {
        "type": "balance",
        "data": {"balance": 86 + 3, "held": 4, "owed": 0},
    }
    await socket.disconnect()
