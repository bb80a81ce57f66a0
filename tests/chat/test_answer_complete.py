"""Completing an answer (one statement of its own SQL, then the hold settled): what it writes, what
it returns for the `done` frame, and what it does to an answer closed before or while it runs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from django.db import connection, transaction

from accounts.guests import Viewer
from billing.models import Hold, LedgerEntry, Wallet
from billing.quota import quota_status
from chat import services
from chat.live import message_frame_data
from chat.models import Message
from chat.selectors import chat_allowance
from tests.chat.helpers import in_own_connection, wait_until_a_query_waits_on_a_lock
from tests.factories import UserFactory, VideoFactory
from videos.models import TranscriptChunk
from videos.text_embedding.model import embed_texts

CITATIONS = [{"video_id": 1, "start": 12.5, "label": "00:12", "text": "Bake at 250 °C"}]


def _begin(user, text: str = "How hot should the oven be?") -> services.AnswerStart:
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    video = VideoFactory(owner=user, cooking=True)
    conversation = services.conversation_create(viewer=viewer, video=video)
    return services.answer_begin(viewer=viewer, conversation=conversation, text=text)


def _hold_of(start: services.AnswerStart) -> Hold:
    assert start.answer.hold_id is not None  # a signed-in user's answer is paid for
    return Hold.objects.get(pk=start.answer.hold_id)


def _settle_entries(hold: Hold) -> int:
    return LedgerEntry.objects.filter(hold=hold, kind=LedgerEntry.Kind.SETTLE).count()


@pytest.mark.django_db
def test_a_completed_answer_is_saved_whole_and_its_hold_settled_once(user) -> None:
    start = _begin(user)
    chunks = list(TranscriptChunk.objects.filter(video__owner=user).order_by("index")[:2])
    question_vector = embed_texts(["How hot should the oven be?"])[0]
    balance_before = Wallet.objects.get(user=user).balance

    done = services.answer_complete(
        answer_id=start.answer.pk,
        content="Bake it hot [00:12].",
        citations=CITATIONS,
        quoted_chunk_ids=[chunks[0].pk, chunks[1].pk, chunks[0].pk],
        question_vector=question_vector,
    )

    saved = Message.objects.get(pk=start.answer.pk)
    assert (saved.status, saved.content, saved.citations, saved.error_message) == (
        Message.Status.COMPLETE,
        "Bake it hot [00:12].",
        CITATIONS,
        "",
    )
    assert saved.cost == start.answer.cost > 0
    # The answer's vector: the normalised mean of the chunks it quotes (each counted once).
    mean = np.mean([np.asarray(chunks[0].embedding), np.asarray(chunks[1].embedding)], axis=0)
    assert np.allclose(np.asarray(saved.embedding), mean / np.linalg.norm(mean), atol=1e-5)
    question = Message.objects.get(pk=start.question.pk)
    assert np.allclose(np.asarray(question.embedding), question_vector, atol=1e-6)
    # The hold is charged at its price: the balance stays where the hold put it, one settle entry.
    hold = _hold_of(start)
    assert (hold.status, hold.settled_amount) == (Hold.Status.SETTLED, hold.amount)
    assert Wallet.objects.get(user=user).balance == balance_before
    assert _settle_entries(hold) == 1
    # What the sockets are sent is the row as saved.
    assert done is not None
    assert message_frame_data(done) == message_frame_data(saved)

    again = services.answer_complete(answer_id=start.answer.pk, content="Something else", citations=[])
    assert again is not None and again.content == "Bake it hot [00:12]."
    assert _settle_entries(hold) == 1
    assert Wallet.objects.get(user=user).balance == balance_before


@pytest.mark.django_db
def test_an_answer_that_quotes_nothing_is_embedded_by_the_worker_after_it_commits(
    user, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    start = _begin(user)
    queued: list[int] = []
    monkeypatch.setattr("chat.tasks.embed_answer.delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.answer_complete(answer_id=start.answer.pk, content="I could not find that.", citations=[])
        assert queued == []  # not before the answer is committed
        assert Message.objects.get(pk=start.answer.pk).embedding is None

    assert callbacks and queued == [start.answer.pk]
    assert Message.objects.get(pk=start.question.pk).embedding is None  # no question vector was given


@pytest.mark.django_db
def test_a_cancelled_answer_is_not_completed_or_charged(user) -> None:
    start = _begin(user)
    balance_before_cancel = Wallet.objects.get(user=user).balance
    services.answer_cancel(answer_id=start.answer.pk, content="Bake")

    closed = services.answer_complete(answer_id=start.answer.pk, content="Bake it hot.", citations=CITATIONS)

    assert closed is not None
    assert (closed.status, closed.content, closed.cost) == (Message.Status.CANCELLED, "Bake", 0)
    hold = _hold_of(start)
    assert hold.status == Hold.Status.RELEASED
    assert _settle_entries(hold) == 0
    assert Wallet.objects.get(user=user).balance == balance_before_cancel + hold.amount


@pytest.mark.django_db
def test_completing_an_answer_that_is_gone_gives_none() -> None:
    assert services.answer_complete(answer_id=987654321, content="x", citations=[]) is None


@pytest.mark.django_db
def test_a_guests_answer_completes_without_a_hold() -> None:
    import uuid

    viewer = Viewer(user=None, guest_id=uuid.uuid4())
    conversation = services.conversation_create(viewer=viewer)
    start = services.answer_begin(viewer=viewer, conversation=conversation, text="Hello?")

    done = services.answer_complete(answer_id=start.answer.pk, content="Hi.", citations=[])

    assert done is not None and done.status == Message.Status.COMPLETE and done.hold_id is None
    assert Message.objects.get(pk=start.answer.pk).content == "Hi."


@pytest.mark.django_db(transaction=True)
def test_a_cancel_that_holds_the_answer_wins_over_a_completion_waiting_for_it() -> None:
    # The completion's update waits for the row a cancel has locked; once the cancel commits, the
    # update's condition (still streaming) is checked again on the new row, and nothing is written.
    user = UserFactory()
    start = _begin(user)
    cancel_holds_the_row, go_on = threading.Event(), threading.Event()

    def cancel_slowly() -> None:
        with transaction.atomic():
            Message.objects.select_for_update().get(pk=start.answer.pk)  # as answer_cancel locks it
            cancel_holds_the_row.set()
            go_on.wait(timeout=20)
            services.answer_cancel(answer_id=start.answer.pk, content="Bake")

    def complete() -> Message | None:
        cancel_holds_the_row.wait(timeout=10)
        return services.answer_complete(answer_id=start.answer.pk, content="Bake it hot.", citations=[])

    with ThreadPoolExecutor(max_workers=2) as pool:
        cancelling = pool.submit(in_own_connection, cancel_slowly)
        completing = pool.submit(in_own_connection, complete)
        try:
            wait_until_a_query_waits_on_a_lock()
        finally:
            go_on.set()
        cancelling.result()
        closed = completing.result()

    assert closed is not None and closed.status == Message.Status.CANCELLED
    assert Message.objects.get(pk=start.answer.pk).content == "Bake"
    hold = _hold_of(start)
    assert hold.status == Hold.Status.RELEASED and _settle_entries(hold) == 0
    connection.close()


@pytest.mark.django_db
def test_the_allowance_after_an_answer_counts_it(user) -> None:
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    before = chat_allowance(viewer)
    start = _begin(user)
    services.answer_complete(answer_id=start.answer.pk, content="Hot.", citations=[])

    after = chat_allowance(viewer)

    assert after.questions_left == before.questions_left - 1
    assert after.questions_per_day == before.questions_per_day == quota_status(viewer=viewer).limit


@pytest.mark.django_db
def test_a_user_without_a_wallet_is_shown_the_default_plans_quota() -> None:
    user = UserFactory()
    Wallet.objects.filter(user=user).delete()

    status = quota_status(viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id))

    assert status.used == 0 and status.limit > 0
