"""Clip embeddings: one visual and one audio vector per 2-second clip of a video.

Backends implement `ClipEmbeddingBackend` (see `base`); `get_backend(name)` returns one by the name
recorded with its data.
"""

from __future__ import annotations

from videos.embeddings.base import (
    AUDIO_DIM,
    CLIP_SECONDS,
    VISUAL_DIM,
    ClipEmbedding,
    ClipEmbeddingBackend,
    EmbeddingError,
    ProgressCallback,
    clip_spans,
)

DEFAULT_BACKEND = "local"


def get_backend(name: str = DEFAULT_BACKEND) -> ClipEmbeddingBackend:
    if name == "local":
        from videos.embeddings.local import LocalClipEmbedder

        return LocalClipEmbedder()
    raise ValueError(f"unknown clip-embedding backend {name!r}")


__all__ = [
    "AUDIO_DIM",
    "CLIP_SECONDS",
    "DEFAULT_BACKEND",
    "VISUAL_DIM",
    "ClipEmbedding",
    "ClipEmbeddingBackend",
    "EmbeddingError",
    "ProgressCallback",
    "clip_spans",
    "get_backend",
]
