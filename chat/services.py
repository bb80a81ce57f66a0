"""Writes for chat: conversations (create, trash, restore, purge) and the life of an answer.

An answer's money: before anything is written, the quota and the balance are checked; then, in one
transaction with the two messages, the quota is consumed and the answer's price is put on hold,
both keyed by the answer's id. The hold is settled when the answer completes and released when it
fails or is cancelled, so each answer is paid for once and a failed one costs nothing. A replayed
`client_id` returns the first question and answer and charges nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.guests import Viewer
from billing.models import Wallet
from billing.services import (
    InsufficientTokens,
    QuotaExceeded,
    hold_create,
    hold_release,
    hold_settle,
    quota_consume,
    quota_status,
)
from chat.models import TITLE_MAX_CHARS, Conversation, Message
from videos.models import Video


class ChatInputError(ValueError):
    """The question cannot be asked as sent (empty, too long, bad id)."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class AnswerInProgress(Exception):
    def __init__(self) -> None:
        super().__init__("An answer is still being written in this conversation: wait for it, or cancel it.")


# --- conversations ------------------------------------------------------------------------------


def conversation_create(*, viewer: Viewer, video: Video | None = None) -> Conversation:
    """A new conversation about `video` (already checked to be the viewer's) or the whole library."""
    if viewer.user is None and viewer.guest_id is None:
        raise ValueError("A guest needs an id before starting a conversation.")
    if video is not None and (viewer.user is None or video.owner_id != viewer.user.pk):
        raise ValueError("Only the video's owner may chat about it.")
    return Conversation.objects.create(
        owner=viewer.user, guest_id=None if viewer.user else viewer.guest_id, video=video
    )


def conversation_delete(*, conversation: Conversation) -> Conversation:
    """Move to the trash (restorable until purged)."""
    if conversation.deleted_at is None:
        conversation.deleted_at = timezone.now()
        conversation.save(update_fields=["deleted_at"])
    return conversation


def conversation_restore(*, conversation: Conversation) -> Conversation:
    if conversation.deleted_at is not None:
        conversation.deleted_at = None
        conversation.save(update_fields=["deleted_at"])
    return conversation


def conversations_purge(*, now: dt.datetime | None = None) -> int:
    """Delete for good what has been in the trash longer than CHAT_TRASH_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.CHAT_TRASH_DAYS)
    _total, per_model = Conversation.objects.filter(deleted_at__lt=cutoff).delete()
    return per_model.get(Conversation._meta.label, 0)


# --- asking -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerStart:
    question: Message
    answer: Message
    replayed: bool  # the client_id was sent before: nothing new was written or charged


def clean_question(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ChatInputError("Type a question first: the message is empty.", code="empty")
    text = text.strip()
    if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise ChatInputError(
            f"The message is too long: at most {settings.CHAT_MAX_MESSAGE_CHARS} characters (it has {len(text)}).",
            code="too_long",
        )
    return text


def clean_client_id(client_id: object) -> str:
    if client_id is None or client_id == "":
        return ""
    if not isinstance(client_id, str) or len(client_id) > 64:
        raise ChatInputError("client_id must be a string of at most 64 characters.")
    return client_id


def answer_cost(viewer: Viewer) -> int:
    return 0 if viewer.user is None else int(settings.TOKEN_COST_CHAT_ANSWER)


def _replay(conversation: Conversation, client_id: str) -> AnswerStart | None:
    if not client_id:
        return None
    question = Message.objects.filter(conversation=conversation, client_id=client_id).first()
    if question is None:
        return None
    answer = Message.objects.filter(reply_to=question).first()
    if answer is None:  # cannot happen (both are written together); treat as new to be safe
        return None
    return AnswerStart(question=question, answer=answer, replayed=True)


def _release_stale_answer(conversation: Conversation) -> None:
    """An answer 'streaming' with no progress for CHAT_STALE_ANSWER_SECONDS lost its process (a crash,
    a deploy): mark it failed and refund it, so the conversation is not blocked for ever."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.CHAT_STALE_ANSWER_SECONDS)
    for stale in Message.objects.filter(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.STREAMING, updated_at__lt=cutoff
    ):
        _close_answer(stale, status=Message.Status.ERROR, error="The answer was interrupted.")


def _check_can_pay(viewer: Viewer, *, cost: int) -> None:
    """Quota and balance, checked before anything is written or charged (clear errors, no rollbacks)."""
    quota = quota_status(viewer=viewer)
    if quota.remaining <= 0:
        raise QuotaExceeded(limit=quota.limit, resets_at=quota.resets_at)
    if cost and viewer.user is not None:
        balance = Wallet.objects.filter(user=viewer.user).values_list("balance", flat=True).first() or 0
        if balance < cost:
            raise InsufficientTokens(needed=cost, available=balance)


