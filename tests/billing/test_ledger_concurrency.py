"""The ledger under concurrency and replays, on the real Postgres with one connection per thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from billing.holds import hold_create, hold_release, hold_settle
from billing.ledger import InsufficientTokens, ledger_debit, ledger_grant
from billing.models import Hold, LedgerEntry, Wallet
from tests.at_once import at_once
from tests.factories import empty_wallet_user

pytestmark = pytest.mark.django_db(transaction=True)


def ledger_sum(user) -> int:
    return LedgerEntry.objects.filter(wallet__user=user).aggregate(total=Sum("amount"))["total"] or 0


def test_fifty_concurrent_debits_against_a_balance_for_thirty_let_exactly_thirty_through() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=30 * 7, key="grant:test", memo="enough for 30")

    results = at_once(50, lambda i: ledger_debit(user=user, amount=7, key=f"debit:{i}", memo="work"))

    succeeded = [r for r in results if isinstance(r, LedgerEntry)]
    refused = [r for r in results if isinstance(r, InsufficientTokens)]
    assert len(succeeded) == 30
    assert len(refused) == 20, [r for r in results if not isinstance(r, LedgerEntry | InsufficientTokens)]
    wallet = Wallet.objects.get(user=user)
    assert wallet.balance == 0
    assert ledger_sum(user) == wallet.balance
    # Every success saw a distinct, decreasing balance: no two debits read the same balance.
    assert sorted(entry.balance_after for entry in succeeded) == list(range(0, 30 * 7, 7))


def test_concurrent_replays_of_one_key_charge_once() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="grant:test", memo="grant")

    results = at_once(20, lambda i: ledger_debit(user=user, amount=10, key="answer:42", memo="chat answer"))

    assert all(isinstance(r, LedgerEntry) for r in results), results
    assert len({r.pk for r in results}) == 1, "every replay returns the first entry"
    assert Wallet.objects.get(user=user).balance == 90
    assert LedgerEntry.objects.filter(idempotency_key="answer:42").count() == 1


def test_a_replayed_key_returns_the_first_result_even_after_the_balance_changed() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=50, key="grant:test", memo="grant")
    first = ledger_debit(user=user, amount=20, key="answer:1", memo="first")
    ledger_debit(user=user, amount=30, key="answer:2", memo="drains the rest")

    replay = ledger_debit(user=user, amount=20, key="answer:1", memo="replayed")

    assert replay.pk == first.pk
    assert Wallet.objects.get(user=user).balance == 0


def test_settle_and_release_racing_on_one_hold_move_tokens_once() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="grant:test", memo="grant")
    hold = hold_create(user=user, amount=60, key="video:1")
    assert Wallet.objects.get(user=user).balance == 40

    def close(i: int) -> Hold:
        if i % 2:
            return hold_settle(hold=hold, actual_amount=45)
        return hold_release(hold=hold)

    results = at_once(10, close)

    assert all(isinstance(r, Hold) for r in results), results
    hold.refresh_from_db()
    assert hold.status in (Hold.Status.SETTLED, Hold.Status.RELEASED)
    closing_entries = LedgerEntry.objects.filter(hold=hold).exclude(kind=LedgerEntry.Kind.HOLD)
    assert closing_entries.count() == 1
    expected = 40 + (15 if hold.status == Hold.Status.SETTLED else 60)
    assert Wallet.objects.get(user=user).balance == expected
    assert ledger_sum(user) == expected


def test_concurrent_holds_never_take_the_balance_below_zero() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="grant:test", memo="grant")

    results = at_once(12, lambda i: hold_create(user=user, amount=30, key=f"video:{i}"))

    assert sum(isinstance(r, Hold) for r in results) == 3
    assert sum(isinstance(r, InsufficientTokens) for r in results) == 9
    assert Wallet.objects.get(user=user).balance == 10
    assert ledger_sum(user) == 10


def test_two_users_on_one_plan_move_tokens_without_waiting_on_each_other() -> None:
    # Each wallet has its own lock; the plan they share is read, not locked. Were it locked (a bare
    # FOR UPDATE over the join), the second hold would wait for the first transaction to end, and
    # here it would hit the lock timeout instead.
    first, second = empty_wallet_user(), empty_wallet_user()
    assert Wallet.objects.get(user=first).plan_id == Wallet.objects.get(user=second).plan_id
    for user in (first, second):
        ledger_grant(user=user, amount=100, key=f"grant:{user.pk}", memo="grant")
    first_holds = threading.Event()
    second_done = threading.Event()

    def first_user() -> Hold:
        with transaction.atomic():
            hold = hold_create(user=first, amount=10, key="first", memo="work")
            first_holds.set()
            second_done.wait(timeout=10)  # the transaction, and its locks, stay open meanwhile
            return hold

    def second_user() -> Hold:
        first_holds.wait(timeout=10)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                return hold_create(user=second, amount=10, key="second", memo="work")
        finally:
            second_done.set()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(in_own_connection, first_user), pool.submit(in_own_connection, second_user)]
        results = [future.result() for future in futures]

    assert [hold.wallet.user_id for hold in results] == [first.pk, second.pk]
    assert [Wallet.objects.get(user=user).balance for user in (first, second)] == [90, 90]


def in_own_connection(work: Callable[[], Any]) -> Any:
    try:
        return work()
    finally:
        connection.close()
