from __future__ import annotations

from celery import shared_task

from reviews.digest import comment_digests_send


@shared_task
def send_comment_digests() -> int:
    """Every minute (beat): owners due a digest of reviewers' new comments get it. Idempotent."""
    return comment_digests_send()
