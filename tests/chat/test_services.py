"""Conversations and answers as services: paying once, refunds, the trash, guests' quota."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pytest
from django.utils import timezone

from accounts.guests import Viewer
from billing.ledger import InsufficientTokens
from billing.models import Hold, Wallet
from billing.quota import QuotaExceeded, quota_status
from chat import services
from chat.models import Conversation, Message
from chat.selectors import conversation_get_for_viewer, conversations_for_viewer
from chat.tasks import purge_trashed_conversations, reap_stale_answers
from tests.factories import VideoFactory, empty_wallet_user
from videos.models import TranscriptChunk
from videos.text_embedding.model import embed_texts

pytestmark = pytest.mark.django_db


def as_viewer(user) -> Viewer:
    return Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)


def test_a_question_is_charged_once_even_when_its_client_id_is_replayed(user):
    viewer = as_viewer(user)
    conversation = services.conversation_create(viewer=viewer)
    balance_before = Wallet.objects.get(user=user).balance

    first = services.answer_begin(viewer=viewer, conversation=conversation, text="Hello?", client_id="c1")
    again = services.answer_begin(viewer=viewer, conversation=conversation, text="Hello?", client_id="c1")

    assert again.replayed and not first.replayed
    assert (again.question.pk, again.answer.pk) == (first.question.pk, first.answer.pk)
    assert Wallet.objects.get(user=user).balance == balance_before - 2
    assert quota_status(viewer=viewer).used == 1
    services.answer_complete(answer_id=first.answer.pk, content="Hi [00:01]", citations=[])
    assert Wallet.objects.get(user=user).balance == balance_before - 2  # settled at the held price
    assert first.answer.hold is not None
    assert Hold.objects.get(pk=first.answer.hold.pk).status == Hold.Status.SETTLED


def test_a_failed_answer_is_refunded_exactly_once(user):
    viewer = as_viewer(user)
    conversation = services.conversation_create(viewer=viewer)
    balance_before = Wallet.objects.get(user=user).balance
    start = services.answer_begin(viewer=viewer, conversation=conversation, text="Hello?")

    services.answer_fail(answer_id=start.answer.pk, error="boom")
    services.answer_fail(answer_id=start.answer.pk, error="boom again")
    services.answer_cancel(answer_id=start.answer.pk)

    answer = Message.objects.get(pk=start.answer.pk)
    assert (answer.status, answer.cost, answer.error_message) == (Message.Status.ERROR, 0, "boom")
    assert Wallet.objects.get(user=user).balance == balance_before


def test_a_failed_answer_gives_its_quota_use_back_and_a_cancelled_one_keeps_it(user, settings):
    viewer = as_viewer(user)
    settings.GUEST_DAILY_CHAT_MESSAGES = 1
    guest = Viewer(user=None, guest_id=uuid.uuid4())
    guest_conversation = services.conversation_create(viewer=guest)
    failed = services.answer_begin(viewer=guest, conversation=guest_conversation, text="One")

    services.answer_fail(answer_id=failed.answer.pk, error="The language model failed.")
    services.answer_fail(answer_id=failed.answer.pk, error="again")  # gives back once

    assert quota_status(viewer=guest).used == 0
    services.answer_begin(viewer=guest, conversation=guest_conversation, text="Two")  # the one use is free again
    mine = services.conversation_create(viewer=viewer)
    cancelled = services.answer_begin(viewer=viewer, conversation=mine, text="Three")
    services.answer_cancel(answer_id=cancelled.answer.pk)
    assert quota_status(viewer=viewer).used == 1


def test_an_answer_quoting_chunks_gets_their_mean_vector_and_another_is_embedded_by_a_task(
    user, django_capture_on_commit_callbacks
):
    viewer = as_viewer(user)
    video = VideoFactory(owner=user, cooking=True)
    quoted = list(TranscriptChunk.objects.filter(video=video).order_by("index")[1:3])
    conversation = services.conversation_create(viewer=viewer, video=video)
    extractive = services.answer_begin(viewer=viewer, conversation=conversation, text="Oven?", client_id="a")
    services.answer_complete(
        answer_id=extractive.answer.pk, content="quotes", citations=[], quoted_chunk_ids=[c.pk for c in quoted]
    )
    written = services.answer_begin(viewer=viewer, conversation=conversation, text="Bread?", client_id="b")
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_complete(answer_id=written.answer.pk, content="Bake it hot, then let it cool.", citations=[])

    mean = np.mean([np.asarray(chunk.embedding) for chunk in quoted], axis=0)
    from_quotes = np.asarray(Message.objects.get(pk=extractive.answer.pk).embedding)
    assert np.allclose(from_quotes, mean / np.linalg.norm(mean), atol=1e-5)
    from_model = np.asarray(Message.objects.get(pk=written.answer.pk).embedding)
    assert np.allclose(from_model, embed_texts(["Bake it hot, then let it cool."])[0], atol=1e-4)


def test_a_full_quota_or_a_short_balance_refuses_before_writing_anything(user, settings):
    poor = empty_wallet_user()
    conversation = services.conversation_create(viewer=as_viewer(poor))

    with pytest.raises(InsufficientTokens):
        services.answer_begin(viewer=as_viewer(poor), conversation=conversation, text="Hello?")
    assert not Message.objects.exists()
    assert quota_status(viewer=as_viewer(poor)).used == 0

    settings.GUEST_DAILY_CHAT_MESSAGES = 1
    guest = Viewer(user=None, guest_id=uuid.uuid4())
    guest_conversation = services.conversation_create(viewer=guest)
    first = services.answer_begin(viewer=guest, conversation=guest_conversation, text="One")
    services.answer_complete(answer_id=first.answer.pk, content="ok", citations=[])
    with pytest.raises(QuotaExceeded):
        services.answer_begin(viewer=guest, conversation=guest_conversation, text="Two")
    assert Message.objects.filter(conversation=guest_conversation).count() == 2
    assert first.answer.cost == 0  # guests have a quota, not a wallet


def test_the_first_question_names_the_conversation(user):
    viewer = as_viewer(user)
    conversation = services.conversation_create(viewer=viewer)
    start = services.answer_begin(viewer=viewer, conversation=conversation, text="  Where   is the\nkitchen?  ")
    services.answer_complete(answer_id=start.answer.pk, content="ok", citations=[])
    services.answer_begin(viewer=viewer, conversation=conversation, text="Second question")

    assert Conversation.objects.get(pk=conversation.pk).title == "Where is the kitchen?"


def test_an_answer_left_streaming_by_a_dead_process_is_refunded_and_unblocks_the_conversation(user):
    viewer = as_viewer(user)
    conversation = services.conversation_create(viewer=viewer)
    balance_before = Wallet.objects.get(user=user).balance
    stuck = services.answer_begin(viewer=viewer, conversation=conversation, text="One")
    with pytest.raises(services.AnswerInProgress):
        services.answer_begin(viewer=viewer, conversation=conversation, text="Two")
    Message.objects.filter(pk=stuck.answer.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))

    services.answer_begin(viewer=viewer, conversation=conversation, text="Two")

    assert Message.objects.get(pk=stuck.answer.pk).status == Message.Status.ERROR
    assert Wallet.objects.get(user=user).balance == balance_before - 2  # one refunded, one held


def test_the_reaper_closes_and_refunds_abandoned_answers_and_leaves_finished_ones_alone(user):
    viewer = as_viewer(user)
    balance_before = Wallet.objects.get(user=user).balance
    abandoned = services.answer_begin(viewer=viewer, conversation=services.conversation_create(viewer=viewer), text="A")
    slow = services.answer_begin(viewer=viewer, conversation=services.conversation_create(viewer=viewer), text="B")
    done = services.answer_begin(viewer=viewer, conversation=services.conversation_create(viewer=viewer), text="C")
    services.answer_complete(answer_id=done.answer.pk, content="Finished.", citations=[])
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    Message.objects.filter(pk__in=[abandoned.answer.pk, done.answer.pk]).update(updated_at=an_hour_ago)

    assert reap_stale_answers() == 1
    assert reap_stale_answers() == 0  # closed once

    closed = Message.objects.get(pk=abandoned.answer.pk)
    assert (closed.status, closed.cost) == (Message.Status.ERROR, 0)
    assert "interrupted" in closed.error_message
    assert Message.objects.get(pk=slow.answer.pk).status == Message.Status.STREAMING  # still within its time
    assert Message.objects.get(pk=done.answer.pk).content == "Finished."
    assert Wallet.objects.get(user=user).balance == balance_before - 4  # the finished and the slow one
    assert quota_status(viewer=viewer).used == 2  # the abandoned question was given back


def test_a_trashed_conversation_takes_no_more_questions(user):
    viewer = as_viewer(user)
    conversation = services.conversation_create(viewer=viewer)
    services.conversation_delete(conversation=Conversation.objects.get(pk=conversation.pk))

    with pytest.raises(services.ChatInputError) as refused:
        services.answer_begin(viewer=viewer, conversation=conversation, text="Still there?")

    assert refused.value.code == "trashed" and "restore" in refused.value.message
    assert not Message.objects.exists()


def test_trash_restore_and_purge_after_thirty_days(user):
    viewer = as_viewer(user)
    kept = services.conversation_create(viewer=viewer)
    old = services.conversation_create(viewer=viewer)
    recent = services.conversation_create(viewer=viewer)
    services.conversation_delete(conversation=old)
    services.conversation_delete(conversation=recent)
    Conversation.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - dt.timedelta(days=31))

    assert list(conversations_for_viewer(viewer)) == [kept]
    assert set(conversations_for_viewer(viewer, deleted=True)) == {old, recent}
    with pytest.raises(Exception, match="No such conversation"):
        conversation_get_for_viewer(viewer, recent.pk)

    services.conversation_restore(conversation=recent)
    assert purge_trashed_conversations.delay().get() == 1

    assert set(Conversation.objects.values_list("pk", flat=True)) == {kept.pk, recent.pk}
    assert conversation_get_for_viewer(viewer, recent.pk) == recent


def test_nobody_sees_anyone_elses_conversations(user, other_user):
    mine = services.conversation_create(viewer=as_viewer(user))
    guest_a, guest_b = Viewer(user=None, guest_id=uuid.uuid4()), Viewer(user=None, guest_id=uuid.uuid4())
    guests = services.conversation_create(viewer=guest_a)

    for viewer, pk in [(as_viewer(other_user), mine.pk), (guest_b, guests.pk), (guest_a, mine.pk)]:
        with pytest.raises(Exception, match="No such conversation"):
            conversation_get_for_viewer(viewer, pk)
    assert list(conversations_for_viewer(guest_b)) == []
    assert list(conversations_for_viewer(Viewer(user=None, guest_id=None, workspace_id=None))) == []
    assert conversation_get_for_viewer(guest_a, guests.pk) == guests
