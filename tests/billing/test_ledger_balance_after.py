"""The usage history's "balance after" column when work overlaps: each row's figure is the one of the
row before plus its own amount, so two charges never show the same balance after (the bug: two
uploads held one after the other and settled later both showed the balance after both holds)."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.holds import hold_create, hold_release, hold_settle
from billing.ledger import ledger_debit, ledger_grant
from billing.selectors import ledger_action, ledger_action_entries
from tests.factories import empty_wallet_user

pytestmark = pytest.mark.django_db


def oldest_first(user):
    """The rows oldest first, after the sign-up grant and the reset that empty_wallet_user makes."""
    return [ledger_action(entry) for entry in reversed(list(ledger_action_entries(user.personal_workspace_id)))][2:]


def test_two_overlapping_uploads_each_show_their_own_balance_after() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=1_800, key="grant", memo="plan")
    first = hold_create(user=user, amount=50, key="video:1")
    second = hold_create(user=user, amount=28, key="video:2")
    hold_settle(hold=first, actual_amount=50)
    hold_settle(hold=second, actual_amount=28)

    rows = oldest_first(user)

    assert [(row.amount, row.balance_after) for row in rows] == [(1_800, 1_800), (-50, 1_750), (-28, 1_722)]


def test_interleaved_holds_debits_and_refunds_add_up_row_by_row_to_the_balance() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=1_000, key="grant", memo="plan")
    a = hold_create(user=user, amount=100, key="a")
    b = hold_create(user=user, amount=40, key="b")
    ledger_debit(user=user, amount=3, key="answer", memo="chat")
    c = hold_create(user=user, amount=7, key="c")
    hold_release(hold=b)
    hold_settle(hold=a, actual_amount=60)
    hold_create(user=user, amount=5, key="d")  # still open
    hold_settle(hold=c, actual_amount=7)

    rows = oldest_first(user)

    assert rows[0].balance_after == 1_000
    for before, after in itertools.pairwise(rows):
        assert after.balance_after == before.balance_after + after.amount
    assert rows[-1].balance_after == user.wallet.__class__.objects.get(user=user).balance == 1_000 - 3 - 60 - 5 - 7
    assert len({row.balance_after for row in rows if row.amount}) == len([row for row in rows if row.amount])


def test_the_billing_page_shows_the_corrected_figures_in_a_fixed_number_of_queries() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=1_800, key="grant", memo="plan")
    holds = [hold_create(user=user, amount=10 + n, key=f"v{n}") for n in range(6)]
    for hold in holds:
        hold_settle(hold=hold, actual_amount=hold.amount)
    client = Client()
    client.force_login(user)

    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("billing:billing")).content.decode()
    for n in range(6, 12):
        hold_settle(hold=hold_create(user=user, amount=10 + n, key=f"v{n}"), actual_amount=10 + n)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("billing:billing"))

    assert "1,725" in page and "1,800" in page  # 1,800 - 10 - 11 - 12 - 13 - 14 - 15
    assert 'data-label="Balance after">1,725<' in page and 'data-label="Balance after">1,800<' in page
    assert page.count('data-label="Balance after">1,790<') == 1
    assert len(more.captured_queries) == len(few.captured_queries)
