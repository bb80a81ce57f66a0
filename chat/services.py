"""Writes for chat: conversations (create, trash, restore, purge) and the life of an answer.

An answer's money: in one transaction with the two messages, the day's quota is counted and the
answer's price is put on hold, both keyed by the answer's id; a refusal (quota, balance) rolls it all
back, so nothing is written. The hold is settled when the answer completes and released when it
fails or is cancelled, or when it says the video has nothing that answers the question, so each
answer is paid for once and a failed or empty one costs nothing. A failed answer (our fault) also
gives its quota use back; a cancelled one keeps it (the work was asked for and done up to the
cancel), and so does one with nothing to answer from (the question was asked). A replayed
`client_id` returns the first question and answer and charges nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from accounts.guests import Viewer
from billing.holds import hold_release, hold_settle
from billing.models import Hold
from billing.prices import chat_answer_price
from billing.quota import chat_answer_pay, quota_consume, quota_release
from chat import selectors
from chat.answering import answer_backend
from chat.models import TITLE_MAX_CHARS, Conversation, Message
from sage.api.fields import CLIENT_ID_MAX, client_id_or_none
from sage.availability import unavailability
from sage.errors import Conflict, Forbidden, Invalid
from sage.queueing import TaskRef
from sage.retrying import call_until_back
from sage.sql import TableNames, attnames, new_row_fields, sql
from videos.models import TranscriptChunk, Video
from videos.text_embedding.model import embed_texts
from videos.vector_params import binary_vector
from workspaces.current import membership_or_none
from workspaces.policy import decide

# Queued by name (sage.queueing): chat.tasks runs these services, so they never import it.
EMBED_ANSWER = TaskRef[[int]]("chat.tasks.embed_answer")


class ChatInputError(Invalid):
    """The question cannot be asked as sent (empty, too long, bad id, a trashed conversation)."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message, code=code)


logger = logging.getLogger(__name__)

INTERRUPTED = "The answer was interrupted before it was finished. You were not charged."


class AnswerInProgress(Conflict):
    code = "busy"
    default_message = "An answer is still being written in this conversation: wait for it, or cancel it."


class VideoNotReady(Conflict):
    code = "video_not_ready"

    def __init__(self, video: Video) -> None:
        super().__init__(
            "A conversation can only be about a ready video (one with its transcript); "
            f"this one is {video.get_status_display().lower()}."
        )


# --- conversations ------------------------------------------------------------------------------


def conversation_create(*, viewer: Viewer, video: Video | None = None) -> Conversation:
    """A new conversation about `video` (already checked to be the viewer's) or the whole library."""
    if viewer.user is None and viewer.guest_id is None:
        raise ValueError("A guest needs an id before starting a conversation.")
    if viewer.user is not None and viewer.workspace_id is None:
        raise ValueError("A member's conversation is started in the workspace they act in: name it.")
    if video is not None and (viewer.user is None or video.workspace_id != viewer.workspace_id):
        raise ValueError("Only the video's workspace may chat about it.")
    if video is not None and video.status != Video.Status.READY:
        raise VideoNotReady(video)  # nothing to answer from yet; pages offer only ready videos
    return Conversation.objects.create(
        owner=viewer.user,
        workspace_id=viewer.workspace_id if viewer.user else None,
        guest_id=None if viewer.user else viewer.guest_id,
        video=video,
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
    # The conversation's finished turns before this question, oldest first (the prompt's history).
    history: tuple[Message, ...] = ()
    # Who pays for it and whose quota it counts on: the conversation's owner (None for a replay).
    owner: Viewer | None = None


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
    cleaned = client_id_or_none(client_id)
    if cleaned is None:
        raise ChatInputError(
            f"client_id must be text of at most {CLIENT_ID_MAX} characters, without control characters."
        )
    return cleaned


def answer_cost(viewer: Viewer) -> int:
    return 0 if viewer.user is None else chat_answer_price()


def _quota_key(answer_id: int) -> str:
    return f"chat:{answer_id}"


def _replay(conversation: Conversation, client_id: str) -> AnswerStart | None:
    if not client_id:
        return None
    # The answer and its question in one query (they are always written together).
    answer = (
        Message.objects.select_related("reply_to")
        .filter(reply_to__conversation=conversation, reply_to__client_id=client_id)
        .first()
    )
    if answer is None or answer.reply_to is None:
        return None
    return AnswerStart(question=answer.reply_to, answer=answer, replayed=True)


def _stale_cutoff() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.CHAT_STALE_ANSWER_SECONDS)


