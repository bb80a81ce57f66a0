"""The one way a video's search windows are written: what is said (the transcript's windows) and
what is shown (its on-screen text), each kind replaced as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from django.db import transaction

from videos.models import TranscriptChunk, Video


class TimedText(Protocol):
    """A window to store: a transcript window (videos.timed_text.Window) or a run of on-screen text."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...


def replace_chunks(video: Video, kind: TranscriptChunk.Kind, windows: Sequence[TimedText], vectors: np.ndarray) -> None:
    """The video's windows of `kind`, replacing those it had (a rerun, or a re-read, writes the set
    anew); `vectors` are the windows' text embeddings, in order."""
    with transaction.atomic():
        TranscriptChunk.objects.filter(video=video, kind=kind).delete()
        TranscriptChunk.objects.bulk_create(
            TranscriptChunk(
                video=video,
                owner_id=video.owner_id,
                kind=kind,
                index=index,
                start=window.start,
                end=window.end,
                text=window.text,
                embedding=vector,
            )
            for index, (window, vector) in enumerate(zip(windows, vectors, strict=True))
        )
