"""Re-transcribing a ready video (an admin action): the transcript made again with the sources
configured now — e.g. Whisper for a video pocketsphinx transcribed — and what is derived from it."""

from __future__ import annotations

import logging

from django.db import transaction

from sage.queueing import TaskRef
from videos.models import Transcript, Video
from videos.pipeline.files import local_copy
from videos.pipeline.progress import push_video
from videos.pipeline.steps import StepFailed, ensure_chunks, ensure_summary, find_transcript, store_transcript

logger = logging.getLogger(__name__)

RETRANSCRIBE_VIDEO = TaskRef[[int]]("videos.tasks.retranscribe_video")

# What the transcript's text feeds: made again after it (the pipeline's ensure_* steps skip a kind
# that `Video.backends` names, so these names are taken out first).
DERIVED_FROM_TRANSCRIPT = ("chunks", "summary")


def video_retranscribe(*, video: Video) -> bool:
    """Queue a new transcript for a ready video; False (nothing queued) for any other."""
    if video.status != Video.Status.READY:
        return False
    RETRANSCRIBE_VIDEO.delay_on_commit(video.pk)
    return True


def retranscribe(video_id: int) -> None:
    """The transcript of a ready video made again, then its search chunks and summary. The video
    stays ready throughout (the old chunks answer until the new ones replace them); a failure is
    logged and leaves the old transcript. Running it twice gives the same result as once."""
    video = Video.objects.select_related("owner").filter(pk=video_id, status=Video.Status.READY).first()
    if video is None:
        return
    try:
        if video.source == Video.Source.YOUTUBE:
            result = find_transcript(video, None)
        else:
            with local_copy(video) as path:
                result = find_transcript(video, path)
    except StepFailed:
        logger.exception("re-transcribing video %s failed", video_id)
        return
    with transaction.atomic():
        # The row lock orders two runs for one video; each replaces the transcript whole. The kinds
        # kept are the locked row's: the screen may have been read meanwhile (videos.screen_text).
        locked = Video.objects.select_for_update().filter(pk=video.pk).first()
        if locked is None:
            return  # deleted meanwhile
        Transcript.objects.filter(video=video).delete()
        transcript = store_transcript(video, result)
        kept = {kind: name for kind, name in locked.backends.items() if kind not in DERIVED_FROM_TRANSCRIPT}
        video.backends = {**kept, "transcript": transcript.source}
        Video.objects.filter(pk=video.pk).update(backends=video.backends)
    ensure_chunks(video)
    ensure_summary(video)
    # Those steps report their stage as they go; a ready video shows none.
    Video.objects.filter(pk=video.pk).update(stage="", percent=100)
    video.stage, video.percent = "", 100
    push_video(video)
