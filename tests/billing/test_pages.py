"""The billing page, the header balance, and the message for pages that run out of tokens."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from billing.holds import hold_create, hold_settle
from billing.ledger import InsufficientTokens, ledger_debit, ledger_grant
from billing.selectors import DailyUsage
from billing.views import insufficient_tokens_message, monthly_price, ref_url, signed_tokens, usage_chart
from sage.formatting import data_size, video_duration

pytestmark = pytest.mark.django_db

BILLING_URL = "/billing/"
FREE_GRANT = 1_800
# After the fixtures' sign-up grants (made at the real time), so entries made at NOW are the newest.
NOW = dt.datetime(2030, 6, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def chart_days(html: str) -> list[tuple[str, int]]:
    return [(day, int(tokens)) for day, tokens in re.findall(r'data-day="([\d-]+)" data-tokens="(\d+)"', html)]


# --- access ----------------------------------------------------------------------------------------


def test_the_billing_page_requires_login(client) -> None:
    response = client.get(BILLING_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- what it shows ---------------------------------------------------------------------------------


def test_the_page_shows_the_plan_balance_and_limits(signed_in) -> None:
    response = signed_in.get(BILLING_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your plan: Free" in html
    assert '<span class="balance-value stat-value">1,800</span>' in html
    assert "30 minutes" in html  # the Free grant as video time
    assert "20 a day" in html  # daily chat messages
    assert "15 minutes" in html  # longest video
    assert "500 MB" in html
    assert "2 GB" in html
    assert "data-contact>contact us</a> to change plan" in html  # a mailto link (tests/sage/test_operators.py)


def test_the_plans_are_shown_side_by_side_with_the_current_one_marked(signed_in) -> None:
    html = signed_in.get(BILLING_URL).content.decode()

    plans = re.findall(r'<li class="card plan-card( plan-current)?"[^>]*>.*?<h3>(\w+)</h3>', html, re.S)
    assert [(name, bool(current)) for current, name in plans] == [("Free", True), ("Pro", False), ("Team", False)]
    assert "$19 / month" in html
    assert "$79 / month" in html
    assert "10 hours" in html  # Pro: 36,000 tokens
    assert "50 hours" in html  # Team: 180,000 tokens
    assert "1 TB" in html  # Team storage
    assert "Upgrade" not in html  # no pretend upgrade button


def test_open_holds_are_listed_with_what_amount_and_since(signed_in, user) -> None:
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        hold_create(user=user, amount=300, key="hold-a", memo="Processing holiday.mp4")
    settled = hold_create(user=user, amount=100, key="hold-b", memo="Already finished")
    hold_settle(hold=settled, actual_amount=60)

    html = signed_in.get(BILLING_URL).content.decode()

    holds = html.split('id="holds"')[1].split("</section>")[0]
    assert "Processing holiday.mp4" in holds
    assert "300 tokens" in holds
    assert "20 Jun 2030 13:00" in holds
    assert "Already finished" not in holds  # settled: no longer on hold
    assert '<span class="held-value stat-value">300</span>' in html


def test_ledger_rows_show_when_what_signed_amount_and_balance_after(signed_in, user) -> None:
    with time_machine.travel(NOW, tick=False):
        ledger_debit(user=user, amount=250, key="debit-1", memo="Chat answer")
        ledger_grant(user=user, amount=1_000, key="grant-1", memo="Welcome bonus")

    html = signed_in.get(BILLING_URL).content.decode()

    rows = re.findall(r"<tr data-ledger-status[^>]*>\s*<td.*?</tr>", html.split('id="history"')[1], re.S)
    assert len(rows) == 3
    newest, debit, first_grant = rows
    assert "Welcome bonus" in newest and "Grant" in newest
    assert "+1,000" in newest and "amount-credit" in newest and "2,550" in newest
    assert "Chat answer" in debit and "Debit" in debit
    assert "\N{MINUS SIGN}250" in debit and "amount-debit" in debit and "1,550" in debit
    assert "20 Jun 2030 15:00" in debit
    assert "+1,800" in first_grant


def test_entries_about_unknown_things_are_not_linked(signed_in, user) -> None:
    # `ref` names the model; a user is not something the billing page links to.
    ledger_debit(user=user, amount=5, key="debit-ref", memo="About a user", ref=user)

    html = signed_in.get(BILLING_URL).content.decode()

    assert "About a user" in html
    assert not re.search(r'href="/(videos|chat)/\d+/', html)


def test_ref_links_exist_only_for_known_kinds() -> None:
    assert ref_url("video", "12") == "/videos/12/"
    assert ref_url("conversation", "7") == "/chat/7/"
    assert ref_url("video", "../admin") == "/videos/..%2Fadmin/"
    assert ref_url("user", "3") is None
    assert ref_url("video", "") is None
    assert ref_url("", "") is None


def test_another_users_entries_and_holds_never_appear(signed_in, other_user) -> None:
    ledger_debit(user=other_user, amount=40, key="other-debit", memo="Someone else's chat")
    hold_create(user=other_user, amount=70, key="other-hold", memo="Someone else's video")

    html = signed_in.get(BILLING_URL).content.decode()

    assert "Someone else" not in html
    assert '<span class="held-value stat-value">0</span>' in html


# --- pagination --------------------------------------------------------------------------------------


@pytest.fixture
def thirty_entries(user) -> None:
    # With the sign-up grant, 30 entries: two pages of 25 and 5.
    for number in range(1, 30):
        ledger_debit(user=user, amount=1, key=f"charge-{number}", memo=f"Charge {number:02d}")


def test_history_is_paginated_newest_first(signed_in, thirty_entries) -> None:
    first = signed_in.get(BILLING_URL).content.decode()
    second = signed_in.get(BILLING_URL, {"page": 2}).content.decode()

    assert "Charge 29" in first and "Charge 05" in first
    assert "Charge 04" not in first
    assert "Page 1 of 2" in first
    assert all(f"Charge {n:02d}" in second for n in range(1, 5))
    assert "Charge 05" not in second
    assert "tokens for" in second  # the oldest entry: the sign-up grant
    assert "Page 2 of 2" in second


@pytest.mark.parametrize(("page", "expected"), [("abc", "Page 1 of 2"), ("999", "Page 2 of 2"), ("-1", "Page 2 of 2")])
def test_a_bad_page_number_shows_a_real_page(signed_in, thirty_entries, page: str, expected: str) -> None:
    response = signed_in.get(BILLING_URL, {"page": page})

    assert response.status_code == 200
    assert expected in response.content.decode()


def test_the_number_of_queries_does_not_grow_with_the_ledger(client, user, django_assert_max_num_queries) -> None:
    client.force_login(user)
    hold_create(user=user, amount=10, key="one-hold", memo="One hold")
    with CaptureQueriesContext(connection) as few:
        assert client.get(BILLING_URL).status_code == 200

    for number in range(40):
        ledger_debit(user=user, amount=1, key=f"many-{number}", memo=f"Charge {number}")
        hold_create(user=user, amount=1, key=f"many-hold-{number}", memo=f"Hold {number}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(BILLING_URL).status_code == 200


# --- the chart -------------------------------------------------------------------------------------


def test_the_chart_has_a_bar_per_day_for_thirty_days_with_each_days_usage(client, user) -> None:
    with time_machine.travel(NOW - dt.timedelta(days=3, hours=5), tick=False):
        ledger_debit(user=user, amount=120, key="day-a-1", memo="Chat")
        hold = hold_create(user=user, amount=400, key="day-a-hold", memo="Video")
        hold_settle(hold=hold, actual_amount=250)  # 400 held, 150 back: 250 spent
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        ledger_debit(user=user, amount=7, key="day-b-1", memo="Chat")
        ledger_grant(user=user, amount=500, key="day-b-grant", memo="A grant is not usage")
    with time_machine.travel(NOW - dt.timedelta(days=45), tick=False):
        ledger_debit(user=user, amount=99, key="too-old", memo="Before the chart")

    with time_machine.travel(NOW, tick=False):
        client.force_login(user)  # at NOW: a session from today would have expired by then
        html = client.get(BILLING_URL).content.decode()

    days = chart_days(html)
    assert len(days) == 30
    assert days[0][0] == "2030-05-22" and days[-1][0] == "2030-06-20"
    usage = dict(days)
    assert usage["2030-06-17"] == 370
    assert usage["2030-06-19"] == 7
    assert sum(usage.values()) == 377
    assert 'aria-label="17 Jun 2030: 370 tokens"' in html
    assert "<title>17 Jun 2030: 370 tokens</title>" in html
    assert "377 tokens used in the last 30 days" in html
    assert html.count('class="chart-bar"') == 2


def test_the_chart_with_no_usage_says_so(signed_in) -> None:
    html = signed_in.get(BILLING_URL).content.decode()

    assert len(chart_days(html)) == 30
    assert "No tokens used in the last 30 days." in html
    assert 'class="chart-bar"' not in html


def test_chart_bars_scale_to_a_round_axis() -> None:
    start = dt.date(2026, 6, 1)
    chart = usage_chart([DailyUsage(day=start + dt.timedelta(days=i), tokens=t) for i, t in enumerate([0, 400, 1])])

    assert [tick.label for tick in chart.ticks] == ["500", "250"]
    empty, tall, tiny = chart.bars
    assert empty.height == 0
    assert tall.height == pytest.approx((chart.baseline - 22) * 400 / 500)
    assert tiny.height == 2  # a day with any usage stays visible
    assert chart.busiest == DailyUsage(day=start + dt.timedelta(days=1), tokens=400)


# --- the header and the dashboard -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/settings/", BILLING_URL])
def test_the_header_shows_the_balance_linked_to_the_billing_page(signed_in, user, path: str) -> None:
    ledger_grant(user=user, amount=1_000, key="bonus", memo="Bonus")

    html = signed_in.get(path).content.decode()

    header = html.split('id="header-balance"')[1].split("</a>")[0]
    assert 'href="/billing/"' in header
    assert '<span class="balance-value">2,800</span>' in header


def test_the_dashboard_shows_the_balance(signed_in) -> None:
    html = signed_in.get("/").content.decode()

    account = html.split('id="account-title"')[1].split("</section>")[0]
    assert '<span class="balance-value">1,800</span> tokens' in account


def test_the_header_has_no_balance_for_visitors(client) -> None:
    assert 'id="header-balance"' not in client.get("/").content.decode()


# --- running out of tokens ---------------------------------------------------------------------------


def test_insufficient_tokens_message_says_what_is_needed_and_links_to_billing() -> None:
    message = insufficient_tokens_message(InsufficientTokens(needed=2_000, available=15))

    assert message == 'This needs 2,000 tokens but you have 15. <a href="/billing/">See your balance and plans</a>.'
    assert hasattr(message, "__html__")  # safe to put in a template as it is


def test_insufficient_tokens_partial_renders_the_message() -> None:
    message = insufficient_tokens_message(InsufficientTokens(needed=90, available=0))

    html = render_to_string("billing/partials/insufficient_tokens.html", {"insufficient_tokens": message})

    assert 'role="alert"' in html
    assert '<a href="/billing/">See your balance and plans</a>' in html
    assert "This needs 90 tokens but you have 0." in html
    assert render_to_string("billing/partials/insufficient_tokens.html", {}).strip() == ""


def test_a_real_shortfall_produces_the_message(user) -> None:
    with pytest.raises(InsufficientTokens) as raised:
        ledger_debit(user=user, amount=FREE_GRANT + 1, key="too-much", memo="Too much")

    assert str(insufficient_tokens_message(raised.value)).startswith("This needs 1,801 tokens but you have 1,800.")


# --- formatting ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "0 seconds"), (1, "1 second"), (90, "1 minute 30 seconds"), (1_800, "30 minutes"), (3_660, "1 hour 1 minute")],
)
def test_video_duration(seconds: int, expected: str) -> None:
    assert video_duration(seconds) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [(1, "1 byte"), (512, "512 bytes"), (1_536, "1.5 KB"), (500 * 1024**2, "500 MB"), (1024**4, "1 TB")],
)
def test_data_size(size: int, expected: str) -> None:
    assert data_size(size) == expected


def test_prices_and_signed_amounts() -> None:
    assert monthly_price(0) == "Free"
    assert monthly_price(1_900) == "$19 / month"
    assert monthly_price(123_450) == "$1,234.50 / month"
    assert signed_tokens(1_800) == "+1,800"
    assert signed_tokens(-2_500) == "\N{MINUS SIGN}2,500"
