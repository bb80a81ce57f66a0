"""Beginning an answer (three statements of its own SQL around the payment's): the rows it writes
are the ORM path's, what it returns is what it wrote, and "one answer at a time" still holds."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from accounts.guests import Viewer
from billing.models import Hold, LedgerEntry, QuotaCounter, QuotaUse, Wallet
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


def _ask(user, text: str, *, through_orm: bool) -> services.AnswerStart:
    viewer = Viewer(user=user, guest_id=None)
    conversation = services.conversation_create(viewer=viewer)
    if through_orm:
        cost = services.answer_cost(viewer)
        return services._begin_making_room(
            viewer=viewer, conversation=conversation, text=text, client_id="c1", cost=cost
        )
    return services.answer_begin(viewer=viewer, conversation=conversation, text=text, client_id="c1")


@pytest.mark.django_db
def test_an_answer_begun_in_sql_writes_the_rows_the_orm_path_writes() -> None:
    by_sql, by_orm = UserFactory(), UserFactory()

    started = _ask(by_sql, "How hot should   the oven be?", through_orm=False)
    started_by_orm = _ask(by_orm, "How hot should   the oven be?", through_orm=True)

    sql_rows = _rows_of(by_sql, started)
    assert sql_rows == _rows_of(by_orm, started_by_orm)
    assert sql_rows["conversation title"] == "How hot should the oven be?"
    # What the sockets are sent first is the rows as saved.
    assert message_frame_data(started.question) == message_frame_data(Message.objects.get(pk=started.question.pk))
    assert message_frame_data(started.answer) == message_frame_data(Message.objects.get(pk=started.answer.pk))
    assert started.answer.conversation.owner_id == by_sql.pk and started.answer.hold is not None


@pytest.mark.django_db
def test_a_question_while_an_answer_is_written_is_refused_and_leaves_nothing(user) -> None:
    viewer = Viewer(user=user, guest_id=None)
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
    viewer = Viewer(user=user, guest_id=None)
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
