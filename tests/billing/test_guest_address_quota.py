"""The guests' quota per client address, beside each guest id's own: shown, counted once, given back."""

from __future__ import annotations

import uuid

import pytest

from accounts.guests import Viewer
from billing.models import QuotaCounter
from billing.quota import QuotaExceeded, quota_consume, quota_release, quota_status

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.7"


@pytest.fixture(autouse=True)
def limits(settings) -> None:
    settings.GUEST_DAILY_CHAT_MESSAGES = 5
    settings.GUEST_DAILY_CHAT_MESSAGES_PER_ADDRESS = 3


def guest(address: str | None = ADDRESS) -> Viewer:
    return Viewer(user=None, guest_id=uuid.uuid4(), address=address)


def test_a_new_guest_at_a_busy_address_is_shown_only_what_the_address_has_left():
    first, second = guest(), guest()
    quota_consume(viewer=first, key="a1")
    quota_consume(viewer=first, key="a2")

    status = quota_status(viewer=second)

    assert (status.limit, status.remaining) == (5, 1)
    assert quota_status(viewer=guest("198.51.100.8")).remaining == 3  # the address's 3 is the tighter


def test_a_replayed_message_is_counted_once_on_both_counters_and_given_back_from_both():
    viewer = guest()
    quota_consume(viewer=viewer, key="m1")
    quota_consume(viewer=viewer, key="m1")

    counted = dict(QuotaCounter.objects.values_list("owner_key", "used"))
    quota_release(key="m1")
    quota_release(key="m1")

    assert counted == {f"guest:{viewer.guest_id}": 1, f"address:{ADDRESS}": 1}
    assert set(QuotaCounter.objects.values_list("used", flat=True)) == {0}


def test_the_address_refusal_says_so_and_the_guests_own_refusal_does_not():
    for n in range(3):
        quota_consume(viewer=guest(), key=f"m{n}")
    with pytest.raises(QuotaExceeded) as by_address:
        quota_consume(viewer=guest(), key="m3")
    roaming_id = uuid.uuid4()  # one guest id, moving between addresses: its own 5 still hold
    for n in range(5):
        quota_consume(viewer=Viewer(user=None, guest_id=roaming_id, address=f"203.0.113.{n}"), key=f"roam{n}")
    with pytest.raises(QuotaExceeded) as by_id:
        quota_consume(viewer=Viewer(user=None, guest_id=roaming_id, address="203.0.113.99"), key="roam5")

    assert by_address.value.per_address and by_address.value.limit == 3
    assert "network address" in str(by_address.value)
    assert not by_id.value.per_address and "You have used all 5" in str(by_id.value)
