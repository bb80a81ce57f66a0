from __future__ import annotations

from celery import shared_task

from reviews.digest import comment_digests_send
from reviews.stills import STILL_TRANSIENT_ERRORS, comment_still_ensure

# The default queue: a still is one decoded frame, and must not wait behind whole videos on the
# media queue (as notes' frame stills). Acknowledged late, as every task (CELERY_TASK_ACKS_LATE).


@shared_task
def send_comment_digests() -> int:
    """Every minute (beat): owners due a digest of reviewers' new comments get it. Idempotent."""
    return comment_digests_send()


@shared_task(
    autoretry_for=STILL_TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=6,
)
def make_comment_still(comment_id: int) -> bool:
    """A drawn comment's still, made ahead of the first request for it. Idempotent: a still already
    stored, or a comment gone or without a drawing, is skipped."""
    return comment_still_ensure(comment_id=comment_id)
