"""Beginning an answer (three statements of its own SQL around the payment's): the rows it writes,
what it returns is what it wrote, "one answer at a time" still holds, and a stale answer in the way
is closed and refunded before the question is answered."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts.guests import Viewer
from billing.models import Hold, LedgerEntry, QuotaCounter, QuotaUse, Wallet
from billing.prices import chat_answer_price
from chat import services
from chat.live import message_frame_data
from chat.models import Conversation, Message
from tests.chat.helpers import in_own_connection
from tests.factories import UserFactory

# What differs between two users' otherwise identical rows.
_IDENTITY = {"id", "conversation", "reply_to", "hold", "wallet", "counter", "ref_id", "key", "idempotency_key", "user"}


def _comparable(row: Any, *, ignore: frozenset[str] = frozenset()) -> dict[str, object]:
    values = model_to_dict(row)
    return {name: value for name, value in values.items() if name not in _IDENTITY | ignore}


def _rows_of(user, start: services.AnswerStart) -> dict[str, object]:
    wallet = Wallet.objects.get(user=user)
    answer = Message.objects.get(pk=start.answer.pk)
    assert answer.hold_id is not None
    return {
        "question": _comparable(
            Message.objects.get(pk=start.question.pk), ignore=frozenset({"created_at", "updated_at"})
        ),
        "answer": _comparable(answer, ignore=frozenset({"created_at", "updated_at"})),
        "answer replies to the question": answer.reply_to_id == start.question.pk,
        "answer's hold": _comparable(Hold.objects.get(pk=answer.hold_id), ignore=frozenset({"created_at"})),
        "ledger": [
            _comparable(entry, ignore=frozenset({"created_at"}))
            for entry in LedgerEntry.objects.filter(wallet=wallet).order_by("pk")
        ],
        "balance": wallet.balance,
        "quota": [counter.used for counter in QuotaCounter.objects.filter(owner_key=f"user:{user.pk}")],
        "quota uses": QuotaUse.objects.filter(key=f"chat:{start.answer.pk}").count(),
        "conversation title": Conversation.objects.get(pk=start.answer.conversation_id).title,
        "conversation touched": Conversation.objects.get(pk=start.answer.conversation_id).updated_at
        >= start.question.created_at,
    }


def _ask(user, text: str, *, conversation: Conversation | None = None, client_id: str = "c1") -> services.AnswerStart:
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    conversation = conversation or services.conversation_create(viewer=viewer)
    return services.answer_begin(viewer=viewer, conversation=conversation, text=text, client_id=client_id)


@pytest.mark.django_db
def test_an_answer_begun_writes_the_question_the_streaming_answer_its_hold_and_its_quota_use() -> None:
    user = UserFactory()
    balance = Wallet.objects.get(user=user).balance
    ledger = [
        _comparable(e, ignore=frozenset({"created_at"}))
        for e in LedgerEntry.objects.filter(wallet__user=user).order_by("pk")
    ]
    price = chat_answer_price()

    started = _ask(user, "How hot should   the oven be?")

    rows = _rows_of(user, started)
    message: dict[str, object] = {"citations": [], "error_message": "", "embedding": None}
    assert rows == {
        "question": {
            **message,
            "role": Message.Role.USER,
            "content": "How hot should   the oven be?",
            "status": Message.Status.COMPLETE,
            "cost": 0,
            "client_id": "c1",
        },
        "answer": {
            **message,
            "role": Message.Role.ASSISTANT,
            "content": "",
            "status": Message.Status.STREAMING,
            "cost": price,
            "client_id": "",
        },
        "answer replies to the question": True,
        "answer's hold": {
            "actor": user.pk,  # who asked: a team's usage is summed per member by it
            "amount": price,
            "status": Hold.Status.OPEN,
            "settled_amount": None,
            "ref_type": "message",
            "about_video": None,  # a question about the whole library: no video's usage
            "memo": "Chat answer",
            "closed_at": None,
        },
        "ledger": [
            *ledger,
            {
                "actor": user.pk,
                "kind": LedgerEntry.Kind.HOLD,
                "amount": -price,
                "balance_after": balance - price,
                "ref_type": "message",
                "memo": "Chat answer",
            },
        ],
        "balance": balance - price,
        "quota": [1],
        "quota uses": 1,
        "conversation title": "How hot should the oven be?",
        "conversation touched": True,
    }
    answer = Message.objects.get(pk=started.answer.pk)
    assert answer.hold is not None and answer.hold.key == f"chat-answer:{answer.pk}"
    assert answer.hold.ref_id == str(answer.pk)
    assert LedgerEntry.objects.filter(hold=answer.hold).get().idempotency_key == f"hold:chat-answer:{answer.pk}"
    # What the sockets are sent first is the rows as saved.
    assert message_frame_data(started.question) == message_frame_data(Message.objects.get(pk=started.question.pk))
    assert message_frame_data(started.answer) == message_frame_data(Message.objects.get(pk=started.answer.pk))
    assert started.answer.conversation.owner_id == user.pk and started.answer.hold is not None
    for returned in (started.question, started.answer):
        stored = Message.objects.get(pk=returned.pk)
        assert [getattr(returned, f.attname) for f in Message._meta.concrete_fields] == [
            getattr(stored, f.attname) for f in Message._meta.concrete_fields
        ]


@pytest.mark.django_db
def test_a_stale_answer_in_the_way_is_closed_and_refunded_and_the_question_answered(user) -> None:
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    conversation = services.conversation_create(viewer=viewer)
    balance = Wallet.objects.get(user=user).balance
    stuck = _ask(user, "One", conversation=conversation, client_id="one")
    Message.objects.filter(pk=stuck.answer.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))

    second = _ask(user, "Two", conversation=conversation, client_id="two")

    closed = Message.objects.get(pk=stuck.answer.pk)
    assert (closed.status, closed.cost, closed.error_message) == (Message.Status.ERROR, 0, services.INTERRUPTED)
    assert stuck.answer.hold is not None
    assert Hold.objects.get(pk=stuck.answer.hold.pk).status == Hold.Status.RELEASED
    assert Message.objects.get(pk=second.answer.pk).status == Message.Status.STREAMING
    assert Wallet.objects.get(user=user).balance == balance - chat_answer_price()
    # The failed answer's quota use was given back; the new one counted.
    assert QuotaCounter.objects.get(owner_key=f"user:{user.pk}").used == 1
    assert not QuotaUse.objects.filter(key=f"chat:{stuck.answer.pk}").exists()


@pytest.mark.django_db
def test_a_replayed_question_while_its_answer_is_written_gets_its_messages(user) -> None:
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    conversation = services.conversation_create(viewer=viewer)
    first = _ask(user, "One", conversation=conversation, client_id="one")
    balance = Wallet.objects.get(user=user).balance

    again = _ask(user, "One", conversation=conversation, client_id="one")

    assert again.replayed and (again.question.pk, again.answer.pk) == (first.question.pk, first.answer.pk)
    assert Wallet.objects.get(user=user).balance == balance


@pytest.mark.django_db
def test_a_trashed_conversation_with_a_stale_answer_is_refused_and_the_answer_left_alone(user) -> None:
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    conversation = services.conversation_create(viewer=viewer)
    stuck = _ask(user, "One", conversation=conversation, client_id="one")
    Message.objects.filter(pk=stuck.answer.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    services.conversation_delete(conversation=Conversation.objects.get(pk=conversation.pk))

    with pytest.raises(services.ChatInputError) as refused:
        _ask(user, "Two", conversation=conversation, client_id="two")

    assert refused.value.code == "trashed"
    assert Message.objects.get(pk=stuck.answer.pk).status == Message.Status.STREAMING
    assert Message.objects.filter(conversation=conversation).count() == 2


@pytest.mark.django_db
def test_a_guests_question_counts_on_its_own_and_its_addresss_quota_and_holds_nothing() -> None:
    guest = Viewer(user=None, guest_id=uuid.uuid4(), address="203.0.113.7")
    conversation = services.conversation_create(viewer=guest)

    started = services.answer_begin(viewer=guest, conversation=conversation, text="Hello?")

    assert started.answer.hold is None and Message.objects.get(pk=started.answer.pk).hold_id is None
    assert started.answer.cost == 0
    assert sorted(QuotaUse.objects.values_list("counter__owner_key", "key")) == [
        ("address:203.0.113.7", f"chat:{started.answer.pk}|address"),
        (f"guest:{guest.guest_id}", f"chat:{started.answer.pk}"),
    ]


@pytest.mark.django_db
def test_a_question_while_an_answer_is_written_is_refused_and_leaves_nothing(user) -> None:
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    conversation = services.conversation_create(viewer=viewer)
    services.answer_begin(viewer=viewer, conversation=conversation, text="One")
    balance = Wallet.objects.get(user=user).balance
    messages = Message.objects.count()

    with pytest.raises(services.AnswerInProgress):
        services.answer_begin(viewer=viewer, conversation=conversation, text="Two", client_id="second")

    assert Message.objects.count() == messages
    assert Wallet.objects.get(user=user).balance == balance
    assert QuotaCounter.objects.get(owner_key=f"user:{user.pk}").used == 1


@pytest.mark.django_db(transaction=True)
def test_two_questions_at_once_in_one_conversation_get_one_answer() -> None:
    user = UserFactory()
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    conversation = services.conversation_create(viewer=viewer)
    ready = threading.Barrier(2)

    def ask(text: str) -> str:
        ready.wait(timeout=10)
        try:
            services.answer_begin(viewer=viewer, conversation=conversation, text=text, client_id=text)
        except services.AnswerInProgress:
            return "refused"
        return "answered"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(lambda text: in_own_connection(lambda: ask(text)), ["One", "Two"]))

    assert outcomes == ["answered", "refused"]
    assert Message.objects.filter(conversation=conversation, role=Message.Role.ASSISTANT).count() == 1
    assert QuotaCounter.objects.get(owner_key=f"user:{user.pk}").used == 1
    connection.close()


def _answer_of(conversation: Conversation) -> Message:
    return Message.objects.get(conversation=conversation, role=Message.Role.ASSISTANT)


def _wait_for(condition, within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_an_answer_whose_commit_went_through_as_the_database_went_away_is_failed_and_refunded(monkeypatch) -> None:
    # The COMMIT reaches Postgres, but its reply is lost with the connection: the asker is told the
    # database is away (503), and nobody writes the stored answer. It is failed once the database
    # answers, not left holding the asker's tokens until the reaper comes by ten minutes later.
    user = UserFactory()
    balance = Wallet.objects.get(user=user).balance
    conversation = services.conversation_create(
        viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    )
    commit = connection.commit

    def commit_then_lose_the_reply() -> None:
        commit()
        raise OperationalError("consuming input failed: server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "commit", commit_then_lose_the_reply)
    with pytest.raises(OperationalError):
        _ask(user, "How hot should the oven be?", conversation=conversation)
    monkeypatch.undo()

    assert _wait_for(lambda: _answer_of(conversation).status == Message.Status.ERROR)
    answer = _answer_of(conversation)
    assert answer.error_message == services.INTERRUPTED
    assert Wallet.objects.get(user=user).balance == balance
    assert answer.hold is not None and answer.hold.status == Hold.Status.RELEASED
    # The conversation takes the question again (its client_id answers with the failed one).
    again = _ask(user, "How hot should the oven be?", conversation=conversation, client_id="c2")
    assert again.answer.status == Message.Status.STREAMING


@pytest.mark.django_db(transaction=True)
def test_an_answer_whose_commit_never_happened_leaves_nothing_behind(monkeypatch) -> None:
    user = UserFactory()
    balance = Wallet.objects.get(user=user).balance
    conversation = services.conversation_create(
        viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    )

    def connection_lost_before_commit() -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "commit", connection_lost_before_commit)
    with pytest.raises(OperationalError):
        _ask(user, "How hot should the oven be?", conversation=conversation)
    monkeypatch.undo()

    # The thread that fails what an outage hid finds nothing to fail, and fails nothing else: the
    # same question, sent again with the same client_id, is asked anew and charged once.
    for thread in threading.enumerate():
        if thread.name.startswith("fail-answer-"):
            thread.join(timeout=30)
    assert Message.objects.filter(conversation=conversation).count() == 0
    assert Wallet.objects.get(user=user).balance == balance
    again = _ask(user, "How hot should the oven be?", conversation=conversation)
    assert not again.replayed and again.answer.status == Message.Status.STREAMING
    assert Wallet.objects.get(user=user).balance == balance - chat_answer_price()
