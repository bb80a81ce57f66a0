"""The order an answer's payment takes one user's locks in, across their conversations."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, transaction

from accounts.guests import Viewer
from billing.models import QuotaCounter, Wallet
from chat import services
from chat.models import Message
from tests.chat.helpers import in_own_connection, wait_until_a_query_waits_on_a_lock

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_failing_answer_takes_the_wallet_before_the_quota_counter(user) -> None:
    # A question takes its asker's wallet lock, then their quota counter's (answer_begin). A failing
    # answer, closed the other way round, could deadlock with a question asked meanwhile in another
    # conversation, and Postgres would abort one of the two. So while a failing answer waits for the
    # wallet, it must not be holding the quota counter.
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    failing = services.answer_begin(viewer=viewer, conversation=services.conversation_create(viewer=viewer), text="One")
    wallet_locked, finished = threading.Event(), threading.Event()

    def hold_the_wallet() -> None:
        with transaction.atomic():
            Wallet.objects.select_for_update().get(user=user)  # as a question being paid for does
            wallet_locked.set()
            finished.wait(timeout=20)

    def fail_the_answer() -> Message | None:
        wallet_locked.wait(timeout=10)
        return services.answer_fail(answer_id=failing.answer.pk, error="The model failed.")

    with ThreadPoolExecutor(max_workers=2) as pool:
        holder = pool.submit(in_own_connection, hold_the_wallet)
        failer = pool.submit(in_own_connection, fail_the_answer)
        try:
            wait_until_a_query_waits_on_a_lock()
            with transaction.atomic():
                try:
                    QuotaCounter.objects.select_for_update(nowait=True).get(owner_key=f"user:{user.pk}")
                except OperationalError:
                    pytest.fail("the failing answer held the quota counter while it waited for the wallet")
        finally:
            finished.set()
        holder.result()
        closed = failer.result()

    assert closed is not None and closed.status == Message.Status.ERROR
    assert closed.cost == 0
