"""The daily chat quota: per plan for users, per guest id for guests, reset at UTC midnight."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine

from accounts.guests import Viewer
from billing.models import Plan, QuotaCounter, QuotaUse, Wallet
from billing.quota import QuotaExceeded, chat_answer_pay, quota_consume, quota_status
from billing.wallets import wallet_change_plan
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Mid-afternoon in UTC but already the next day east of it: the day must be the UTC one.
NOON = dt.datetime(2031, 3, 14, 15, 0, tzinfo=UTC)
NEXT_MIDNIGHT = dt.datetime(2031, 3, 15, 0, 0, tzinfo=UTC)


@pytest.fixture
def free_limit_3(db) -> Plan:
    Plan.objects.filter(slug="free").update(daily_chat_messages=3)
    return Plan.objects.get(slug="free")


def as_user(user) -> Viewer:
    return Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)


def send(viewer: Viewer, count: int, prefix: str = "message") -> None:
    for i in range(count):
        quota_consume(viewer=viewer, key=f"{prefix}:{viewer.user.pk if viewer.user else viewer.guest_id}:{i}")


@time_machine.travel(NOON, tick=False)
def test_a_user_can_send_exactly_the_plans_daily_messages_and_the_next_is_refused(free_limit_3):
    viewer = as_user(UserFactory())

    statuses = [quota_consume(viewer=viewer, key=f"m{i}") for i in range(3)]

    assert [status.remaining for status in statuses] == [2, 1, 0]
    with pytest.raises(QuotaExceeded) as refused:
        quota_consume(viewer=viewer, key="m3")
    assert refused.value.limit == 3
    assert refused.value.resets_at == NEXT_MIDNIGHT
    assert "00:00 UTC" in str(refused.value)
    assert "2031-03-15" in str(refused.value)
    status = quota_status(viewer=viewer)
    assert (status.limit, status.used, status.remaining, status.resets_at) == (3, 3, 0, NEXT_MIDNIGHT)


@time_machine.travel(NOON, tick=False)
def test_the_same_key_twice_counts_once(free_limit_3):
    viewer = as_user(UserFactory())

    quota_consume(viewer=viewer, key="message:1")
    again = quota_consume(viewer=viewer, key="message:1")

    assert again.used == 1
    assert quota_status(viewer=viewer).used == 1
    quota_consume(viewer=viewer, key="message:2")
    quota_consume(viewer=viewer, key="message:3")
    # Replaying an already-counted message is not refused, even with the quota used up.
    assert quota_consume(viewer=viewer, key="message:1").used == 3


def test_the_quota_resets_at_utc_midnight_not_a_second_before(free_limit_3):
    viewer = as_user(UserFactory())
    with time_machine.travel(NOON, tick=False):
        send(viewer, 3)

    with time_machine.travel(NEXT_MIDNIGHT - dt.timedelta(seconds=1), tick=False):
        with pytest.raises(QuotaExceeded) as refused:
            quota_consume(viewer=viewer, key="late")
        assert refused.value.resets_at == NEXT_MIDNIGHT
        assert quota_status(viewer=viewer).remaining == 0

    with time_machine.travel(NEXT_MIDNIGHT, tick=False):
        assert quota_status(viewer=viewer).used == 0
        status = quota_consume(viewer=viewer, key="early")
        assert (status.used, status.remaining) == (1, 2)
        assert status.resets_at == NEXT_MIDNIGHT + dt.timedelta(days=1)


def test_midnight_is_utc_midnight_whatever_the_local_time_zone(free_limit_3, settings):
    settings.TIME_ZONE = "Pacific/Auckland"  # already the 15th there at 15:00 UTC on the 14th
    user = UserFactory()
    viewer = as_user(user)

    with time_machine.travel(NOON, tick=False):
        send(viewer, 3)
        assert quota_status(viewer=viewer).resets_at == NEXT_MIDNIGHT

    assert QuotaCounter.objects.get(owner_key=f"user:{user.pk}").day == dt.date(2031, 3, 14)


@time_machine.travel(NOON, tick=False)
def test_guests_have_their_own_smaller_limit_and_their_own_counters(settings, free_limit_3):
    settings.GUEST_DAILY_CHAT_MESSAGES = 2
    first, second = Viewer(user=None, guest_id=uuid.uuid4()), Viewer(user=None, guest_id=uuid.uuid4())

    send(first, 2)
    with pytest.raises(QuotaExceeded) as refused:
        quota_consume(viewer=first, key="one-too-many")

    assert refused.value.limit == 2
    assert refused.value.resets_at == NEXT_MIDNIGHT
    # Another guest is not affected by the first one's use.
    assert quota_status(viewer=second).used == 0
    send(second, 2)
    assert quota_status(viewer=second).remaining == 0


@time_machine.travel(NOON, tick=False)
def test_a_guest_without_an_id_cannot_use_the_quota(free_limit_3):
    with pytest.raises(ValueError):
        quota_consume(viewer=Viewer(user=None, guest_id=None, workspace_id=None), key="anon")


@time_machine.travel(NOON, tick=False)
def test_one_users_messages_do_not_count_against_another(free_limit_3):
    alice, bob = as_user(UserFactory()), as_user(UserFactory())

    send(alice, 3)

    assert quota_status(viewer=bob).used == 0
    assert quota_consume(viewer=bob, key="bob:1").used == 1


@time_machine.travel(NOON, tick=False)
def test_a_users_quota_follows_their_plan_after_a_plan_change(free_limit_3):
    user = UserFactory()
    viewer = as_user(user)
    send(viewer, 3)
    with pytest.raises(QuotaExceeded):
        quota_consume(viewer=viewer, key="over")

    pro = Plan.objects.get(slug="pro")
    wallet_change_plan(wallet=Wallet.objects.get(user=user), plan=pro)

    status = quota_consume(viewer=viewer, key="over")
    assert (status.limit, status.used) == (pro.daily_chat_messages, 4)

    wallet_change_plan(wallet=Wallet.objects.get(user=user), plan=free_limit_3)
    with pytest.raises(QuotaExceeded):
        quota_consume(viewer=viewer, key="after-downgrade")


@pytest.mark.django_db(transaction=True)  # the others run inside a test transaction
def test_paying_for_a_chat_answer_outside_the_answers_transaction_is_refused() -> None:
    # Its keys are trusted to be new because the same transaction created the answer they name.
    user = UserFactory()

    with pytest.raises(RuntimeError, match="inside the transaction"):
        chat_answer_pay(user=user, quota_key="q", hold_key="h", amount=1, ref=user, memo="answer")

    assert not QuotaUse.objects.exists()
