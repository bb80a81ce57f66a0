"""Guests' daily chat questions sent at once: the counters in the database (one upsert each, judged
after the count, rolled back on refusal) never let more through than the guest's or the address's
quota, on the real Postgres with one connection per thread."""

from __future__ import annotations

import uuid

import pytest

from accounts.guests import Viewer
from billing.models import QuotaCounter
from billing.quota import QuotaExceeded, QuotaStatus, quota_consume
from tests.at_once import at_once

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "198.51.100.7"


@pytest.fixture(autouse=True)
def limits(settings) -> None:
    settings.GUEST_DAILY_CHAT_MESSAGES = 5
    settings.GUEST_DAILY_CHAT_MESSAGES_PER_ADDRESS = 8


def test_one_guests_questions_at_once_stop_at_its_quota() -> None:
    viewer = Viewer(user=None, guest_id=uuid.uuid4(), address=ADDRESS)

    results = at_once(20, lambda n: quota_consume(viewer=viewer, key=f"question-{n}"))

    assert sum(isinstance(result, QuotaStatus) for result in results) == 5
    assert sum(isinstance(result, QuotaExceeded) for result in results) == 15
    assert QuotaCounter.objects.get(owner_key=f"guest:{viewer.guest_id}").used == 5


def test_new_guests_at_one_address_at_once_stop_at_the_addresss_quota() -> None:
    guests = [Viewer(user=None, guest_id=uuid.uuid4(), address=ADDRESS) for _ in range(20)]

    results = at_once(20, lambda n: quota_consume(viewer=guests[n], key=f"question-{n}"))

    assert sum(isinstance(result, QuotaStatus) for result in results) == 8
    refused = [result for result in results if isinstance(result, QuotaExceeded)]
    assert len(refused) == 12 and all(refusal.per_address for refusal in refused)
    assert QuotaCounter.objects.get(owner_key=f"address:{ADDRESS}").used == 8