def _make_room_for_answer(conversation: Conversation) -> None:
    """One answer at a time: AnswerInProgress while one is being written. An answer 'streaming' with
    no progress for CHAT_STALE_ANSWER_SECONDS lost its process (a crash, a deploy): it is marked
    failed and refunded here, so the conversation is not blocked until the reaper comes by. Under
    the conversation's lock, as questions are asked; the answers are locked before they are judged:
    a writer that was only slow may finish it meanwhile."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
        if locked is None or locked.deleted_at is not None:
            return  # asking again says so
        streaming = (
            Message.objects.select_for_update()
            .filter(conversation=locked, role=Message.Role.ASSISTANT, status=Message.Status.STREAMING)
            .order_by("pk")
            .values_list("pk", "updated_at")
        )
        for answer_id, updated_at in streaming:
            if updated_at >= _stale_cutoff():
                raise AnswerInProgress()
            stale = _lock_answer(answer_id)
            assert stale is not None  # locked above, in this transaction
            _close_answer(stale, status=Message.Status.ERROR, error=INTERRUPTED)


def answers_reap_stale() -> list[Message]:
    """Close, as failed and refunded, every answer still 'streaming' with no progress for
    CHAT_STALE_ANSWER_SECONDS (beat runs this). Returns the answers it closed."""
    candidates = Message.objects.filter(
        role=Message.Role.ASSISTANT, status=Message.Status.STREAMING, updated_at__lt=_stale_cutoff()
    ).values_list("pk", flat=True)
    closed: list[Message] = []
    for answer_id in list(candidates):
        with transaction.atomic():
            answer = _lock_answer(answer_id)
            # Judged again under the lock: its writer may have finished it, or just made progress.
            if answer is None or answer.status != Message.Status.STREAMING or answer.updated_at >= _stale_cutoff():
                continue
            closed.append(_close_answer(answer, status=Message.Status.ERROR, error=INTERRUPTED))
    return closed


# Beginning an answer in three statements of fixed SQL around the payment's three, where the ORM
# took six: (1) the conversation locked (it orders concurrent questions: one answer at a time) and
# the question inserted, (2) the streaming answer inserted, (3) the answer's hold and the
# conversation's time (and first title) written. This runs before every answer's first word, where
# the ORM spent most of its time building its statements (bench/chat.py's burst; figures in
# bench/RESULTS.md). The answer's insert is also the "one answer at a time" check: the partial
# unique index `one_streaming_answer_per_conversation` refuses a second streaming answer, and only
# then is room made (a stale answer closed, or AnswerInProgress) and the same three tried again.
_BEGIN_QUESTION_SQL = sql(
    """
WITH conversation AS (
    SELECT {Conversation.columns} FROM {Conversation} WHERE {Conversation.id} = %(conversation_id)s
    FOR UPDATE
), question AS (
    INSERT INTO {Message} ({Message.new_columns})
    SELECT {Message.new_values} FROM conversation
    RETURNING {Message.id}
)
SELECT conversation.*, question.{Message.id} FROM conversation, question
""",
    Conversation=Conversation,
    Message=Message,
)
_BEGIN_ANSWER_SQL = sql(
    "INSERT INTO {Message} ({Message.new_columns}) VALUES ({Message.new_values}) RETURNING {Message.id}",
    Message=Message,
)
_BEGIN_RECORD_SQL = sql(
    """
