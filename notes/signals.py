"""What goes with a deleted note, however it is deleted: by the person, or with its video or its
account (cascades skip services, but send post_delete for every note); and the AI notes that wait
for a video's transcript, once videos says it is settled."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from notes.ai import release_hold_of_deleted_note
from notes.frames import delete_frame_file
from notes.models import Note
from sage.queueing import TaskRef
from videos.models import Video
from videos.signals import transcript_settled


@receiver(post_delete, sender=Note, dispatch_uid="notes.note_deleted")
def note_deleted(sender: type[Note], instance: Note, **kwargs: Any) -> None:
    note_id, frame_key, pending = instance.pk, instance.frame_key, instance.ai_pending
    if pending:
        # After the commit: an account deleted with its notes takes its wallet and holds too, and
        # then there is nothing left to refund (the lookup finds no hold).
        transaction.on_commit(lambda: release_hold_of_deleted_note(note_id))
    if frame_key:
        transaction.on_commit(lambda: delete_frame_file(frame_key))


FILL_WAITING_AI_NOTES = TaskRef[[int]]("notes.tasks.fill_waiting_ai_notes")


@receiver(transcript_settled, sender=Video, dispatch_uid="notes.transcript_settled")
def transcript_settled_fill_waiting_notes(sender: type[Video], video_id: int, **kwargs: Any) -> None:
    FILL_WAITING_AI_NOTES.delay_on_commit(video_id)  # the task must see the transcript, or the video's end
