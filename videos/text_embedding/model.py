"""Sentence embeddings for transcript search and chat: what callers import. `embed_texts` encodes
in this process (videos.text_embedding.encoder holds the model); `embed_query` and
`embed_texts_for_request` go to the embedding child where TEXT_EMBEDDING_SUBPROCESS is on (the web
process), so the web process never loads the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.conf import settings

from videos.text_embedding.child import embed_in_child
from videos.text_embedding.encoder import TEXT_EMBEDDING_DIM, embed_texts, text_model

__all__ = ["TEXT_EMBEDDING_DIM", "embed_query", "embed_texts", "embed_texts_for_request", "text_model"]


def embed_query(text: str) -> np.ndarray:
    """The L2-normalised float32 vector (TEXT_EMBEDDING_DIM,) of one search query or question; where
    TEXT_EMBEDDING_SUBPROCESS is on (the web process), computed by the embedding child."""
    vector: np.ndarray = embed_texts_for_request([text])[0]
    return vector


def embed_texts_for_request(texts: Sequence[str]) -> np.ndarray:
    """`embed_texts` for what a request needs (a query, the sentences of the windows it found): where
    TEXT_EMBEDDING_SUBPROCESS is on (the web process), computed by the embedding child."""
    if not texts:
        return np.zeros((0, TEXT_EMBEDDING_DIM), np.float32)
    if settings.TEXT_EMBEDDING_SUBPROCESS:
        return embed_in_child(texts)
    return embed_texts(texts)
