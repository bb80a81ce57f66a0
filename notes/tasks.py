from __future__ import annotations

import datetime as dt

from celery import shared_task

from notes.ai import ai_note_generate, ai_notes_fill_waiting, ai_notes_reap
from notes.frames import note_frame_ensure

# The default queue: these are short (one Gemini call, or one decoded frame) and must not wait
# behind whole videos on the media queue.


@shared_task
def generate_ai_note(note_id: int) -> None:
    """Write one AI note from the transcript around it (Gemini, or extractive). Idempotent."""
    ai_note_generate(note_id=note_id)


@shared_task
def fill_waiting_ai_notes(video_id: int) -> int:
    """When a video's transcript is made or its processing ends (videos' `transcript_settled`
    signal): write (or, with no transcript, fail and refund) its notes that were waiting."""
    return ai_notes_fill_waiting(video_id=video_id)


@shared_task
def make_note_frame(note_id: int) -> bool:
    """The note's frame still at its start (uploaded videos). Idempotent."""
    return note_frame_ensure(note_id=note_id)


@shared_task
def reap_ai_notes() -> int:
    """Every few minutes: AI notes nobody came back for (a lost task, a missed call) are finished."""
    return ai_notes_reap(stalled_for=dt.timedelta(minutes=10))
