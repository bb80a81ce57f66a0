"""The token services one call at a time: grants, debits, holds, replays and the append-only ledger.

Concurrency (many connections at once) is covered in test_ledger_concurrency.py.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from billing.holds import hold_create, hold_release, hold_settle
from billing.ledger import InsufficientTokens, ledger_adjust, ledger_debit, ledger_grant
from billing.models import Hold, LedgerEntry, Plan, Wallet
from billing.wallets import current_period_start
from tests.factories import UserFactory, empty_wallet_user

pytestmark = pytest.mark.django_db


def balance(user) -> int:
    return Wallet.objects.get(user=user).balance


def ledger_sum(user) -> int:
    return LedgerEntry.objects.filter(wallet__user=user).aggregate(total=Sum("amount"))["total"] or 0


def entry_count(user) -> int:
    return LedgerEntry.objects.filter(wallet__user=user).count()


# --- a new account --------------------------------------------------------------------------------


def test_a_new_user_gets_a_wallet_on_the_free_plan_with_this_months_grant():
    user = UserFactory()

    wallet = Wallet.objects.select_related("plan").get(user=user)
    free = Plan.objects.get(slug="free")
    assert wallet.plan == free
    assert wallet.balance == free.monthly_tokens > 0
    assert wallet.period_start == current_period_start()
    [grant] = LedgerEntry.objects.filter(wallet=wallet)
    assert grant.kind == LedgerEntry.Kind.GRANT
    assert grant.amount == grant.balance_after == free.monthly_tokens
    assert grant.idempotency_key == f"grant:{wallet.pk}:{current_period_start():%Y-%m}"


# --- replays --------------------------------------------------------------------------------------


def test_replaying_a_grant_key_returns_the_first_entry_and_moves_nothing():
    user = empty_wallet_user()
    first = ledger_grant(user=user, amount=100, key="promo:1", memo="welcome")
    entries = entry_count(user)

    replay = ledger_grant(user=user, amount=999, key="promo:1", memo="again")

    assert replay.pk == first.pk
    assert (replay.amount, replay.memo) == (100, "welcome")
    assert balance(user) == 100
    assert entry_count(user) == entries


def test_replaying_a_debit_key_returns_the_first_entry_and_charges_once():
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="promo:1", memo="grant")
    first = ledger_debit(user=user, amount=30, key="answer:7", memo="chat answer")

    replay = ledger_debit(user=user, amount=30, key="answer:7", memo="chat answer")

    assert replay.pk == first.pk
    assert balance(user) == 70
    assert LedgerEntry.objects.filter(idempotency_key="answer:7").count() == 1


def test_replaying_a_hold_key_returns_the_first_hold_and_holds_once():
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="promo:1", memo="grant")
    first = hold_create(user=user, amount=60, key="video:1")

    replay = hold_create(user=user, amount=60, key="video:1")

    assert replay.pk == first.pk
    assert Hold.objects.filter(wallet__user=user).count() == 1
    assert balance(user) == 40
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.HOLD, wallet__user=user).count() == 1


# --- holds ----------------------------------------------------------------------------------------


def test_settling_a_hold_charges_the_actual_cost_and_returns_the_rest():
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="promo:1", memo="grant")
    hold = hold_create(user=user, amount=60, key="video:1", memo="processing")
    assert balance(user) == 40

    settled = hold_settle(hold=hold, actual_amount=45)

    assert (settled.status, settled.settled_amount) == (Hold.Status.SETTLED, 45)
    assert settled.closed_at is not None
    assert balance(user) == 55
    entries = list(LedgerEntry.objects.filter(hold=hold).order_by("pk").values_list("kind", "amount", "balance_after"))
    assert entries == [(LedgerEntry.Kind.HOLD, -60, 40), (LedgerEntry.Kind.SETTLE, 15, 55)]
    assert ledger_sum(user) == 55


def test_releasing_a_hold_refunds_it_in_full():
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="promo:1", memo="grant")
    hold = hold_create(user=user, amount=60, key="video:1")

    released = hold_release(hold=hold)

    assert (released.status, released.settled_amount) == (Hold.Status.RELEASED, 0)
    assert balance(user) == 100
    assert ledger_sum(user) == 100


@pytest.mark.parametrize(
    ("first", "second"),
    [("settle", "settle"), ("release", "release"), ("settle", "release"), ("release", "settle")],
)
def test_a_hold_is_closed_once_whatever_is_called_after(first, second):
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="promo:1", memo="grant")
    hold = hold_create(user=user, amount=60, key="video:1")

    def close(how: str) -> Hold:
        return hold_settle(hold=hold, actual_amount=45) if how == "settle" else hold_release(hold=hold)

    close(first)
    after_first = (balance(user), entry_count(user))
    closed_again = close(second)

    assert closed_again.status == (Hold.Status.SETTLED if first == "settle" else Hold.Status.RELEASED)
    assert (balance(user), entry_count(user)) == after_first
    assert after_first[0] == (55 if first == "settle" else 100)
    assert LedgerEntry.objects.filter(hold=hold).exclude(kind=LedgerEntry.Kind.HOLD).count() == 1


def test_settling_more_than_was_held_is_refused_and_moves_nothing():
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="promo:1", memo="grant")
    hold = hold_create(user=user, amount=60, key="video:1")
    before = (balance(user), entry_count(user))

    with pytest.raises(ValueError, match="60"):
        hold_settle(hold=hold, actual_amount=61)

    hold.refresh_from_db()
    assert hold.status == Hold.Status.OPEN
    assert hold.settled_amount is None
    assert (balance(user), entry_count(user)) == before
    # Still open, so it can be settled properly afterwards.
    assert hold_settle(hold=hold, actual_amount=60).status == Hold.Status.SETTLED


def test_a_hold_larger_than_the_balance_is_refused_and_creates_nothing():
    user = empty_wallet_user()
    ledger_grant(user=user, amount=50, key="promo:1", memo="grant")

    with pytest.raises(InsufficientTokens) as refused:
        hold_create(user=user, amount=60, key="video:1")

    assert (refused.value.needed, refused.value.available) == (60, 50)
    assert not Hold.objects.filter(key="video:1").exists()
    assert balance(user) == 50


# --- not enough tokens ----------------------------------------------------------------------------


def test_insufficient_tokens_says_what_was_needed_and_what_is_available():
    user = empty_wallet_user()
    ledger_grant(user=user, amount=25, key="promo:1", memo="grant")

    with pytest.raises(InsufficientTokens) as refused:
        ledger_debit(user=user, amount=40, key="answer:1", memo="chat answer")

    assert refused.value.needed == 40
    assert refused.value.available == 25
    assert "40" in str(refused.value)
    assert "25" in str(refused.value)


def test_a_failed_debit_leaves_the_balance_and_ledger_untouched():
    user = empty_wallet_user()
    ledger_grant(user=user, amount=25, key="promo:1", memo="grant")
    before = list(LedgerEntry.objects.filter(wallet__user=user).values_list("pk", "amount", "balance_after"))

    with pytest.raises(InsufficientTokens):
        ledger_debit(user=user, amount=26, key="answer:1", memo="chat answer")

    assert balance(user) == 25
    assert list(LedgerEntry.objects.filter(wallet__user=user).values_list("pk", "amount", "balance_after")) == before
    assert not LedgerEntry.objects.filter(idempotency_key="answer:1").exists()
    # The key was not used up by the failure: once there are tokens, the same request goes through.
    ledger_grant(user=user, amount=10, key="promo:2", memo="grant")
    assert ledger_debit(user=user, amount=26, key="answer:1", memo="chat answer").balance_after == 9


def test_an_adjustment_cannot_take_more_than_the_balance():
    user = empty_wallet_user()
    ledger_grant(user=user, amount=10, key="promo:1", memo="grant")

    with pytest.raises(InsufficientTokens):
        ledger_adjust(user=user, amount=-11, key="fix:1", memo="refund reversed")

    assert balance(user) == 10
    assert ledger_adjust(user=user, amount=-10, key="fix:1", memo="refund reversed").balance_after == 0


@pytest.mark.parametrize(
    "move",
    [
        lambda user: ledger_grant(user=user, amount=0, key="k", memo="m"),
        lambda user: ledger_debit(user=user, amount=-5, key="k", memo="m"),
        lambda user: ledger_adjust(user=user, amount=0, key="k", memo="m"),
        lambda user: ledger_adjust(user=user, amount=5, key="k", memo="  "),
        lambda user: hold_create(user=user, amount=0, key="k"),
    ],
    ids=["zero grant", "negative debit", "zero adjustment", "adjustment without a reason", "zero hold"],
)
def test_nonsense_amounts_are_refused(move):
    user = UserFactory()
    before = (balance(user), entry_count(user))

    with pytest.raises(ValueError):
        move(user)

    assert (balance(user), entry_count(user)) == before


# --- the ledger is append-only --------------------------------------------------------------------


def test_a_ledger_entry_cannot_be_changed_or_deleted_in_any_way():
    user = empty_wallet_user()
    entry = ledger_grant(user=user, amount=100, key="promo:1", memo="grant")
    entries = LedgerEntry.objects.filter(pk=entry.pk)

    entry.amount = 1_000_000
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    with pytest.raises(TypeError, match="append-only"):
        entries.update(amount=1_000_000)
    with pytest.raises(TypeError, match="append-only"):
        entries.delete()
    with pytest.raises(TypeError, match="append-only"):
        LedgerEntry.objects.all().delete()

    stored = LedgerEntry.objects.get(pk=entry.pk)
    assert (stored.amount, stored.balance_after, stored.memo) == (100, 100, "grant")
    assert balance(user) == 100


def test_the_database_refuses_a_negative_balance_even_through_a_raw_update():
    user = empty_wallet_user()

    with pytest.raises(IntegrityError, match="wallet_balance_not_negative"), transaction.atomic():
        Wallet.objects.filter(user=user).update(balance=-1)

    assert balance(user) == 0


def test_the_database_refuses_a_ledger_row_with_a_negative_balance_after():
    user = empty_wallet_user()
    wallet = Wallet.objects.get(user=user)

    with pytest.raises(IntegrityError, match="ledger_balance_not_negative"), transaction.atomic():
        # By hand, not ledger_debit: the test is about the row itself, which the service never writes.
        LedgerEntry.objects.create(wallet=wallet, kind="debit", amount=-1, balance_after=-1, idempotency_key="raw")


def test_a_new_entry_given_an_existing_entrys_id_cannot_overwrite_it():
    user = empty_wallet_user()
    entry = ledger_grant(user=user, amount=100, key="promo:1", memo="grant")
    forged = LedgerEntry(
        pk=entry.pk, wallet=entry.wallet, kind="grant", amount=10**6, balance_after=10**6, idempotency_key="forged"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()

    stored = LedgerEntry.objects.get(pk=entry.pk)
    assert (stored.amount, stored.idempotency_key) == (100, "promo:1")


# --- the balance is the sum of the ledger ---------------------------------------------------------


def test_after_any_sequence_of_movements_the_balance_equals_the_ledger_sum():
    user = UserFactory()  # starts with the sign-up grant
    start = balance(user)
    ledger_grant(user=user, amount=500, key="promo:1", memo="grant")
    ledger_debit(user=user, amount=20, key="answer:1", memo="chat")
    ledger_debit(user=user, amount=20, key="answer:1", memo="chat, replayed")
    kept = hold_create(user=user, amount=120, key="video:1")
    refunded = hold_create(user=user, amount=80, key="video:2")
    hold_create(user=user, amount=30, key="video:3")  # still open: its tokens stay out of the balance
    hold_settle(hold=kept, actual_amount=97)
    hold_settle(hold=kept, actual_amount=120)
    hold_release(hold=refunded)
    ledger_adjust(user=user, amount=-13, key="fix:1", memo="correction")
    with pytest.raises(InsufficientTokens):
        ledger_debit(user=user, amount=10**9, key="answer:huge", memo="too much")

    expected = start + 500 - 20 - 97 - 30 - 13
    assert balance(user) == expected
    assert ledger_sum(user) == expected
    last = LedgerEntry.objects.filter(wallet__user=user).order_by("-pk").first()
    assert last is not None
    assert last.balance_after == expected


def test_deleting_an_account_removes_its_wallet_holds_and_ledger():
    user = UserFactory()
    hold = hold_create(user=user, amount=10, key="video:delete-me")
    hold_settle(hold=hold, actual_amount=4)

    user.delete()

    assert not Wallet.objects.filter(pk=hold.wallet_id).exists()
    assert not Hold.objects.filter(pk=hold.pk).exists()
    assert not LedgerEntry.objects.filter(wallet_id=hold.wallet_id).exists()