WITH answer AS (
    UPDATE {Message} SET {Message.hold} = %(hold_id)s
    WHERE {Message.id} = %(answer_id)s AND %(hold_id)s::bigint IS NOT NULL
)
UPDATE {Conversation}
SET {Conversation.updated_at} = %(now)s, {Conversation.title} = coalesce(%(title)s, {Conversation.title})
WHERE {Conversation.id} = %(conversation_id)s
""",
    Conversation=Conversation,
    Message=Message,
)
_ONE_STREAMING_ANSWER = "one_streaming_answer_per_conversation"


class _AnswerUnderWay(Exception):
    """The conversation already has a streaming answer (a live one, or a stale one to close)."""


def answer_begin(*, viewer: Viewer, conversation: Conversation, text: object, client_id: object = "") -> AnswerStart:
    """Save the question and an empty 'streaming' answer, and pay for it, in one transaction.

    Raises ChatInputError, AnswerInProgress, QuotaExceeded or InsufficientTokens, and then nothing is
    written: the refusals come from inside the transaction, which they roll back. This runs before
    every answer's first word, so it is kept to one transaction and as few queries as it can be: a
    replayed `client_id` is found by the question's unique constraint, not looked up first, and the
    history is read only for a backend that writes from it (a language model, not quotes)."""
    question_text = clean_question(text)
    client_key = clean_client_id(client_id)
    cost = answer_cost(viewer)
    require_may_ask(viewer, conversation)
    try:
        try:
            return _begin(viewer=viewer, conversation=conversation, text=question_text, client_id=client_key, cost=cost)
        except _AnswerUnderWay:
            # Rolled back whole. Room is made in a short transaction of its own (AnswerInProgress
            # while the answer is live; a stale one closed as failed and refunded), then once more:
            # a question that slips in between wins, and this one is refused as one would be.
            _make_room_for_answer(conversation)
            try:
                return _begin(
                    viewer=viewer, conversation=conversation, text=question_text, client_id=client_key, cost=cost
                )
            except _AnswerUnderWay:
                raise AnswerInProgress() from None
    except IntegrityError:
        # The client_id was sent before (a retry), or a concurrent request with it won the insert:
        # answer with its messages.
        if (replayed := _replay(conversation, client_key)) is not None:
            return replayed
        raise AnswerInProgress() from None


class MembershipEnded(Forbidden):
    """The asker is no longer a member of the conversation's workspace (removed, or left)."""

    code = "membership_ended"
    default_message = "You are no longer a member of this workspace: its conversations are closed to you."


def require_may_ask(viewer: Viewer, conversation: Conversation) -> None:
    """Refuse a question (Forbidden, before anything is saved or charged) from a member whose role in
    the conversation's workspace, read now, does not reach an editor's, or who is no member of it
    any more: a socket open since before a demotion or removal asks through here on every question,
    and the tokens are the team's. A guest asks in their own; one's own workspace costs no query."""
    if viewer.user is None or conversation.workspace_id is None:  # a guest's conversation has no workspace
        return
    membership = membership_or_none(viewer.user, conversation.workspace_id)
    if membership is None:
        raise MembershipEnded()
    # The policy's chat.ask is one's own conversations only: asked with whose this one is.
    refusal = decide(
        membership.actor(), "chat.ask", workspace_id=conversation.workspace_id, made_by=conversation.owner_id
    )
    if refusal is not None:
        raise Forbidden(refusal.message)


def _begin(*, viewer: Viewer, conversation: Conversation, text: str, client_id: str, cost: int) -> AnswerStart:
    begun: AnswerStart | None = None
    try:
        with transaction.atomic():
            begun = _begin_statements(
                viewer=viewer, conversation=conversation, text=text, client_id=client_id, cost=cost
            )
    except DatabaseError as error:
        if begun is not None and unavailability(error) is not None:
            # The COMMIT met an outage: stored or not, nobody can tell, and nobody will write this
            # answer (the asker is told 503). Failed, and its hold refunded, once the database is back.
            _fail_when_back(begun.answer.pk)
        raise
    return begun


