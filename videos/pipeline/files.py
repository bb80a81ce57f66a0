"""The video's file as a local path wherever it is stored, or read in place (a path or a presigned address)."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.storage import default_storage

from videos.models import Video

# Where downloads are made, and where one is kept when a run hands its video on to a longer run
# (videos.pipeline.runner): the next run on this machine starts from the copy instead of downloading
# a long master again. One folder, so keeping a copy is a rename.
DOWNLOADS = Path(tempfile.gettempdir()) / "sage-downloads"
# A kept copy no run came back for (the next run went to another machine, or the video was
# cancelled) is removed this long after it was kept.
KEPT_FOR_SECONDS = 24 * 3600


@contextmanager
def local_copy(video: Video, *, kept_on: tuple[type[BaseException], ...] = (), key: str = "") -> Iterator[Path]:
    """A path to read the video from: the file itself locally, a download from S3. A download is
    kept when the block raises one of `kept_on`, for the video's next run to reuse. `key`: another
    of the video's stored files (its rendition) instead of the original; never kept."""
    key = key or video.storage_key
    try:
        local = Path(default_storage.path(key))
    except NotImplementedError:  # remote storage (S3) has no local path
        local = None
    if local is not None:
        yield local
        return
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    kept = _kept_copy(video) if key == video.storage_key else None
    with tempfile.TemporaryDirectory(prefix="sage-video-", dir=DOWNLOADS) as directory:
        target = Path(directory) / f"{'original' if kept else 'stored'}{Path(key).suffix}"
        if kept is None or not _reused(kept, video, target):
            _forget_old_copies()
            with default_storage.open(key, "rb") as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
        try:
            yield target
        except kept_on:
            if kept is not None:
                target.replace(kept)
            raise


def _kept_copy(video: Video) -> Path:
    # The key is in the name: a new version of the file (another key) never reuses the old copy.
    digest = hashlib.sha256(video.storage_key.encode()).hexdigest()[:16]
    return DOWNLOADS / f"kept-{video.pk}-{digest}{Path(video.storage_key).suffix}"


def _reused(kept: Path, video: Video, target: Path) -> bool:
    """Move the kept copy to `target` if there is one and it is whole (the stored object's size)."""
    try:
        if kept.stat().st_size != default_storage.size(video.storage_key):
            return False
        kept.replace(target)
    except OSError:  # no copy kept
        return False
    return True


def _forget_old_copies() -> None:
    too_old = time.time() - KEPT_FOR_SECONDS
    for copy in DOWNLOADS.glob("kept-*"):
        with contextlib.suppress(OSError):  # another process removed or reused it meanwhile
            if copy.stat().st_mtime < too_old:
                copy.unlink()


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
