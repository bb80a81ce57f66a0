"""Parts streamed to local storage under MEDIA_ROOT, then joined into the video's file.

Bytes are copied in small blocks from the request stream to disk: a part never sits in memory.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings

from videos.models import Upload
from videos.uploads.errors import StoreUnavailable, is_disk_full

_BLOCK = 256 * 1024


@dataclass(frozen=True)
class ReceivedPart:
    """A part that has arrived, in either store."""

    number: int
    size: int
    etag: str


class Readable(Protocol):
    """A request body or a file: anything with read(size)."""

    def read(self, size: int = ..., /) -> bytes: ...


class PartRejected(Exception):
    """The bytes sent for a part are not the part announced; nothing was kept."""


def _upload_dir(upload: Upload) -> Path:
    return Path(settings.MEDIA_ROOT) / "uploads" / str(upload.id)


def _part_path(upload: Upload, number: int) -> Path:
    return _upload_dir(upload) / f"{number:05d}.part"


def write_part(upload: Upload, number: int, stream: Readable, *, sha256: str | None) -> str:
    """Store part `number` from `stream`; returns its SHA-256. Replacing a part is allowed."""
    expected = upload.expected_part_size(number)
    directory = _upload_dir(upload)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f"{number:05d}.incoming"
    digest = hashlib.sha256()
    received = 0
    try:
        with _disk_full_is_unavailable(), temporary.open("wb") as out:
            while block := stream.read(_BLOCK):
                received += len(block)
                if received > expected:
                    raise PartRejected(f"Part {number} must be {expected} bytes; more were sent.")
                digest.update(block)
                out.write(block)
        if received != expected:
            raise PartRejected(f"Part {number} must be {expected} bytes; {received} were sent.")
        if sha256 is not None and sha256.lower() != digest.hexdigest():
            raise PartRejected(f"Part {number} arrived damaged: its SHA-256 does not match.")
        temporary.replace(_part_path(upload, number))  # atomic: a reader sees the old part or the new
    finally:
        temporary.unlink(missing_ok=True)
    return digest.hexdigest()


def join_parts(upload: Upload, storage_key: str) -> int:
    """Concatenate every part into MEDIA_ROOT/`storage_key`; returns the size in bytes."""
    target = Path(settings.MEDIA_ROOT) / storage_key
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(target.suffix + ".joining")
    try:
        with _disk_full_is_unavailable(), temporary.open("wb") as out:
            for number in range(1, upload.part_count + 1):
                with _part_path(upload, number).open("rb") as part:
                    shutil.copyfileobj(part, out, _BLOCK)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)  # a join cut short (a full disk) leaves no half file
    discard(upload)
    return target.stat().st_size


@contextmanager
def _disk_full_is_unavailable() -> Iterator[None]:
    """A full disk (or quota) while writing is the store being unavailable, not a bug."""
    try:
        yield
    except OSError as error:
        if is_disk_full(error):
            raise StoreUnavailable("The video store is full right now; nothing of this part was kept.") from error
        raise


def joined_size(storage_key: str) -> int | None:
    """The size of the joined file at `storage_key`, None when it is not there (yet)."""
    try:
        return (Path(settings.MEDIA_ROOT) / storage_key).stat().st_size
    except FileNotFoundError:
        return None


def discard(upload: Upload) -> None:
    shutil.rmtree(_upload_dir(upload), ignore_errors=True)
