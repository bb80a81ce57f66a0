from __future__ import annotations

from celery import shared_task

from chat.services import conversations_purge


@shared_task
def purge_trashed_conversations() -> int:
    """Daily: conversations in the trash for more than CHAT_TRASH_DAYS are deleted for good."""
    return conversations_purge()
