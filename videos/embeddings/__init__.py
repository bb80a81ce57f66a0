"""Clip embeddings: one visual and one audio vector per 2-second clip of a video.

Backends implement `ClipEmbeddingBackend` (see `base`); `get_backend(name)` returns one by the name
recorded with its data, and `configured_backend_name()` says which one new videos use.
"""

from __future__ import annotations

from django.conf import settings

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
        # Here, not at the top: the package's other modules (fingerprints, which the comparison
        # engine reads) import without PyAV, which this backend decodes with.
        from videos.embeddings.local import LocalClipEmbedder

        return LocalClipEmbedder()
    if name == "twelvelabs":
        # Only where it is configured: the Twelve Labs SDK is some 600 modules (0.3 s) to import.
        from videos.embeddings.twelvelabs import TwelveLabsClipEmbedder

        return TwelveLabsClipEmbedder()
    raise ValueError(f"unknown clip-embedding backend {name!r}")


def configured_backend_name() -> str:
    """Marengo when a Twelve Labs key is set, else the weight-free `local` backend."""
    return "twelvelabs" if settings.TWELVELABS_API_KEY else DEFAULT_BACKEND


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
    "configured_backend_name",
    "get_backend",
]
