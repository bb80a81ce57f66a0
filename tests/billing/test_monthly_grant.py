"""The monthly grant: each wallet gets its plan's tokens once per calendar month (UTC), however
often or late the beat task runs."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from billing import tasks
from billing.ledger import grant_monthly_tokens
from billing.models import LedgerEntry, Plan, Wallet
from billing.wallets import current_period_start, wallet_change_plan
from devtools import processes
from tests.factories import UserFactory

UTC = dt.UTC
FEB = dt.datetime(2031, 2, 10, 12, 0, tzinfo=UTC)
MARCH_1 = dt.datetime(2031, 3, 1, 0, 5, tzinfo=UTC)
MARCH_20 = dt.datetime(2031, 3, 20, 9, 30, tzinfo=UTC)
APRIL_1 = dt.datetime(2031, 4, 1, 0, 5, tzinfo=UTC)


def grants(user) -> list[str]:
    return list(
        LedgerEntry.objects.filter(wallet__user=user, kind=LedgerEntry.Kind.GRANT)
        .order_by("pk")
        .values_list("idempotency_key", flat=True)
    )


def balance(user) -> int:
    return Wallet.objects.get(user=user).balance


def user_joined_in_february():
    with time_machine.travel(FEB, tick=False):
        return UserFactory()


@pytest.fixture
def free() -> Plan:
    return Plan.objects.get(slug="free")


@pytest.mark.django_db
def test_running_the_grant_twice_in_one_period_grants_once(free):
    user = user_joined_in_february()
    wallet = Wallet.objects.get(user=user)

    with time_machine.travel(MARCH_1, tick=False):
        assert grant_monthly_tokens() == 1
        assert grant_monthly_tokens() == 0
    with time_machine.travel(MARCH_20, tick=False):
        assert grant_monthly_tokens() == 0

    assert grants(user) == [f"grant:{wallet.pk}:2031-02", f"grant:{wallet.pk}:2031-03"]
    assert balance(user) == 2 * free.monthly_tokens
    wallet.refresh_from_db()
    assert wallet.period_start == dt.date(2031, 3, 1)


@pytest.mark.django_db
def test_a_run_late_in_the_month_still_grants_that_month(free):
    user = user_joined_in_february()

    with time_machine.travel(MARCH_20, tick=False):
        assert grant_monthly_tokens() == 1

    march = LedgerEntry.objects.get(wallet__user=user, idempotency_key__endswith=":2031-03")
    assert march.amount == free.monthly_tokens
    assert "March 2031" in march.memo
    assert Wallet.objects.get(user=user).period_start == dt.date(2031, 3, 1)


@pytest.mark.django_db
def test_the_next_month_grants_again(free):
    user = user_joined_in_february()

    with time_machine.travel(MARCH_1, tick=False):
        grant_monthly_tokens()
    with time_machine.travel(APRIL_1, tick=False):
        assert grant_monthly_tokens() == 1
        assert grant_monthly_tokens() == 0

    assert [key.rsplit(":", 1)[1] for key in grants(user)] == ["2031-02", "2031-03", "2031-04"]
    assert balance(user) == 3 * free.monthly_tokens


@pytest.mark.django_db
def test_a_skipped_month_is_not_granted_retroactively(free):
    # Periods are granted when they are current; a month the task never ran in is not paid later.
    user = user_joined_in_february()

    with time_machine.travel(APRIL_1, tick=False):
        grant_monthly_tokens()

    assert [key.rsplit(":", 1)[1] for key in grants(user)] == ["2031-02", "2031-04"]


@pytest.mark.django_db
def test_a_run_over_many_wallets_grants_each_once_on_its_own_plan(free):
    pro = Plan.objects.get(slug="pro")
    users = [user_joined_in_february() for _ in range(25)]
    on_pro = users[::5]
    for user in on_pro:
        wallet_change_plan(wallet=Wallet.objects.get(user=user), plan=pro)
    with time_machine.travel(MARCH_1 - dt.timedelta(minutes=3), tick=False):
        joined_in_march = UserFactory()  # already has March's grant from sign-up

    with time_machine.travel(MARCH_1, tick=False):
        assert grant_monthly_tokens() == 25
        assert grant_monthly_tokens() == 0

    march = LedgerEntry.objects.filter(idempotency_key__endswith=":2031-03").exclude(wallet__user=joined_in_march)
    assert march.count() == 25
    assert sorted(march.values_list("wallet__user", flat=True)) == sorted(user.pk for user in users)
    for user in users:
        expected = free.monthly_tokens + (pro if user in on_pro else free).monthly_tokens
        assert balance(user) == expected
    assert grants(joined_in_march) == [f"grant:{joined_in_march.wallet.pk}:2031-03"]


@pytest.mark.django_db
def test_wallets_without_a_period_are_funded_by_the_next_run(free):
    # The data migration gives accounts that predate billing a wallet with no period yet.
    user = user_joined_in_february()
    Wallet.objects.filter(user=user).update(period_start=None)

    with time_machine.travel(MARCH_20, tick=False):
        assert grant_monthly_tokens() == 1
        assert grant_monthly_tokens() == 0

    assert Wallet.objects.get(user=user).period_start == dt.date(2031, 3, 1)
    assert balance(user) == 2 * free.monthly_tokens


@pytest.mark.django_db
def test_a_plan_without_a_monthly_grant_moves_no_tokens_but_closes_the_period():
    user = user_joined_in_february()
    Plan.objects.filter(slug="free").update(monthly_tokens=0)
    before = balance(user)

    with time_machine.travel(MARCH_1, tick=False):
        assert grant_monthly_tokens() == 0

    assert balance(user) == before
    assert Wallet.objects.get(user=user).period_start == dt.date(2031, 3, 1)


def test_the_grant_is_on_the_beat_schedule_at_least_hourly():
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "billing.tasks.grant_monthly_tokens"]
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    # Whatever the time, the next run is at most an hour away, so a missed run is made good soon.
    for minutes in range(0, 24 * 60, 17):
        last_run = dt.datetime(2031, 3, 14, tzinfo=UTC) + dt.timedelta(minutes=minutes)
        start, step, _ = schedule.remaining_delta(last_run)
        assert start + step - last_run <= dt.timedelta(hours=1)


@pytest.mark.worker
@pytest.mark.timeout(120)
def test_a_real_worker_runs_the_beat_task(transactional_db, free):
    # The worker runs on the real clock: an account from two months ago is due this month's grant.
    with time_machine.travel(timezone.now() - dt.timedelta(days=62), tick=False):
        user = UserFactory()
    already_current = UserFactory()
    period = current_period_start()
    # Test runs share one Redis: a queue of our own keeps another run's worker from taking the task.
    queue = f"billing-test-{os.getpid()}-{processes.free_port()}"

    with processes.celery_worker(queues=queue):
        granted = tasks.grant_monthly_tokens.apply_async(queue=queue).get(timeout=60)

    assert granted == 1
    wallet = Wallet.objects.get(user=user)
    assert wallet.period_start == period
    assert grants(user)[-1] == f"grant:{wallet.pk}:{period:%Y-%m}"
    assert wallet.balance == 2 * free.monthly_tokens
    assert len(grants(already_current)) == 1
    total = LedgerEntry.objects.filter(wallet=wallet).aggregate(total=Sum("amount"))["total"]
    assert total == wallet.balance
