from __future__ import annotations

from celery import shared_task

from chat.services import answer_store_embedding, conversations_purge


@shared_task
def purge_trashed_conversations() -> int:
    """Daily: conversations in the trash for more than CHAT_TRASH_DAYS are deleted for good."""
    return conversations_purge()


@shared_task
def embed_answer(answer_id: int) -> None:
    """Embed a finished answer so "search my messages" finds it; idempotent."""
    answer_store_embedding(answer_id=answer_id)
