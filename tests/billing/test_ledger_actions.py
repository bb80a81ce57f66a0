"""The ledger as people read it: one row per action. Work paid through a hold (an upload, an AI
note, a chat answer) shows once, with its hold and its settlement or refund folded in, on the
billing page and in the API's list; the append-only ledger underneath keeps every entry."""

from __future__ import annotations

import itertools
import re

import pytest
from rest_framework.test import APIClient

from billing.holds import hold_create, hold_release, hold_settle
from billing.ledger import ledger_debit
from billing.models import LedgerEntry
from billing.selectors import ledger_action, ledger_action_entries
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FREE_GRANT = 1_800


def actions(user):
    return [ledger_action(entry) for entry in ledger_action_entries(user.personal_workspace_id)]


def test_a_settled_hold_is_one_row_with_the_amount_charged() -> None:
    user = UserFactory()
    hold = hold_create(user=user, amount=10, key="video:1", memo="Processing “Cut A”")
    hold_settle(hold=hold, actual_amount=8)

    rows = actions(user)

    assert LedgerEntry.objects.filter(wallet__user=user).count() == 3  # grant, hold, settle: all kept
    assert len(rows) == 2  # the grant, and the video's one row
    video = rows[0]
    assert (video.kind, video.status, video.amount, video.held, video.refunded) == ("hold", "settled", -8, 10, 2)
    assert video.memo == "Processing “Cut A”"
    assert video.balance_after == FREE_GRANT - 8
    assert video.created_at == hold.created_at and video.closed_at is not None
    assert (rows[1].kind, rows[1].amount, rows[1].held) == ("grant", FREE_GRANT, None)


def test_a_released_hold_shows_as_refunded_and_an_open_one_as_on_hold() -> None:
    user = UserFactory()
    refunded = hold_create(user=user, amount=5, key="note:1:ai", memo="AI note at 00:04")
    hold_release(hold=refunded)
    hold_create(user=user, amount=2, key="chat-answer:9", memo="Chat answer")

    open_row, refunded_row, _grant = actions(user)

    assert (refunded_row.status, refunded_row.amount, refunded_row.held, refunded_row.refunded) == ("released", 0, 5, 5)
    assert refunded_row.balance_after == FREE_GRANT
    assert (open_row.status, open_row.amount, open_row.held, open_row.closed_at) == ("open", -2, 2, None)
    assert open_row.balance_after == FREE_GRANT - 2


def test_each_rows_balance_is_the_one_before_plus_its_amount_when_actions_follow_each_other() -> None:
    user = UserFactory()
    for number, (held, charged) in enumerate([(30, 28), (5, 0), (2, 2)]):
        hold = hold_create(user=user, amount=held, key=f"work:{number}")
        if charged:
            hold_settle(hold=hold, actual_amount=charged)
        else:
            hold_release(hold=hold)
    ledger_debit(user=user, amount=3, key="debit:1", memo="A charge")

    rows = list(reversed(actions(user)))  # oldest first

    for before, after in itertools.pairwise(rows):
        assert after.balance_after == before.balance_after + after.amount
    assert [row.amount for row in rows] == [FREE_GRANT, -28, 0, -2, -3]


def test_the_billing_page_shows_one_row_per_action_with_what_came_back() -> None:
    user = UserFactory()
    settled = hold_create(user=user, amount=10, key="video:2", memo="Processing “Cut B”")
    hold_settle(hold=settled, actual_amount=8)
    released = hold_create(user=user, amount=5, key="note:2:ai", memo="AI note at 00:10")
    hold_release(hold=released)
    client = APIClient()
    client.force_login(user)

    html = client.get("/billing/").content.decode()

    rows = re.findall(r"<tr data-ledger-status.*?</tr>", html.split('id="history"')[1], re.S)
    assert len(rows) == 3  # not five: each hold and its ending are one row
    note, video, grant = rows
    assert "AI note at 00:10" in note and "Refunded" in note and "5 held, all returned" in note
    assert re.search(r'data-label="Amount">0<', note)
    assert "Processing “Cut B”" in video and "Charged" in video and "10 held, 2 returned" in video
    assert "\N{MINUS SIGN}8" in video and "amount-debit" in video
    assert "+1,800" in grant
    assert "3 actions" in html


def test_the_api_list_folds_holds_the_same_way() -> None:
    user = UserFactory()
    hold = hold_create(user=user, amount=10, key="video:3", memo="Processing")
    hold_settle(hold=hold, actual_amount=8)
    client = APIClient()
    client.force_login(user)

    body = client.get("/api/v1/billing/ledger").json()

    assert body["count"] == 2
    video = body["results"][0]
    assert (video["kind"], video["status"], video["amount"], video["held"]) == ("hold", "settled", -8, 10)
    assert video["balance_after"] == FREE_GRANT - 8 and video["closed_at"] is not None
