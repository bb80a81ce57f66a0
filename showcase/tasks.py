"""The showcase's tasks: build the demo pair's comparison, and the shared sample, once both videos
are processed.

Their registered names stay `videos.tasks.*`, where they were first defined: messages already queued
under those names still find them, and `CELERY_TASK_ROUTES` sends them to the `media` queue with the
rest of the video work (they compare whole videos).
"""

from __future__ import annotations

from celery import shared_task

from showcase.demo import DEMO_WAIT_RETRIES, DEMO_WAIT_SECONDS, DemoPairNotReady, demo_comparison_build
from showcase.sample import sample_build


@shared_task(bind=True, name="videos.tasks.build_demo_comparison")
def build_demo_comparison(self, user_id: int, a_id: int, b_id: int) -> None:  # type: ignore[no-untyped-def]
    """`make run`'s demo comparison, once both demo videos are ready (asks again every few seconds)."""
    try:
        demo_comparison_build(user_id=user_id, video_a_id=a_id, video_b_id=b_id)
    except DemoPairNotReady:
        raise self.retry(countdown=DEMO_WAIT_SECONDS, max_retries=DEMO_WAIT_RETRIES) from None


@shared_task(bind=True, name="videos.tasks.build_sample")
def build_sample(self, a_id: int, b_id: int) -> None:  # type: ignore[no-untyped-def]
    """The shared sample's comparison, notes and conversation, once both its videos are ready."""
    try:
        sample_build(video_a_id=a_id, video_b_id=b_id)
    except DemoPairNotReady:
        raise self.retry(countdown=DEMO_WAIT_SECONDS, max_retries=DEMO_WAIT_RETRIES) from None
