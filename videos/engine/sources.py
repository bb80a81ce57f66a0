"""Where the engine reads a video's file: a path, or an address read in place (a presigned S3 URL,
in byte ranges), as videos.pipeline.files.readable_source gives it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import av.container

MediaSource = Path | str
READ_TIMEOUT_SECONDS = 30.0


@contextmanager
def open_source(source: Path | str) -> Iterator[av.container.InputContainer]:
    """`source` (from `readable_source`) opened for reading. A file may name no other protocol; an
    address may lead only to HTTP(S), and one that stops answering raises instead of hanging."""
    if isinstance(source, Path):
        with av.open(str(source), mode="r", options={"protocol_whitelist": "file"}) as container:
            yield container
        return
    options = {"protocol_whitelist": "https,http,tls,tcp"}
    with av.open(source, mode="r", options=options, timeout=READ_TIMEOUT_SECONDS) as container:
        yield container
