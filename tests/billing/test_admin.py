"""Operators in the admin: find wallets, change plans, grant or take tokens with a reason; the
ledger, holds and quota counters are read-only."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing.holds import hold_create
from billing.ledger import ledger_debit, ledger_grant
from billing.models import Hold, LedgerEntry, Plan, QuotaCounter, Wallet
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WALLETS = "/admin/billing/wallet/"
LEDGER = "/admin/billing/ledgerentry/"
HOLDS = "/admin/billing/hold/"
PLANS = "/admin/billing/plan/"
QUOTAS = "/admin/billing/quotacounter/"
ACTION = "grant_or_adjust_tokens"


@pytest.fixture
def operator_user():
    return UserFactory(email="operator@sage.example", is_staff=True, is_superuser=True)


@pytest.fixture
def operator(operator_user) -> Client:
    client = Client()
    client.force_login(operator_user)
    return client


def wallet_of(user) -> Wallet:
    return Wallet.objects.get(user=user)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def open_action_form(operator: Client, wallets: list[Wallet]):
    """Pick the action for the selected wallets, as the changelist's "Go" button does."""
    response = operator.post(
        WALLETS, {"action": ACTION, "_selected_action": [w.pk for w in wallets], "index": "0", "select_across": "0"}
    )
    assert response.status_code == 200, response
    return response


def submit_action(operator: Client, wallets: list[Wallet], *, amount: int | str, reason: str, nonce: str):
    return operator.post(
        WALLETS,
        {
            "action": ACTION,
            "_selected_action": [w.pk for w in wallets],
            "select_across": "0",
            "amount": amount,
            "reason": reason,
            "nonce": nonce,
            "apply": "yes",
        },
        follow=True,
    )


# --- plans and wallets ----------------------------------------------------------------------------


def test_the_plan_list_shows_the_limits(operator):
    response = operator.get(PLANS)

    assert response.status_code == 200
    page = response.content.decode()
    for column in ("monthly tokens", "daily chat messages", "max video seconds", "largest upload"):
        assert column in page.lower()
    assert [plan.slug for plan in response.context["cl"].result_list] == ["free", "pro", "team"]