def answer_begin(*, viewer: Viewer, conversation: Conversation, text: object, client_id: object = "") -> AnswerStart:
    """Save the question and an empty 'streaming' answer, and pay for it.

    Raises ChatInputError, AnswerInProgress, QuotaExceeded or InsufficientTokens (nothing written)."""
    question_text = clean_question(text)
    client_key = clean_client_id(client_id)
    if (replayed := _replay(conversation, client_key)) is not None:
        return replayed
    cost = answer_cost(viewer)
    _check_can_pay(viewer, cost=cost)
    try:
        with transaction.atomic():
            # The conversation's row lock orders concurrent questions: one answer at a time.
            locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
            if (replayed := _replay(locked, client_key)) is not None:
                return replayed
            _release_stale_answer(locked)
            if Message.objects.filter(
                conversation=locked, role=Message.Role.ASSISTANT, status=Message.Status.STREAMING
            ).exists():
                raise AnswerInProgress()
            now = timezone.now()
            question = Message.objects.create(
                conversation=locked, role=Message.Role.USER, content=question_text, client_id=client_key
            )
            answer = Message.objects.create(
                conversation=locked,
                role=Message.Role.ASSISTANT,
                status=Message.Status.STREAMING,
                reply_to=question,
                cost=cost,
            )
            # Charged by the answer's id: inside this transaction, so a refusal writes nothing.
            quota_consume(viewer=viewer, key=f"chat:{answer.pk}")
            if cost and viewer.user is not None:
                answer.hold = hold_create(
                    user=viewer.user, amount=cost, key=f"chat-answer:{answer.pk}", ref=answer, memo="Chat answer"
                )
                answer.save(update_fields=["hold"])
            updates: dict[str, object] = {"updated_at": now}
            if not locked.title:
                updates["title"] = _title_from(question_text)
            Conversation.objects.filter(pk=locked.pk).update(**updates)
            return AnswerStart(question=question, answer=answer, replayed=False)
    except IntegrityError:
        # A concurrent request with the same client_id won the insert: answer with its messages.
        if (replayed := _replay(conversation, client_key)) is not None:
            return replayed
        raise AnswerInProgress() from None


def _title_from(question: str) -> str:
    title = " ".join(question.split())
    return title if len(title) <= TITLE_MAX_CHARS else title[: TITLE_MAX_CHARS - 1].rstrip() + "…"


def answer_save_partial(*, answer_id: int, content: str) -> None:
    """The text so far, so a reload shows it (only while the answer is still streaming)."""
    Message.objects.filter(pk=answer_id, status=Message.Status.STREAMING).update(
        content=content, updated_at=timezone.now()
    )


def question_store_embedding(*, question_id: int, vector: np.ndarray) -> None:
    Message.objects.filter(pk=question_id).update(embedding=vector)


def answer_complete(
    *, answer_id: int, content: str, citations: list[dict[str, object]], vector: np.ndarray | None = None
) -> Message | None:
    """Finish the answer and settle its hold; None if it was already closed (cancelled meanwhile)."""
    with transaction.atomic():
        answer = Message.objects.select_for_update().filter(pk=answer_id).first()
        if answer is None or answer.status != Message.Status.STREAMING:
            return answer
        answer.content = content
        answer.citations = citations
        answer.embedding = vector
        return _close_answer(answer, status=Message.Status.COMPLETE)


def answer_fail(*, answer_id: int, error: str, content: str = "") -> Message | None:
    with transaction.atomic():
        answer = Message.objects.select_for_update().filter(pk=answer_id).first()
        if answer is None or answer.status != Message.Status.STREAMING:
            return answer
        answer.content = content
        return _close_answer(answer, status=Message.Status.ERROR, error=error)


def answer_cancel(*, answer_id: int, content: str | None = None) -> Message | None:
    """Stop with what was written so far; cancelled answers are refunded."""
    with transaction.atomic():
        answer = Message.objects.select_for_update().filter(pk=answer_id).first()
        if answer is None or answer.status != Message.Status.STREAMING:
            return answer
        if content is not None:
            answer.content = content
        return _close_answer(answer, status=Message.Status.CANCELLED)


def _close_answer(answer: Message, *, status: str, error: str = "") -> Message:
    answer.status = status
    answer.error_message = error[:500]
    if answer.hold_id is not None:
        assert answer.hold is not None
        if status == Message.Status.COMPLETE:
            hold_settle(hold=answer.hold, actual_amount=answer.hold.amount)
        else:
            hold_release(hold=answer.hold)
            answer.cost = 0
    elif status != Message.Status.COMPLETE:
        answer.cost = 0
    answer.save()
    return answer