def _begin_statements(
    *, viewer: Viewer, conversation: Conversation, text: str, client_id: str, cost: int
) -> AnswerStart:
    now = timezone.now()
    connection = transaction.get_connection()
    question_values = _new_message(
        conversation_id=conversation.pk,
        role=Message.Role.USER,
        content=text,
        status=Message.Status.COMPLETE,
        cost=0,
        client_id=client_id,
        reply_to_id=None,
        created_at=now,
    )
    with connection.cursor() as cursor:
        # A client_id sent before fails this insert (IntegrityError: the caller's replay).
        cursor.execute(_BEGIN_QUESTION_SQL, _insert_params(question_values, connection))
        row = cursor.fetchone()
        if row is None:
            raise Conversation.DoesNotExist("The conversation is gone.")
        locked = Conversation.from_db(connection.alias, attnames(Conversation), row[:-1])
        if locked.deleted_at is not None:  # trashed since the socket or page opened it
            raise ChatInputError("This conversation is in the trash: restore it to go on.", code="trashed")
        question = _saved_message(connection.alias, locked, id=row[-1], **question_values)
        history = _history_before(locked, question)
        answer_values = _new_message(
            conversation_id=locked.pk,
            role=Message.Role.ASSISTANT,
            content="",
            status=Message.Status.STREAMING,
            cost=cost,
            client_id="",
            reply_to_id=question.pk,
            created_at=now,
        )
        try:  # a refusal spoils the transaction, which is then rolled back whole
            cursor.execute(_BEGIN_ANSWER_SQL, _insert_params(answer_values, connection))
        except IntegrityError as error:
            if _constraint_of(error) == _ONE_STREAMING_ANSWER:
                raise _AnswerUnderWay() from error
            raise
        (answer_id,) = cursor.fetchone()
    answer = _saved_message(connection.alias, locked, id=answer_id, **answer_values)
    answer.reply_to = question
    # Counted and charged by the answer's id: a refusal rolls all of this back.
    answer.hold = _pay_for_answer(viewer, answer, cost)
    with connection.cursor() as cursor:
        cursor.execute(
            _BEGIN_RECORD_SQL,
            {
                "hold_id": answer.hold_id,
                "answer_id": answer.pk,
                "now": timezone.now(),
                "title": None if locked.title else _title_from(text),
                "conversation_id": locked.pk,
            },
        )
    owner = Viewer(user=viewer.user, guest_id=viewer.guest_id, workspace_id=viewer.workspace_id)
    return AnswerStart(question=question, answer=answer, replayed=False, history=history, owner=owner)


# How long a process keeps trying to close an answer the database was away for (one whose beginning's
# fate an outage hid, here; one under way, in chat.live); after that, the beat's reaper closes it
# once CHAT_STALE_ANSWER_SECONDS have passed.
CLOSE_WHEN_BACK_SECONDS = 300.0


