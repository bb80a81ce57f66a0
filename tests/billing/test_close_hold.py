"""Closing a hold (`hold_settle`, `hold_release`): the rows the ledger's rules call for, once, and a
refund to a wallet that owes tokens paying the debt off first."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from accounts.models import User
from billing.holds import hold_create, hold_release, hold_settle
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


def test_settling_and_releasing_write_the_closing_entries_and_return_what_they_give_back() -> None:
    user, (to_settle, to_release) = holding()

    settled = hold_settle(hold=to_settle, actual_amount=7)
    released = hold_release(hold=to_release)

    Kind = LedgerEntry.Kind
    assert written_by(user) == {
        "balance": 100 - 7,
        "holds": [
            (10, Hold.Status.SETTLED, 7, True, "user", True),
            (4, Hold.Status.RELEASED, 0, True, "user", True),
        ],
        "entries": [
            (Kind.HOLD, -10, 90, "hold:work:0", "work:0", "user", True, "Work"),
            (Kind.HOLD, -4, 86, "hold:work:1", "work:1", "user", True, "Work"),
            (Kind.SETTLE, 3, 89, "settled:work:0", "work:0", "user", True, "Charged 7 of 10 held, 3 returned"),
            (Kind.RELEASE, 4, 93, "released:work:1", "work:1", "user", True, "Hold refunded"),
        ],
    }
    assert Wallet.objects.get(user=user).tokens_owed == 0
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
    latest = LedgerEntry.objects.filter(wallet=wallet).order_by("-pk")[:2]
    assert [
        (e.kind, e.amount, e.balance_after, e.idempotency_key, e.hold_id, e.ref_type, e.ref_id, e.memo) for e in latest
    ] == [
        (
            LedgerEntry.Kind.ADJUSTMENT,
            -6,
            90,
            f"owed:released:{hold.key}",
            None,
            "user",
            str(user.pk),
            "6 tokens owed (from a refund or dispute) paid off",
        ),
        (LedgerEntry.Kind.RELEASE, 10, 96, f"released:{hold.key}", hold.pk, "user", str(user.pk), "Hold refunded"),
    ]
    assert sum(LedgerEntry.objects.filter(wallet=wallet).values_list("amount", flat=True)) == wallet.balance


def test_a_refund_smaller_than_the_debt_pays_off_what_it_can_and_the_rest_stays_owed() -> None:
    user, (hold, _) = holding()
    Wallet.objects.filter(user=user).update(tokens_owed=15)

    settled = hold_settle(hold=hold, actual_amount=2)
    hold_settle(hold=hold, actual_amount=2)  # closed once: nothing moves again

    wallet = Wallet.objects.get(user=user)
    assert (wallet.balance, wallet.tokens_owed) == (86, 15 - 8)
    assert settled.status == Hold.Status.SETTLED
    latest = LedgerEntry.objects.filter(wallet=wallet).order_by("-pk")[:2]
    assert [(e.kind, e.amount, e.balance_after, e.memo) for e in latest] == [
        (LedgerEntry.Kind.ADJUSTMENT, -8, 86, "8 tokens owed (from a refund or dispute) paid off; 7 still owed"),
        (LedgerEntry.Kind.SETTLE, 8, 94, "Charged 2 of 10 held, 8 returned"),
    ]
    assert sum(LedgerEntry.objects.filter(wallet=wallet).values_list("amount", flat=True)) == wallet.balance


def test_a_hold_settled_in_full_returns_nothing_and_pays_off_nothing() -> None:
    user, (hold, _) = holding()
    Wallet.objects.filter(user=user).update(tokens_owed=6)

    hold_settle(hold=hold, actual_amount=10)

    wallet = Wallet.objects.get(user=user)
    assert (wallet.balance, wallet.tokens_owed) == (86, 6)
    latest = LedgerEntry.objects.filter(wallet=wallet).latest("pk")
    assert (latest.kind, latest.amount, latest.balance_after) == (LedgerEntry.Kind.SETTLE, 0, 86)


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


@pytest.mark.django_db(transaction=True)
async def test_the_balance_event_after_a_refund_shows_the_debt_it_paid_off() -> None:
    user, (hold, _) = await database_sync_to_async(holding)()
    await database_sync_to_async(Wallet.objects.filter(user=user).update)(tokens_owed=15)
    socket = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://localhost")])
    socket.scope["user"] = user
    assert (await socket.connect())[0]

    await database_sync_to_async(hold_release, thread_sensitive=False)(hold=hold)

    assert await socket.receive_json_from(timeout=5) == {
        "type": "balance",
        "data": {"balance": 86, "held": 4, "owed": 5},
    }
    await socket.disconnect()
