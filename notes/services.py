"""Writes for notes: create (an AI note when the text is empty and the person wants AI notes),
update, delete, and the video a notes URL names (adding a YouTube video on first use).

AI notes live in notes.ai and frame stills in notes.frames; `ai_notes_fill_waiting` is re-exported
here for the pipeline, which calls it when a video's transcript is made or its processing ends.
"""

from __future__ import annotations

import enum

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from activity.services import Target, Verb, activity_record
from billing.prices import written_note_by_model
from notes.ai import ai_note_cancel, ai_note_start, ai_notes_fill_waiting, initial_status
from notes.frames import request_frame
from notes.models import MAX_TEXT_LENGTH, Note
from notes.selectors import VideoRef, video_for_ref
from sage.errors import FieldInvalid
from sage.formatting import clock, clock_milliseconds
from videos.models import Video
from videos.services import video_add_youtube
from videos.youtube import YouTubeError
from workspaces.models import Membership

__all__ = ["NoteInvalid", "ai_notes_fill_waiting", "note_create", "note_delete", "note_update", "video_for_notes"]

# The player's clock and the probed duration disagree by a frame or two at the very end.
END_TOLERANCE_SECONDS = 0.5


class NoteInvalid(FieldInvalid):
    """The note cannot be saved as asked; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = _Unset.UNSET


def video_for_notes(*, member: Membership, ref: VideoRef) -> Video:
    """My video that `ref` names; a YouTube video I have not added yet is added now."""
    video = video_for_ref(member, ref)
    if video is not None:
        return video
    try:
        video, _created = video_add_youtube(member=member, url=ref.youtube_id)
    except YouTubeError as exc:  # oEmbed says it is private or gone
        raise Http404(str(exc)) from None
    return video


def _checked_time(video: Video, seconds: float, *, field: str) -> float:
    """`seconds` within the video. Only an upload's length is known for sure (probed from the
    file); a YouTube video's comes from its captions, which may end before it does."""
    if video.source != Video.Source.UPLOAD or not video.duration:
        return seconds
    if seconds > video.duration + END_TOLERANCE_SECONDS:
        raise NoteInvalid(
            field, f"The video is {clock(video.duration)} long: {clock_milliseconds(seconds)} is past its end."
        )
    return min(seconds, video.duration)


def _checked_text(text: str) -> str:
    text = text.strip()
    if "\x00" in text:
        raise NoteInvalid("text", "A note cannot contain a NUL character.")
    if len(text) > MAX_TEXT_LENGTH:
        raise NoteInvalid("text", f"A note can be at most {MAX_TEXT_LENGTH:,} characters (this one has {len(text):,}).")
    return text


def note_create(*, member: Membership, video: Video, start: float, end: float | None = None, text: str = "") -> Note:
    """A note at `start` (to `end` for a range). Empty text, when the person has AI notes on, makes a
    note written from the transcript: an AI note when a language model is configured (it costs
    tokens; InsufficientTokens: nothing saved), else a free transcript excerpt (notes.ai)."""
    start = _checked_time(video, start, field="start")
    if end is not None:
        end = _checked_time(video, end, field="end")
        if end < start:
            raise NoteInvalid(
                "end", f"The end ({clock_milliseconds(end)}) is before the start ({clock_milliseconds(start)})."
            )
    text = _checked_text(text)
    ai = not text
    if ai and not member.user.ai_notes_enabled:
        raise NoteInvalid(
            "text", "Write something in the note (or turn on AI notes in your settings to have empty notes written)."
        )
    with transaction.atomic():
        note = Note.objects.create(
            owner=member.user,
            # The workspace the note is taken in (a note on the shared sample stays the taker's).
            workspace_id=member.workspace_id,
            video=video,
            start=start,
            end=end,
            text=text,
            ai_generated=ai and written_note_by_model(),
            ai_status=initial_status(video) if ai else Note.AiStatus.NONE,
        )
        if ai:
            ai_note_start(note)
        request_frame(note)
        # The team's feed says a note was taken and where (not what it says: a note is its own page's).
        activity_record(
            workspace_id=member.workspace_id,
            actor=member.user,
            verb=Verb.NOTE_ADDED,
            target=Target("video", video.pk, video.label),
            details={"note_id": note.pk, "at": clock(start)},
        )
    return note


def note_update(
    *,
    note: Note,
    start: float | _Unset = UNSET,
    end: float | _Unset | None = UNSET,
    text: str | _Unset = UNSET,
) -> Note:
    """Change what is given. Typing the text of an AI note still being written cancels the writing
    (and refunds it); a new start gets a new frame still."""
    video = note.video
    new_start = note.start if start is UNSET else _checked_time(video, start, field="start")
    new_end = note.end if end is UNSET else (None if end is None else _checked_time(video, end, field="end"))
    if new_end is not None and new_end < new_start:
        if end is not UNSET:
            raise NoteInvalid(
                "end", f"The end ({clock_milliseconds(new_end)}) is before the start ({clock_milliseconds(new_start)})."
            )
        raise NoteInvalid(
            "start", f"The start ({clock_milliseconds(new_start)}) is after the end ({clock_milliseconds(new_end)})."
        )
    new_text = None if text is UNSET else _checked_text(text)
    if new_text == "":
        raise NoteInvalid("text", "A note cannot be emptied; delete it instead.")
    with transaction.atomic():
        # Locked, so an AI note's writing task cannot finish between our look and our change.
        locked = Note.objects.select_for_update(of=("self",)).select_related("video").get(pk=note.pk)
        fields = ["start", "end", "updated_at"]
        if new_text is not None:
            fields += ["text", "ai_status", "ai_generated"]
            locked.text = new_text
            if locked.ai_status in (Note.AiStatus.WAITING, Note.AiStatus.GENERATING):
                ai_note_cancel(locked)
            if locked.ai_status != Note.AiStatus.DONE:
                # The person wrote it, not the AI (a failed AI note's text was only the reason).
                locked.ai_status, locked.ai_generated = Note.AiStatus.NONE, False
        if new_start != locked.start:
            fields.append("frame_key")
            locked.frame_key = ""  # the old still shows the old moment; a new one is on its way
            request_frame(locked)
        locked.start, locked.end = new_start, new_end
        locked.updated_at = timezone.now()
        locked.save(update_fields=fields)
    return locked


def note_delete(*, note: Note) -> None:
    """Delete the note. Its still and, if it was never written, its AI note hold go with it
    (notes.signals, so that deleting a video or an account does the same)."""
    note.delete()
