"""A note's frame still: the uploaded video's picture at the note's start, as a small JPEG.

Seek to the keyframe before `start`, decode forward to the frame on screen at that instant (the
last one that began by then; the last frame when `start` is past the final one), scale to at most
STILL_WIDTH pixels wide and encode with FFmpeg's mjpeg encoder (as the pipeline's posters are).
YouTube videos have no file: no still.
"""

from __future__ import annotations

import logging
from pathlib import Path

import av
import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from notes.models import Note
from notes.serializers import note_payload
from sage.queueing import TaskRef
from sage.realtime import push_to_workspace
from sage.timebase import TOLERANCE_SECONDS
from videos.engine.sources import open_source
from videos.models import Video
from videos.pipeline.files import readable_played_source
from videos.pipeline.thumbnails import encode_jpeg

logger = logging.getLogger(__name__)

MAKE_NOTE_FRAME = TaskRef[[int]]("notes.tasks.make_note_frame")

STILL_WIDTH = 480
# Decoding stops this many frames past the seek point at most, whatever the stream's timestamps say.
MAX_DECODED_FRAMES = 2_000


def frame_key(note_id: int) -> str:
    return f"notes/{note_id}.jpg"


def has_frame_source(video: Video) -> bool:
    return video.source == Video.Source.UPLOAD and bool(video.storage_key)


def request_frame(note: Note) -> None:
    """Queue the still once the current transaction commits (uploaded videos only)."""
    if not has_frame_source(note.video):
        return
    MAKE_NOTE_FRAME.delay_on_commit(note.pk)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def grab_frame(source: Path | str, seconds: float, *, max_width: int = STILL_WIDTH) -> np.ndarray:
    """The picture at `seconds` as RGB, at most `max_width` wide. ValueError if nothing decodes."""
    with open_source(source) as container:
        if not container.streams.video:
            raise ValueError("The file has no video stream.")
        stream = container.streams.video[0]
        width = stream.codec_context.width or max_width
        height = stream.codec_context.height or max_width * 9 // 16
        out_width = _even(min(max_width, width))
        out_height = _even(out_width * height / width)
        if seconds > 0 and stream.time_base:
            container.seek(int(seconds / stream.time_base), stream=stream, backward=True, any_frame=False)
        # The frame on screen at `seconds` (`sage.timebase`): the last one that began by then. A
        # player paused on a frame reports a time inside it, so the first frame at or after that
        # time would be the next one (another shot, at a cut).
        picked = None
        for count, frame in enumerate(container.decode(stream)):
            if picked is not None and frame.time is not None and frame.time > seconds + TOLERANCE_SECONDS:
                break
            picked = frame
            if count >= MAX_DECODED_FRAMES:
                break
        if picked is None:
            raise ValueError("No frame could be decoded at this time.")
        return picked.to_ndarray(width=out_width, height=out_height, format="rgb24")


def note_frame_ensure(*, note_id: int) -> bool:
    """Make the note's still if it has none (a changed start clears it). True when one was made."""
    note = Note.objects.select_related("video").filter(pk=note_id).first()
    if note is None or note.frame_key or not has_frame_source(note.video):
        return False
    start = note.start
    try:
        # Read in place: on S3 only the bytes around `start` are fetched, not the whole video.
        jpeg = encode_jpeg(grab_frame(readable_played_source(note.video), start))
    except (av.FFmpegError, OSError, ValueError):
        # A still is a convenience: the note works without one.
        logger.warning("could not make the frame still of note %s", note_id, exc_info=True)
        return False
    key = frame_key(note_id)
    default_storage.delete(key)  # the still of an earlier start; saving would otherwise pick a new name
    key = default_storage.save(key, ContentFile(jpeg))
    # Only for the start it was taken at: a newer start has its own task coming.
    if not Note.objects.filter(pk=note_id, start=start, frame_key="").update(frame_key=key):
        if not Note.objects.filter(pk=note_id).exists():
            delete_frame_file(key)  # deleted while we worked: its signal found no still to remove
        return False
    note.frame_key = key
    push_to_workspace(note.workspace_id, "note", note_payload(note))
    return True


def delete_frame_file(key: str) -> None:
    try:
        default_storage.delete(key)
    except Exception:
        # The row is gone either way; a file left behind is logged for an operator to remove.
        logger.warning("could not delete note still %s", key, exc_info=True)
