"""A large file made in a second, whose every byte range can be checked without keeping a copy.

The serving tests and `bench/media.py` need files of hundreds of MB to gigabytes, which must not go
into git or take minutes to write. The file is sparse: a 4 KiB mark every 64 KiB, each mark the
BLAKE2b digest of its index repeated, and holes (zeros) between them. Only the marks take disk
space (1/16 of the size), and a range served from the wrong offset, truncated or shifted, differs
from `expected(start, length)` in every mark it covers (a range of 64 KiB covers at least part of one).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

STRIDE = 64 * 1024
MARK = 4 * 1024


def _mark(index: int) -> bytes:
    digest = hashlib.blake2b(index.to_bytes(8, "little"), digest_size=64).digest()
    return digest * (MARK // len(digest))


def make_marked_file(path: Path, size: int) -> Path:
    """Write a marked file of `size` bytes at `path` (its folder made if missing); returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.ftruncate(descriptor, size)
        for index, offset in enumerate(range(0, size, STRIDE)):
            os.pwrite(descriptor, _mark(index)[: size - offset], offset)
    finally:
        os.close(descriptor)
    return path


def expected(start: int, length: int) -> bytes:
    """The bytes a marked file holds from `start` for `length` bytes (within its size)."""
    found = bytearray(length)
    end = start + length
    for index in range(start // STRIDE, (end - 1) // STRIDE + 1 if length else 0):
        mark_start = index * STRIDE
        first, last = max(start, mark_start), min(end, mark_start + MARK)
        if first < last:
            found[first - start : last - start] = _mark(index)[first - mark_start : last - mark_start]
    return bytes(found)
