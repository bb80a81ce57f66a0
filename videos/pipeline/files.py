"""The video's file as a local path wherever it is stored, or read in place (a path or a presigned address)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.storage import default_storage

from videos.models import Video


@contextmanager
def local_copy(video: Video) -> Iterator[Path]:
    """A path to read the video from: the file itself locally, a temporary download from S3."""
    try:
        local = Path(default_storage.path(video.storage_key))
    except NotImplementedError:  # remote storage (S3) has no local path
        local = None
    if local is not None:
        yield local
        return
    suffix = Path(video.storage_key).suffix
    with tempfile.TemporaryDirectory(prefix="sage-video-") as directory:
        target = Path(directory) / f"original{suffix}"
        with default_storage.open(video.storage_key, "rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
        yield target


def readable_source(video: Video) -> Path | str:
    """Where FFmpeg can read the video in place: its file, or on S3 a presigned address (valid for
    AWS_QUERYSTRING_EXPIRE, an hour by default) read in byte ranges, so a reader that needs a few
    stretches fetches those, not the whole file."""
    return _readable(video.storage_key)


def readable_played_source(video: Video) -> Path | str:
    """As `readable_source`, but what players play (the rendition, or the original that plays as
    it is; the original while neither exists). A still of a moment must be the picture the viewer
    saw at that time in the player, and a rendition shows frame n at n / rate where the original's
    own timestamps may start late or vary."""
    return _readable(video.playback_key or video.storage_key)


def _readable(key: str) -> Path | str:
    try:
        return Path(default_storage.path(key))
    except NotImplementedError:  # remote storage (S3) has no local path
        return default_storage.url(key)