def _fail_when_back(answer_id: int) -> None:
    """Fail `answer_id` if it was stored, as soon as the database answers again, in a thread of its own
    (the request that began it has an error to answer now)."""

    def fail() -> None:
        try:
            call_until_back(
                lambda: answer_fail(answer_id=answer_id, error=INTERRUPTED),
                what=f"failing answer {answer_id}, begun as the database went away",
                transient=lambda error: unavailability(error) is not None,
                within_seconds=CLOSE_WHEN_BACK_SECONDS,
            )
        except Exception:
            logger.warning("answer %s is left for the reaper", answer_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection, back to the pool

    threading.Thread(target=fail, name=f"fail-answer-{answer_id}", daemon=True).start()


def _history_before(conversation: Conversation, question: Message) -> tuple[Message, ...]:
    """The conversation's finished turns before `question`, for a backend that writes from them (a
    language model; quotes need none). A first question (no title yet) has none."""
    if not conversation.title or not answer_backend().uses_history:
        return ()
    return tuple(selectors.recent_turns(conversation.pk, limit=settings.CHAT_HISTORY_TURNS, before_id=question.pk))


def _new_message(**values: object) -> dict[str, object]:
    """A new message's every field but its id: `values` over the fields' defaults, as the ORM's
    `create` would write them."""
    return {field.attname: field.get_default() for field in new_row_fields(Message)} | {
        "updated_at": values["created_at"],
        **values,
    }


def _insert_params(values: dict[str, object], connection: BaseDatabaseWrapper) -> dict[str, object]:
    """`values` as the database takes them (JSON, vectors, times), for `{Message.new_values}`."""
    return {
        field.attname: field.get_db_prep_save(values[field.attname], connection) for field in new_row_fields(Message)
    }


def _saved_message(alias: str, conversation: Conversation, **values: object) -> Message:
    """A message as the row `_begin` inserted."""
    message = Message.from_db(alias, attnames(Message), [values[name] for name in attnames(Message)])
    message.conversation = conversation
    return message


def _constraint_of(error: IntegrityError) -> str | None:
    """The name of the constraint a database error broke (psycopg's diagnostics)."""
    diagnostics = getattr(error.__cause__, "diag", None)
    return getattr(diagnostics, "constraint_name", None)


def _pay_for_answer(viewer: Viewer, answer: Message, cost: int) -> Hold | None:
    """Count the answer on the viewer's quota and hold its price (a guest's costs nothing)."""
    if viewer.user is None:
        quota_consume(viewer=viewer, key=_quota_key(answer.pk))
        return None
    return chat_answer_pay(
        user=viewer.user,
        quota_key=_quota_key(answer.pk),
        hold_key=f"chat-answer:{answer.pk}",
        amount=cost,
        ref=answer,
        memo="Chat answer",
        # The conversation's workspace pays, whichever the socket's page acts in now.
        workspace_id=answer.conversation.workspace_id,
        about_video_id=answer.conversation.video_id,  # none for a question about the whole library
    )


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


def _lock_answer(answer_id: int) -> Message | None:
    # With its hold: closing the answer settles or releases it.
    locked = Message.objects.select_for_update(of=("self",)).select_related("hold")
    return locked.filter(pk=answer_id).order_by("pk").first()


# Completing an answer in one statement of fixed SQL (then settling its hold, billing's two): the
# answer's row written if it is still streaming (its text, citations and the mean of its quoted
# chunks' vectors, which pgvector averages and normalises), the question's vector stored, and the
# answer's hold read. Every answer runs this after its last word, where the ORM spent most of its
# time building the three statements this replaces (the answer locked with its hold, saved, the
# question's vector; bench/chat.py's burst, figures in bench/RESULTS.md). A concurrent close (a
# cancel) is waited for and then seen: the update's condition is checked again on the row it waited
# for. tests/chat/test_answer_complete.py.
# The answer's fields read back: all but its text and citations (the caller has them) and vector.
_COMPLETED_FIELDS = [name for name in attnames(Message) if name not in {"content", "citations", "embedding"}]
_COMPLETE_ANSWER_SQL = sql(
    """
WITH answer AS (
    UPDATE {Message}
    SET {Message.status} = %(complete)s, {Message.error_message} = '', {Message.content} = %(content)s,
        {Message.citations} = %(citations)s, {Message.updated_at} = %(now)s,
        {Message.cost} = CASE WHEN %(charged)s THEN {Message.cost} ELSE 0 END,
        {Message.embedding} = (SELECT l2_normalize(avg({TranscriptChunk.embedding})) FROM {TranscriptChunk}
                               WHERE {TranscriptChunk.id} = ANY(%(chunk_ids)s::bigint[]))
    WHERE {Message.id} = %(answer_id)s AND {Message.status} = %(streaming)s
    RETURNING {completed}
), question AS (
    UPDATE {Message} SET {Message.embedding} = %(question_vector)s::vector
    WHERE {Message.id} = (SELECT {Message.reply_to} FROM answer) AND %(question_vector)s::vector IS NOT NULL
)
SELECT answer.*, {hold.columns}
FROM answer LEFT JOIN {Hold} hold ON hold.{Hold.id} = answer.{Message.hold}
""",
    Message=Message,
    TranscriptChunk=TranscriptChunk,
    Hold=Hold,
    hold=TableNames(Hold, alias="hold"),
    completed=", ".join(getattr(TableNames(Message), name) for name in _COMPLETED_FIELDS),
)


def answer_complete(
    *,
    answer_id: int,
    content: str,
    citations: list[dict[str, object]],
    quoted_chunk_ids: Sequence[int] = (),
    question_vector: np.ndarray | None = None,
    charged: bool = True,
) -> Message | None:
    """Finish the answer and settle its hold; the answer as it is if it was already closed (cancelled
    meanwhile), None if it is gone. `question_vector`, the question's embedding, is stored with it
    (one transaction for both). An answer that is not `charged` (the video had nothing that answers
    the question) is completed at no cost: its hold is released, as a failed answer's is.

    The answer's embedding (for searching past messages): an answer that only quotes transcript
    chunks gets theirs, averaged (they were embedded from the very text it quotes; running the model
    over it again costs a few hundred milliseconds of CPU for nothing). Any other answer is embedded
    by a task, off the web process."""
    connection = transaction.get_connection()
    citations_field = Message._meta.get_field("citations")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                _COMPLETE_ANSWER_SQL,
                {
                    "complete": Message.Status.COMPLETE,
                    "streaming": Message.Status.STREAMING,
                    "content": content,
                    "citations": citations_field.get_db_prep_save(citations, connection),
                    "now": timezone.now(),
                    "charged": charged,
                    "chunk_ids": list(dict.fromkeys(quoted_chunk_ids)),
                    "answer_id": answer_id,
                    "question_vector": binary_vector(question_vector),
                },
            )
            row = cursor.fetchone()
        if row is None:  # closed meanwhile (it was locked and read again), or gone
            return Message.objects.filter(pk=answer_id).first()
        answer_row, hold_row = row[: len(_COMPLETED_FIELDS)], row[len(_COMPLETED_FIELDS) :]
        answer = Message.from_db(connection.alias, _COMPLETED_FIELDS, answer_row)
        answer.content, answer.citations = content, citations  # as written: not read back
        if answer.hold_id is not None:
            hold = Hold.from_db(connection.alias, attnames(Hold), hold_row)
            answer.hold = hold_settle(hold=hold, actual_amount=hold.amount) if charged else hold_release(hold=hold)
        if content and not quoted_chunk_ids:
            # robust: the answer is saved and shown; a queue that is down costs only its search vector
            transaction.on_commit(lambda: EMBED_ANSWER.task().delay(answer_id), robust=True)
        return answer


