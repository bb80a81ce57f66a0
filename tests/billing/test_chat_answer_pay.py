"""`chat_answer_pay` (a chat answer's quota use and hold under one wallet lock, made by the statements
`quota_consume` and `hold_create` make theirs with): the rows paying writes, replays of its keys
through the general functions moving nothing, the refusals, and nothing left by a refusal."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.utils import timezone

from accounts.guests import Viewer
from billing.holds import hold_create
from billing.ledger import InsufficientTokens, TokensOwed, ledger_grant
from billing.models import Hold, LedgerEntry, QuotaCounter, QuotaUse, Wallet
from billing.quota import QuotaExceeded, chat_answer_pay, quota_consume, quota_status
from sage.asgi import application
from tests.factories import empty_wallet_user

pytestmark = pytest.mark.django_db


def funded_user(tokens: int = 100):
    user = empty_wallet_user()
    ledger_grant(user=user, amount=tokens, key=f"grant:{user.pk}", memo="grant")
    return user


def pay(user, *, number: int = 1, amount: int = 2) -> Hold | None:
    with transaction.atomic():
        return chat_answer_pay(
            user=user,
            quota_key=f"chat:{user.pk}:{number}",
            hold_key=f"chat-answer:{user.pk}:{number}",
            amount=amount,
            ref=user,  # any row: the hold names it
            memo="Chat answer",
        )


def written_by(user) -> dict[str, object]:
    """What paying wrote for `user`, without ids, keys' user part and times."""
    wallet = Wallet.objects.get(user=user)
    holds = Hold.objects.filter(wallet=wallet).order_by("pk")
    entries = LedgerEntry.objects.filter(wallet=wallet, kind=LedgerEntry.Kind.HOLD).order_by("pk")
    return {
        "balance": wallet.balance,
        "holds": [(h.amount, h.status, h.settled_amount, h.ref_type, h.memo, h.closed_at) for h in holds],
        "hold refs are the user": all(h.ref_id == str(user.pk) for h in holds),
        "entries": [
            (e.amount, e.balance_after, e.memo, e.ref_type, e.hold.key.replace(f"{user.pk}:", "") if e.hold else None)
            for e in entries
        ],
        "entry keys": [e.idempotency_key.replace(f"{user.pk}:", "") for e in entries],
        "used today": quota_status(
            viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
        ).used,
        "uses": sorted(
            use.key.replace(f"{user.pk}:", "") for use in QuotaUse.objects.filter(counter__owner_key=f"user:{user.pk}")
        ),
    }


def test_two_answers_paid_write_their_holds_entries_and_quota_uses() -> None:
    user = funded_user()

    first, second = pay(user, number=1), pay(user, number=2, amount=3)

    assert written_by(user) == {
        "balance": 95,
        "holds": [
            (2, Hold.Status.OPEN, None, "user", "Chat answer", None),
            (3, Hold.Status.OPEN, None, "user", "Chat answer", None),
        ],
        "hold refs are the user": True,
        "entries": [(-2, 98, "Chat answer", "user", "chat-answer:1"), (-3, 95, "Chat answer", "user", "chat-answer:2")],
        "entry keys": ["hold:chat-answer:1", "hold:chat-answer:2"],
        "used today": 2,
        "uses": ["chat:1", "chat:2"],
    }
    assert first is not None and second is not None
    assert Hold.objects.get(pk=second.pk).key == second.key == f"chat-answer:{user.pk}:2"
    assert (second.amount, second.status, second.wallet_id) == (3, Hold.Status.OPEN, Wallet.objects.get(user=user).pk)
    # What the caller gets back is the row as stored.
    stored = Hold.objects.get(pk=second.pk)
    assert [getattr(second, f.attname) for f in Hold._meta.concrete_fields] == [
        getattr(stored, f.attname) for f in Hold._meta.concrete_fields
    ]


def test_its_keys_replayed_through_hold_create_and_quota_consume_move_nothing() -> None:
    user = funded_user()
    paid = pay(user, number=1)
    before = written_by(user)

    with transaction.atomic():
        held_again = hold_create(user=user, amount=2, key=f"chat-answer:{user.pk}:1", ref=user, memo="Chat answer")
        counted_again = quota_consume(
            viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id), key=f"chat:{user.pk}:1"
        )

    assert paid is not None and held_again.pk == paid.pk
    assert counted_again.used == 1
    assert written_by(user) == before


def test_a_hold_replayed_when_the_balance_is_short_returns_the_first_hold() -> None:
    user = funded_user()
    first = hold_create(user=user, amount=60, key="video:1", ref=user, memo="Processing")

    again = hold_create(user=user, amount=60, key="video:1", ref=user, memo="Processing")

    assert again.pk == first.pk
    assert Wallet.objects.get(user=user).balance == 40
    assert Hold.objects.filter(wallet__user=user).count() == 1


def test_a_free_answer_counts_on_the_quota_and_holds_nothing() -> None:
    user = funded_user()

    assert pay(user, amount=0) is None

    assert not Hold.objects.filter(wallet__user=user).exists()
    assert quota_status(viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)).used == 1


def refused_for(reason: str):
    user = funded_user(tokens=1 if reason == "balance" else 100)
    wallet = Wallet.objects.get(user=user)
    if reason == "quota":
        today = timezone.now().date()
        QuotaCounter.objects.create(owner_key=f"user:{user.pk}", day=today, used=wallet.plan.daily_chat_messages)
    if reason == "owed":
        Wallet.objects.filter(pk=wallet.pk).update(tokens_owed=5)
    return user


@pytest.mark.parametrize(
    ("reason", "refusal"), [("quota", QuotaExceeded), ("balance", InsufficientTokens), ("owed", TokensOwed)]
)
def test_a_refused_answer_leaves_nothing_behind(reason: str, refusal: type[Exception]) -> None:
    user = refused_for(reason)
    before = written_by(user)

    with pytest.raises(refusal):
        pay(user)

    assert written_by(user) == before
    assert not QuotaUse.objects.filter(key__startswith=f"chat:{user.pk}:").exists()


def test_an_account_without_a_wallet_gets_one_and_pays() -> None:
    user = funded_user()
    plan = Wallet.objects.get(user=user).plan
    Wallet.objects.filter(user=user).delete()

    hold = pay(user, amount=0)

    assert hold is None
    assert Wallet.objects.get(user=user).plan == plan


@pytest.mark.django_db(transaction=True)
async def test_the_users_pages_hear_the_balance_the_answer_leaves() -> None:
    """The event must cross the channel layer (msgpack: plain ints, not the Decimal Postgres' sum()
    of bigints gives) to the user's open page."""
    user = await database_sync_to_async(funded_user)()
    socket = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://localhost")])
    socket.scope["user"] = user
    assert (await socket.connect())[0]

    await database_sync_to_async(pay, thread_sensitive=False)(user, amount=2)

    assert await socket.receive_json_from(timeout=5) == {
        "type": "balance",
        "data": {"balance": 98, "held": 2, "owed": 0},
    }
    await socket.disconnect()
