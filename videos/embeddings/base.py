"""The clip-embedding interface every backend implements (pure library code: no models, no DB)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from sage.retrying import RetryListener

# Sizes of the pgvector columns that hold the `local` backend's vectors. Visual: 126 layout (two
# half-clip 8×8 DCT blocks of the grey picture, DC left out) + 48 brightness/colour layout (4×4 grid
# of Y, Cb, Cr) + 51 colour histogram + 16 edge orientation (2×2 grid × 4 directions) + 15 motion
# (3×5 grid). Audio: 32 log-mel bands, mean and spread over the clip.
VISUAL_DIM = 256
AUDIO_DIM = 64

CLIP_SECONDS = 2.0
# A trailing clip shorter than this is merged into the one before it (too short to compare alone).
MIN_LAST_CLIP_SECONDS = 0.5

ProgressCallback = Callable[[float], None]


class EmbeddingError(Exception):
    """The file cannot be embedded (no video stream, no decodable frame); the message says why."""


@dataclass(frozen=True, eq=False)
class ClipEmbedding:
    """One clip's vectors. `start`/`end` are seconds from the start of the file; `visual` has
    VISUAL_DIM and `audio` AUDIO_DIM float32 values, each L2-normalised; `audio` is None when the
    file has no sound stream."""

    index: int
    start: float
    end: float
    visual: np.ndarray
    audio: np.ndarray | None


class ClipEmbeddingBackend(Protocol):
    name: str  # recorded with the data ("local", "twelvelabs"), so mixed vectors are never compared

    def embed_clips(
        self,
        path: Path,
        *,
        clip_seconds: float = CLIP_SECONDS,
        on_progress: ProgressCallback | None = None,
        on_retry: RetryListener | None = None,  # hears of waits for a busy outside service
    ) -> list[ClipEmbedding]: ...


def clip_spans(duration: float, clip_seconds: float = CLIP_SECONDS) -> list[tuple[float, float]]:
    """(start, end) of each clip of a `duration`-second video: whole clips of `clip_seconds`, then
    the remainder as a clip of its own if it lasts at least MIN_LAST_CLIP_SECONDS, else merged into
    the clip before it. A video shorter than that is one clip."""
    if clip_seconds <= 0:
        raise ValueError("clip_seconds must be positive")
    duration = max(0.0, round(duration, 3))
    whole = int(duration // clip_seconds)
    spans = [(index * clip_seconds, (index + 1) * clip_seconds) for index in range(whole)]
    remainder = round(duration - whole * clip_seconds, 3)
    if remainder >= MIN_LAST_CLIP_SECONDS or not spans:
        spans.append((whole * clip_seconds, duration))
    elif remainder > 0:
        spans[-1] = (spans[-1][0], duration)
    return spans