def answer_store_embedding(*, answer_id: int) -> None:
    """The finished answer's MiniLM vector; idempotent (an answer embedded already is left alone)."""
    answer = Message.objects.filter(pk=answer_id, embedding__isnull=True).exclude(content="").first()
    if answer is None:
        return
    [vector] = embed_texts([answer.content])
    Message.objects.filter(pk=answer_id, embedding__isnull=True).update(embedding=vector)


def answer_fail(*, answer_id: int, error: str, content: str = "") -> Message | None:
    with transaction.atomic():
        answer = _lock_answer(answer_id)
        if answer is None or answer.status != Message.Status.STREAMING:
            return answer
        answer.content = content
        return _close_answer(answer, status=Message.Status.ERROR, error=error)


def answer_cancel(*, answer_id: int, content: str | None = None) -> Message | None:
    """Stop with what was written so far; cancelled answers are refunded."""
    with transaction.atomic():
        answer = _lock_answer(answer_id)
        if answer is None or answer.status != Message.Status.STREAMING:
            return answer
        if content is not None:
            answer.content = content
        return _close_answer(answer, status=Message.Status.CANCELLED)


# What closing an answer may change; its other fields (who, where, what it replies to) never do.
_CLOSING_FIELDS = ["status", "error_message", "cost", "content", "citations", "embedding", "updated_at"]


def _close_answer(answer: Message, *, status: str, error: str = "") -> Message:
    answer.status = status
    answer.error_message = error[:500]
    # The hold before the quota: every path takes a user's wallet lock before their quota counter's
    # (chat_answer_pay reads the plan from the locked wallet, then counts the question), so an answer
    # failing in one conversation and a question asked in another cannot deadlock each other.
    if answer.hold_id is not None:
        assert answer.hold is not None
        if status == Message.Status.COMPLETE:
            hold_settle(hold=answer.hold, actual_amount=answer.hold.amount)
        else:
            hold_release(hold=answer.hold)
            answer.cost = 0
    elif status != Message.Status.COMPLETE:
        answer.cost = 0
    if status == Message.Status.ERROR:
        quota_release(key=_quota_key(answer.pk))
    answer.save(update_fields=_CLOSING_FIELDS)
    return answer