def test_an_operator_edits_a_plan(operator):
    pro = Plan.objects.get(slug="pro")
    data = {
        "slug": "pro",
        "name": "Pro",
        "monthly_tokens": 40_000,
        "price_cents": 2_100,
        "currency": "usd",
        "daily_chat_messages": 250,
        "max_video_seconds": pro.max_video_seconds,
        "max_upload_bytes": pro.max_upload_bytes,
        "storage_quota_bytes": pro.storage_quota_bytes,
        "seats": pro.seats,
        "sort_order": pro.sort_order,
    }

    response = operator.post(f"{PLANS}{pro.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    pro.refresh_from_db()
    assert (pro.monthly_tokens, pro.price_cents, pro.daily_chat_messages) == (40_000, 2_100, 250)


def test_an_operator_finds_wallets_by_email(operator):
    alice = UserFactory(email="alice@example.org")
    UserFactory(email="bob@example.org")

    response = operator.get(WALLETS, {"q": "alice@"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wallet_of(alice)]
    assert "bob@example.org" not in response.content.decode()


def test_the_wallet_list_shows_plan_balance_held_and_period_and_filters_by_plan(operator, user, other_user):
    pro = Plan.objects.get(slug="pro")
    Wallet.objects.filter(user=other_user).update(plan=pro)
    hold_create(user=user, amount=42, key="video:1")

    response = operator.get(WALLETS, {"plan__id__exact": pro.pk})

    assert list(response.context["cl"].result_list) == [wallet_of(other_user)]
    everyone = operator.get(WALLETS, {"q": user.email})
    [row] = everyone.context["cl"].result_list
    assert row.held_total == 42
    page = everyone.content.decode()
    assert '<td class="field-held">42</td>' in page
    assert f'<td class="field-balance">{wallet_of(user).balance}</td>' in page


def test_the_wallet_list_query_count_does_not_grow_with_wallets(operator):
    UserFactory()
    with CaptureQueriesContext(connection) as few:
        operator.get(WALLETS)
    for _ in range(15):
        user = UserFactory()
        hold_create(user=user, amount=5, key=f"video:{user.pk}")
    with CaptureQueriesContext(connection) as many:
        operator.get(WALLETS)

    assert len(many) == len(few)


def test_an_operator_changes_a_plan_without_touching_the_balance(operator, user):
    wallet = wallet_of(user)
    pro = Plan.objects.get(slug="pro")
    page = operator.get(f"{WALLETS}{wallet.pk}/change/")
    assert page.status_code == 200
    # Tokens move while the operator has the page open: saving must not write back the old balance.
    ledger_grant(user=user, amount=77, key="promo:1", memo="while the page was open")

    response = operator.post(
        f"{WALLETS}{wallet.pk}/change/",
        {"plan": pro.pk, "balance": 10**9, "period_start": "2001-01-01"},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = wallet_of(user)
    assert changed.plan == pro
    assert changed.balance == wallet.balance + 77
    assert changed.period_start == wallet.period_start


def test_the_wallet_page_shows_the_balance_read_only_and_links_to_its_ledger(operator, user):
    wallet = wallet_of(user)

    response = operator.get(f"{WALLETS}{wallet.pk}/change/")

    form = response.context["adminform"].form
    assert list(form.fields) == ["plan"]
    page = response.content.decode()
    assert f"{LEDGER}?wallet__id__exact={wallet.pk}" in page
    ledger = operator.get(LEDGER, {"wallet__id__exact": wallet.pk})
    assert ledger.status_code == 200
    assert {entry.wallet_id for entry in ledger.context["cl"].result_list} == {wallet.pk}


def test_wallets_cannot_be_added_or_deleted_in_admin(operator, user):
    wallet = wallet_of(user)

    assert operator.get(f"{WALLETS}add/").status_code == 403
    assert operator.post(f"{WALLETS}{wallet.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Wallet.objects.filter(pk=wallet.pk).exists()
    assert "delete_selected" not in operator.get(WALLETS).content.decode()


# --- the grant / adjust action --------------------------------------------------------------------


def test_the_action_asks_for_an_amount_and_a_reason_for_the_selected_wallets(operator, user, other_user):
    response = open_action_form(operator, [wallet_of(user), wallet_of(other_user)])

    page = response.content.decode()
    assert re.search(r"<button[^>]*>\s*Apply to 2 wallet\(s\)\s*</button>", page)
    assert 'name="amount"' in page
    assert 'name="reason"' in page
    assert re.search(r'<input type="hidden" name="nonce" value="[0-9a-f-]{36}"', page)
    assert user.email in page
    assert other_user.email in page
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT).exists()


def test_each_form_gets_its_own_nonce(operator, user):
    first = open_action_form(operator, [wallet_of(user)]).context["form"]["nonce"].value()
    second = open_action_form(operator, [wallet_of(user)]).context["form"]["nonce"].value()

    assert first != second


def test_a_grant_writes_one_entry_per_wallet_with_the_reason_and_the_operator(operator, user, other_user):
    wallets = [wallet_of(user), wallet_of(other_user)]
    nonce = open_action_form(operator, wallets).context["form"]["nonce"].value()

    response = submit_action(operator, wallets, amount=250, reason="Sorry for the outage", nonce=str(nonce))

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(WALLETS)
    assert "Granted 250 tokens to 2 wallet(s)" in " ".join(messages_of(response))
    for wallet in wallets:
        [entry] = LedgerEntry.objects.filter(wallet=wallet, idempotency_key__startswith="admin:")
        assert entry.kind == LedgerEntry.Kind.GRANT
        assert entry.amount == 250
        assert entry.memo == "Sorry for the outage (by operator@sage.example)"
        assert entry.idempotency_key == f"admin:{nonce}:{wallet.pk}"
        assert wallet_of(wallet.user).balance == wallet.balance + 250 == entry.balance_after


def test_submitting_the_same_form_twice_applies_once(operator, user):
    wallet = wallet_of(user)
    nonce = str(open_action_form(operator, [wallet]).context["form"]["nonce"].value())

    submit_action(operator, [wallet], amount=100, reason="Goodwill", nonce=nonce)
    again = submit_action(operator, [wallet], amount=100, reason="Goodwill", nonce=nonce)

    assert LedgerEntry.objects.filter(wallet=wallet, memo__startswith="Goodwill").count() == 1
    assert wallet_of(user).balance == wallet.balance + 100
    assert "Already applied to 1 wallet(s)" in " ".join(messages_of(again))


def test_a_negative_amount_takes_tokens_away_as_an_adjustment(operator, user):
    wallet = wallet_of(user)
    nonce = str(open_action_form(operator, [wallet]).context["form"]["nonce"].value())

    response = submit_action(operator, [wallet], amount=-30, reason="Refund reversed", nonce=nonce)

    [entry] = LedgerEntry.objects.filter(wallet=wallet, kind=LedgerEntry.Kind.ADJUSTMENT)
    assert entry.amount == -30
    assert entry.memo == "Refund reversed (by operator@sage.example)"
    assert wallet_of(user).balance == wallet.balance - 30
    assert "Took 30 tokens from 1 wallet(s)" in " ".join(messages_of(response))


def test_taking_more_than_a_wallet_has_is_refused_for_that_wallet_only(operator, user, other_user):
    poor, rich = wallet_of(user), wallet_of(other_user)
    ledger_debit(user=user, amount=poor.balance - 10, key="spend", memo="spent")
    ledger_grant(user=other_user, amount=1000, key="promo", memo="grant")
    poor, rich = wallet_of(user), wallet_of(other_user)
    entries_before = LedgerEntry.objects.filter(wallet=poor).count()
    nonce = str(open_action_form(operator, [poor, rich]).context["form"]["nonce"].value())

    response = submit_action(operator, [poor, rich], amount=-500, reason="Abuse", nonce=nonce)

    shown = messages_of(response)
    [error] = [m for m in shown if user.email in m]
    assert "below zero" in error
    assert "10" in error
    assert wallet_of(user).balance == 10
    assert LedgerEntry.objects.filter(wallet=poor).count() == entries_before
    assert wallet_of(other_user).balance == rich.balance - 500
    error_levels = [m.level_tag for m in response.context["messages"] if user.email in str(m)]
    assert error_levels == ["error"]


@pytest.mark.parametrize(
    ("amount", "reason", "bad_field"),
    [(0, "Goodwill", "amount"), ("", "Goodwill", "amount"), ("ten", "Goodwill", "amount"), (5, "", "reason")],
)
def test_an_invalid_form_is_shown_again_and_changes_nothing(operator, user, amount, reason, bad_field):
    wallet = wallet_of(user)
    nonce = str(open_action_form(operator, [wallet]).context["form"]["nonce"].value())

    response = submit_action(operator, [wallet], amount=amount, reason=reason, nonce=nonce)

    assert response.status_code == 200
    assert response.redirect_chain == []
    form = response.context["form"]
    assert bad_field in form.errors
    assert form["nonce"].value() == nonce  # the retry is still the same submission
    assert "Apply to 1 wallet(s)" in response.content.decode()
    assert wallet_of(user).balance == wallet.balance
    assert not LedgerEntry.objects.filter(idempotency_key__startswith="admin:").exists()


def test_a_form_without_a_nonce_is_refused(operator, user):
    wallet = wallet_of(user)

    response = submit_action(operator, [wallet], amount=5, reason="Goodwill", nonce="")

    assert "nonce" in response.context["form"].errors
    assert wallet_of(user).balance == wallet.balance


# --- the read-only parts --------------------------------------------------------------------------


def test_ledger_entries_cannot_be_added_changed_or_deleted(operator, user):
    entry = ledger_grant(user=user, amount=5, key="promo:1", memo="grant")

    assert operator.get(f"{LEDGER}add/").status_code == 403
    assert operator.post(f"{LEDGER}add/", {"amount": 5}).status_code == 403
    view = operator.get(f"{LEDGER}{entry.pk}/change/")
    assert view.status_code == 200  # operators may look
    assert view.context["adminform"].form.fields == {}
    assert operator.post(f"{LEDGER}{entry.pk}/change/", {"amount": 10**6, "memo": "x"}).status_code == 403
    assert operator.get(f"{LEDGER}{entry.pk}/delete/").status_code == 403
    assert operator.post(f"{LEDGER}{entry.pk}/delete/", {"post": "yes"}).status_code == 403

    listing = operator.get(LEDGER)
    assert listing.context["action_form"] is None
    assert "delete_selected" not in listing.content.decode()
    stored = LedgerEntry.objects.get(pk=entry.pk)
    assert (stored.amount, stored.memo) == (5, "grant")


def test_the_bulk_delete_action_cannot_be_posted_to_the_ledger(operator, user):
    entry = ledger_grant(user=user, amount=5, key="promo:1", memo="grant")

    operator.post(LEDGER, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})

    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_the_ledger_list_is_searched_by_email_key_and_memo_and_filtered_by_kind(operator, user, other_user):
    ledger_grant(user=user, amount=5, key="promo:spring", memo="spring promotion")
    ledger_debit(user=other_user, amount=3, key="answer:9", memo="chat answer")

    def listed(**params: str) -> list[str]:
        return [e.idempotency_key for e in operator.get(LEDGER, params).context["cl"].result_list]

    assert "promo:spring" in listed(q=user.email)
    assert all(key != "answer:9" for key in listed(q=user.email))
    assert listed(q="promo:spring") == ["promo:spring"]
    assert listed(q="chat answer") == ["answer:9"]
    assert listed(kind__exact="debit") == ["answer:9"]


def test_holds_and_quota_counters_are_read_only(operator, user):
    hold = hold_create(user=user, amount=5, key="video:1")
    QuotaCounter.objects.create(owner_key=f"user:{user.pk}", day="2031-03-14", used=3)
    counter = QuotaCounter.objects.get()

    assert operator.get(HOLDS).status_code == 200
    assert operator.get(QUOTAS).status_code == 200
    for base, pk in ((HOLDS, hold.pk), (QUOTAS, counter.pk)):
        assert operator.get(f"{base}add/").status_code == 403
        assert operator.post(f"{base}{pk}/change/", {}).status_code == 403
        assert operator.post(f"{base}{pk}/delete/", {"post": "yes"}).status_code == 403
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.OPEN
    assert QuotaCounter.objects.get(pk=counter.pk).used == 3


# --- who may reach it -----------------------------------------------------------------------------


def test_people_who_are_not_staff_are_sent_to_the_admin_login(user):
    client = Client()
    client.force_login(user)

    for url in (WALLETS, LEDGER, HOLDS, PLANS, QUOTAS, f"{WALLETS}{wallet_of(user).pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")
    response = client.post(
        WALLETS,
        {"action": ACTION, "_selected_action": [wallet_of(user).pk], "amount": 10**6, "reason": "me", "apply": "yes"},
    )
    assert response.status_code == 302
    assert not LedgerEntry.objects.filter(idempotency_key__startswith="admin:").exists()


def test_staff_without_billing_permissions_cannot_see_wallets():
    client = Client()
    client.force_login(UserFactory(is_staff=True))

    assert client.get(WALLETS).status_code == 403
    assert client.get(LEDGER).status_code == 403
