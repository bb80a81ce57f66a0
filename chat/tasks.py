from __future__ import annotations

from asgiref.sync import async_to_sync
from celery import shared_task

from chat import live
from chat.services import answer_store_embedding, answers_reap_stale, conversations_purge


@shared_task
def purge_trashed_conversations() -> int:
    """Daily: conversations in the trash for more than CHAT_TRASH_DAYS are deleted for good."""
    return conversations_purge()


@shared_task
def embed_answer(answer_id: int) -> None:
    """Embed a finished answer so "search my messages" finds it; idempotent."""
    answer_store_embedding(answer_id=answer_id)


@shared_task
def reap_stale_answers() -> int:
    """Every few minutes: answers whose writer died are closed as failed and refunded, and sockets
    still open on them are told so (a `done` with the error)."""
    closed = answers_reap_stale()
    for answer in closed:
        async_to_sync(live.publish_done)(answer.conversation_id, answer)
    return len(closed)
