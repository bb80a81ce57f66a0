"""Running an answer and sharing it live.

`stream_answer` writes one answer: it retrieves passages and ranks their sentences (their vectors
stored with their windows; those of older windows embedded with the question's model, batched with
other answers' and cached), streams the backend's pieces, and for each
piece appends it to a short-lived Redis list (its sequence number is its position there) and sends it
to the conversation's channel-layer group. Every socket of the conversation, on any web process, is
in that group; one that reconnects reads the list for what it missed (`answer_chunks_after`). The
partial text is also saved to the database now and then, so a page reload shows it.

Cancelling is a Redis flag (`answer_request_cancel`) the writer checks between pieces, so any
connection (or the HTTP API) can stop an answer another process is writing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from accounts.guests import Viewer
from chat import first_chunks, selectors, services
from chat.admission import Admission
from chat.answering import (
    SCREEN_BEING_READ,
    Turn,
    answer_backend,
    answers_the_question,
    citations_for,
    sees_pictures,
)
from chat.models import Message
from chat.retrieval import Evidence, evidence_from, retrieve
from chat.visual import Still, is_visual_question, stills_for, words_asked
from notes.markdown import render_note
from sage.availability import unavailability
from sage.cache_pool import loop_client
from sage.gemini import GeminiError
from sage.ratelimit import REDIS_UNAVAILABLE
from sage.realtime import PUSH_WAIT_SECONDS
from sage.retrying import RetryNotice, acall_until_back
from videos.screen_text.selectors import screen_being_read_for
from videos.search import RANKED_WINDOWS
from videos.text_embedding.batching import embed_sentences, embed_text

logger = logging.getLogger(__name__)

STREAM_LOG_SECONDS = 3600  # long enough for any reconnect; the answer is in the database anyway
PARTIAL_SAVE_SECONDS = 0.5  # a reload shows the text as it was at most this long ago
CANCEL_POLL_SECONDS = 0.1
LLM_FAILURE = "The answer could not be written: the language model failed ({detail}). You were not charged."

T = TypeVar("T")


def conversation_group(conversation_id: int) -> str:
    return f"chat.{conversation_id}"


def _key(kind: str, answer_id: int) -> str:
    # Under the cache's prefix, so two sites (or test runs) sharing one Redis never see each other's.
    return f"{settings.CACHES['default']['KEY_PREFIX']}:chat:{kind}:{answer_id}"


def _log_key(answer_id: int) -> str:
    return _key("stream", answer_id)


def _cancel_key(answer_id: int) -> str:
    return _key("cancel", answer_id)


def db(function: Callable[..., T]) -> Callable[..., Any]:
    """Run ORM code from async code on a pool thread (not the one shared thread), so fifty answers
    do not queue behind each other; each call closes stale connections, none is held across awaits."""
    wrapped: Callable[..., Any] = database_sync_to_async(function, thread_sensitive=False)
    return wrapped


def message_frame_data(message: Message) -> dict[str, Any]:
    """A message as sockets and the API show it. A streaming answer's text comes as chunks, so its
    `content` here is empty (the chunks would otherwise repeat it). `html` is the content rendered
    with the notes' safe Markdown (one dialect, on the server): pages show the chunks as plain text
    while they stream, and this once the answer is done."""
    streaming = message.status == Message.Status.STREAMING
    return {
        "id": message.pk,
        "role": message.role,
        "content": "" if streaming else message.content,
        "html": "" if streaming else str(render_note(message.content)),
        "status": message.status,
        "citations": message.citations,
        "cost": message.cost,
        "client_id": message.client_id,
        "reply_to": message.reply_to_id,
        "error": message.error_message,
        "created_at": message.created_at.isoformat(),
    }


async def publish(conversation_id: int, *frames: dict[str, Any]) -> None:
    """Send frames, in order, to every socket of the conversation (several frames in one group send:
    each send costs a few Redis round trips)."""
    layer = get_channel_layer()
    if layer is None:
        return
    event: dict[str, Any] = {"type": "chat.frames", "frames": list(frames)}
    if len(frames) == 1:
        event = {"type": "chat.frame", "frame": frames[0]}
    try:
        # Bounded: the layer's connections have no read timeout (idle subscribers must not be dropped),
        # so a PUBLISH on one whose Redis went away unseen would wait for ever, holding the layer's
        # lock, and the answer, and every other answer of the process, with it.
        await asyncio.wait_for(layer.group_send(conversation_group(conversation_id), event), PUSH_WAIT_SECONDS)
    except Exception:
        # A live frame is a convenience: the answer is saved and a reconnect catches up.
        logger.warning("could not publish a chat frame to conversation %s", conversation_id, exc_info=True)


async def answer_chunks_after(answer_id: int, after_seq: int) -> list[dict[str, Any]]:
    """Chunk frames with seq > after_seq that the answer has streamed so far."""
    pieces = await loop_client().lrange(_log_key(answer_id), after_seq, -1)
    return [
        {
            "type": "chunk",
            "message_id": answer_id,
            "seq": after_seq + offset + 1,
            "text": piece.decode() if isinstance(piece, bytes) else piece,
        }
        for offset, piece in enumerate(pieces)
    ]


async def answer_request_cancel(answer_id: int) -> None:
    await loop_client().set(_cancel_key(answer_id), b"1", ex=STREAM_LOG_SECONDS)


# --- writing an answer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerJob:
    """What writing an answer needs, all known once `answer_begin` returns: no query to start."""

    answer_id: int
    question_id: int
    conversation_id: int
    question: str
    # The conversation's workspace, whose videos it searches (None for a guest's).
    workspace_id: int | None
    video_id: int | None
    history: tuple[Turn, ...] = ()
    # The saved question and the empty answer, as frames: the writer's first words to the sockets.
    opening: tuple[dict[str, Any], ...] = ()
    # The conversation's owner, whose questions left today the `done` frame shows.
    owner: Viewer | None = None


def answer_job(start: services.AnswerStart) -> AnswerJob:
    conversation = start.answer.conversation  # the row answer_begin locked, cached on the message
    return AnswerJob(
        answer_id=start.answer.pk,
        question_id=start.question.pk,
        conversation_id=conversation.pk,
        question=start.question.content,
        workspace_id=conversation.workspace_id,
        video_id=conversation.video_id,
        history=tuple(Turn(role=turn.role, content=turn.content) for turn in start.history),
        opening=(
            {"type": "message", "message": message_frame_data(start.question)},
            {"type": "message", "message": message_frame_data(start.answer)},
        ),
        owner=start.owner,
    )


async def _cancel_requested(answer_id: int) -> bool:
    """Whether someone asked to stop the answer. Redis away (restarting: the client has retried on a
    new connection already) is no request: the answer goes on, and a cancel sent meanwhile is seen at
    the next look once Redis is back."""
    try:
        return bool(await loop_client().exists(_cancel_key(answer_id)))
    except REDIS_UNAVAILABLE as error:
        logger.warning("answer %s: cannot look for a cancel: %r", answer_id, error)
        return False


async def _log_piece(answer_id: int, seq: int, piece: str) -> bool:
    """Append a piece to the answer's stream log, for sockets that reconnect mid-answer; False when
    Redis could not take it. Then the log stops there (a piece's position in it is its number): the
    sockets still get every piece live, one that reconnects gets the log's part and the `done` frame
    the whole text. An answer accepted must not fail because Redis restarted under it."""
    log = loop_client().pipeline(transaction=False)
    log.rpush(_log_key(answer_id), piece)
    if seq == 1:
        log.expire(_log_key(answer_id), STREAM_LOG_SECONDS)
    try:
        await log.execute()
    except REDIS_UNAVAILABLE as error:
        logger.warning("answer %s: its stream log stops at piece %s: %r", answer_id, seq, error)
        return False
    return True


async def stream_answer(
    job: AnswerJob,
    *,
    question_vector: Awaitable[np.ndarray] | None = None,
    preparing: first_chunks.Preparing | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Write the answer, yielding the frames it publishes: `chunk`s, then `done` or `error` (the
    `retrying` frames said while the model is busy go to the sockets only).

    `question_vector` is the question's embedding already under way (the socket starts it while the
    answer is being paid for). Everything not needed for the first chunk (storing the question's
    vector, embedding the answer) waits until the answer is written, and what comes after the first
    chunk waits while other answers of this process are being prepared (`chat.first_chunks`).
    `preparing` counts this answer as being prepared from the question's arrival (the socket's);
    without it, from here."""
    answer_id = job.answer_id
    logging_pieces = True
    content = ""
    seq = 0
    finished = False
    vector: np.ndarray | None = None
    vector_saved = False  # the question's vector, stored with a completed answer
    preparing = preparing or first_chunks.Preparing()
    try:
        # Published by the writer itself, so nothing stands between paying for the answer and the
        # task that sees it through (an answer is always finished, failed or cancelled from here).
        if job.opening:
            await publish(job.conversation_id, *job.opening)
        vector = await (question_vector if question_vector is not None else embed_text(job.question))
        evidence = await gather_evidence(job, vector)
        backend = answer_backend()
        # A question about the picture: the stills of its best moments (any other goes on at once).
        stills: tuple[Still, ...] = ()
        if is_visual_question(job.question):
            stills = await db(stills_for)(
                question=job.question,
                evidence=evidence,
                workspace_id=job.workspace_id,
                video_id=job.video_id,
                pictures=sees_pictures(backend),
            )
        preparing.done()  # what follows is the backend's: quotes at once, or a language model's wait
        last_saved_at = time.monotonic()

        async def cancelled() -> bool:
            return await _cancel_requested(answer_id)

        async def retrying(notice: RetryNotice) -> None:
            # Only before the first piece (a stream is not opened again after it): the page shows
            # this in the answer's place until the first piece replaces it.
            frame = {"type": "retrying", "message_id": answer_id, "message": notice.message}
            await publish(job.conversation_id, frame)

        try:
            pieces = backend.stream(
                question=job.question, evidence=evidence, history=job.history, stills=stills, on_retry=retrying
            )
            # aclosing: leaving the loop early (a cancel) must close the LLM stream here and now, not
            # whenever the garbage collector finalises it.
            told = _telling_when_the_screen_is_unread(pieces, job.video_id)
            async with contextlib.aclosing(told):
                async for piece in _until_cancelled(told, cancelled):
                    if seq:  # this answer has started: answers still being prepared go first
                        await first_chunks.after_answers_being_prepared()
                    seq += 1
                    content += piece
                    if logging_pieces:
                        logging_pieces = await _log_piece(answer_id, seq, piece)
                    frame = {"type": "chunk", "message_id": answer_id, "seq": seq, "text": piece}
                    await publish(job.conversation_id, frame)
                    yield frame
                    # By time only: an answer written in a blink (extractive) is saved once, finished.
                    if time.monotonic() - last_saved_at >= PARTIAL_SAVE_SECONDS:
                        await db(services.answer_save_partial)(answer_id=answer_id, content=content)
                        last_saved_at = time.monotonic()
        except GeminiError as error:
            message = LLM_FAILURE.format(detail=error.message)
            closed = await _close(services.answer_fail, job, error=message, content=content)
            finished = True
            frame = {"type": "error", "code": "llm_failed", "message": message, "message_id": answer_id}
            await publish(job.conversation_id, frame)
            yield frame
            if closed is not None:
                yield await publish_done(job.conversation_id, closed)
            return
        allowance: selectors.ChatAllowance | None = None
        await first_chunks.after_answers_being_prepared()
        if await _cancel_requested(answer_id):
            closed = await db(services.answer_cancel)(answer_id=answer_id, content=content)
        else:
            closed, allowance = await db(_complete)(
                job,
                content=content,
                citations=citations_for(content, evidence, stills),
                quoted_chunk_ids=list(
                    dict.fromkeys(
                        quote.moment.chunk_id
                        for quote in backend.quoted(evidence, question=job.question)
                        if quote.moment.chunk_id
                    )
                ),
                question_vector=vector,
                charged=answers_the_question(content),  # "nothing in the video answers this" is free
            )
            vector_saved = closed is not None and closed.status == Message.Status.COMPLETE
        finished = True
        if closed is not None:
            yield await publish_done(job.conversation_id, closed, allowance=allowance)
    except Exception as error:
        if finished:
            raise
        # A bug or a lost database/Redis: the sockets still get an ending, and the answer is refunded.
        if unavailability(error) is None:
            logger.exception("answer %s failed", answer_id)
        else:  # an outage, already said by the service's own log lines: no traceback
            logger.warning("answer %s failed: %r", answer_id, error)
        finished = True
        message = "The answer could not be written because of an error on our side. You were not charged."
        closed = await _close(services.answer_fail, job, error=message, content=content)
        frame = {"type": "error", "code": "server_error", "message": message, "message_id": answer_id}
        await publish(job.conversation_id, frame)
        yield frame
        if closed is not None:
            yield await publish_done(job.conversation_id, closed)
    finally:
        preparing.done()
        if not finished:
            # Interrupted (the HTTP client went away, the task was cancelled, an unexpected error):
            # keep what was written and refund it. Shielded so the refund survives the cancellation.
            await asyncio.shield(_close(services.answer_cancel, job, content=content))
        if vector is not None and not vector_saved:
            # For "search my messages"; after the answer, since no word of it depends on this.
            await asyncio.shield(db(services.question_store_embedding)(question_id=job.question_id, vector=vector))


async def _close(closing: Callable[..., Message | None], job: AnswerJob, **fields: Any) -> Message | None:
    """Fail or cancel the answer (`closing`: its hold released, so it is refunded). When the database
    is away, it is closed in the background as soon as it is back, and its `done` published then:
    the refund does not wait for the reaper, and the stream ends now. None meanwhile."""
    try:
        closed: Message | None = await db(closing)(answer_id=job.answer_id, **fields)
        return closed
    except Exception as error:
        if unavailability(error) is None:
            raise
        logger.warning("answer %s: closing it waits for the database (%r)", job.answer_id, error)
    _keep_running(asyncio.get_running_loop().create_task(_close_when_back(closing, job, fields)), job.answer_id)
    return None


async def _close_when_back(closing: Callable[..., Message | None], job: AnswerJob, fields: dict[str, Any]) -> None:
    async def close() -> Message | None:
        closed: Message | None = await db(closing)(answer_id=job.answer_id, **fields)
        return closed

    closed = await acall_until_back(
        close,
        what=f"closing answer {job.answer_id}",
        transient=lambda error: unavailability(error) is not None,
        within_seconds=services.CLOSE_WHEN_BACK_SECONDS,
    )
    if closed is not None:
        await publish_done(job.conversation_id, closed)


def _complete(job: AnswerJob, **completion: Any) -> tuple[Message | None, selectors.ChatAllowance | None]:
    """`answer_complete`, and the owner's allowance read after it commits: one trip to a pool thread."""
    closed = services.answer_complete(answer_id=job.answer_id, **completion)
    if closed is None or job.owner is None:
        return closed, None
    try:
        return closed, selectors.chat_allowance(job.owner)
    except Exception:
        logger.warning("could not read the chat allowance of conversation %s", job.conversation_id, exc_info=True)
        return closed, None


async def gather_evidence(job: AnswerJob, vector: np.ndarray) -> Evidence:
    """The passages closest to the question (its key words as `words_asked` reads them), and their
    sentences ranked for it."""
    passages, found = await db(retrieve)(
        workspace_id=job.workspace_id,
        video_id=job.video_id,
        vector=vector,
        limit=settings.CHAT_TOP_K,
        question=words_asked(job.question),
    )
    # Stored with their windows: only those of windows written before that are embedded now.
    embedded = await embed_sentences(found.to_embed(windows=RANKED_WINDOWS))
    sentence_vectors = found.vectors(embedded, windows=RANKED_WINDOWS)
    return evidence_from(vector, passages, found.sentences, sentence_vectors)


async def _telling_when_the_screen_is_unread(
    pieces: AsyncGenerator[str, None], video_id: int | None
) -> AsyncGenerator[str, None]:
    """The answer's pieces, then, when they found nothing and the video's slides are not searchable
    yet, one more saying so and when to ask again. Closing this closes the LLM's stream."""
    said = ""
    async with contextlib.aclosing(pieces):
        async for piece in pieces:
            said += piece
            yield piece
    if video_id is not None and not answers_the_question(said) and await db(screen_being_read_for)(video_id):
        yield ("\n\n" if said else "") + SCREEN_BEING_READ


async def _until_cancelled(pieces: AsyncIterator[str], cancelled: Callable[[], Awaitable[bool]]) -> AsyncIterator[str]:
    """The backend's pieces until the answer is cancelled. `cancelled()` (a Redis round trip) is
    asked at most every CANCEL_POLL_SECONDS, between pieces and while one is awaited, so a model that
    stalls cannot hold a cancel off, and a fast one is not slowed by a question per piece."""
    checked_at = time.monotonic()
    iterator = aiter(pieces)
    while True:
        next_piece: asyncio.Future[str] = asyncio.ensure_future(anext(iterator))
        try:
            while True:
                if time.monotonic() - checked_at >= CANCEL_POLL_SECONDS:
                    if await cancelled():
                        return
                    checked_at = time.monotonic()
                done, _ = await asyncio.wait({next_piece}, timeout=CANCEL_POLL_SECONDS)
                if done:
                    break
            try:
                piece = next_piece.result()
            except StopAsyncIteration:
                return
        finally:
            if not next_piece.done():
                # Cancelled while a piece was awaited: stop the backend there (and wait until it has
                # stopped, so the stream can be closed after).
                next_piece.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await next_piece
        yield piece


async def publish_done(
    conversation_id: int, answer: Message, *, allowance: selectors.ChatAllowance | None = None
) -> dict[str, Any]:
    """Publish the answer's `done`, with its owner's `allowance` (read here when not given)."""
    frame: dict[str, Any] = {"type": "done", "message": message_frame_data(answer)}
    try:
        # The conversation has one owner, so every socket of it shows the same questions left.
        if allowance is None:
            allowance = await db(selectors.chat_allowance_for_conversation)(conversation_id)
        frame["allowance"] = allowance.frame_data()
    except Exception:
        logger.warning("could not read the chat allowance of conversation %s", conversation_id, exc_info=True)
    await publish(conversation_id, frame)
    return frame


async def drain(frames: AsyncIterator[dict[str, Any]]) -> None:
    async for _frame in frames:
        pass


_running: set[asyncio.Task[None]] = set()


def start_answer(
    job: AnswerJob,
    *,
    let_in: Admission,
    question_vector: Awaitable[np.ndarray] | None = None,
    preparing: first_chunks.Preparing | None = None,
) -> asyncio.Task[None]:
    """Write the answer in the background of this process, once it has a turn (`let_in`, given back
    when it ends): it goes on if the asking socket closes."""

    # Waiting for a turn is not preparing: answers under way must not hold back for it (they wait
    # while any answer is being prepared), so the count starts again once the turn comes.
    counted = preparing
    if counted is not None and let_in.must_wait():
        counted.done()
        counted = None

    async def write() -> None:
        try:
            # The question and its empty answer are shown at once, even while it waits for a turn.
            if job.opening:
                await publish(job.conversation_id, *job.opening)
            async with let_in.turn():
                writing = dataclasses.replace(job, opening=())
                await drain(stream_answer(writing, question_vector=question_vector, preparing=counted))
        finally:
            await let_in.arelease()

    return _keep_running(asyncio.get_running_loop().create_task(write()), job.answer_id)


def _keep_running(task: asyncio.Task[None], answer_id: int) -> asyncio.Task[None]:
    _running.add(task)  # the loop holds tasks weakly: keep a reference until it is done
    task.add_done_callback(_running.discard)
    task.add_done_callback(lambda done: _log_failure(done, answer_id))
    return task


def _log_failure(task: asyncio.Task[None], answer_id: int) -> None:
    # stream_answer ends every answer itself; what escapes it is a bug worth a log line with the id,
    # not a "Task exception was never retrieved" at garbage collection.
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("writing answer %s failed", answer_id, exc_info=error)
