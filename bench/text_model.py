"""The text model on onnxruntime (TEXT_EMBEDDING_ENGINE=onnx, the default) against the same model on
torch through sentence-transformers (the baseline), in one process on one machine.

    .venv/bin/python bench/text_model.py [--repeats 3] [--record]

Texts: chat questions (8 words) and transcript chunks (90–130 words, about 40 s of speech), drawn
from a fixed vocabulary with a fixed seed. Figures, each the best of `--repeats`:
- a lone question on one thread, as the web process's embedding child gets one in a quiet moment;
- questions in batches of 24 on one thread, as the child gets them in a burst of chat questions;
- transcript chunks in batches of 32 on two threads, as a worker embeds a transcript.
CPU is the process's CPU time per text; on two threads the wall time is printed too.

Goal (exit 1 when missed): the two engines give the same vectors, cosine ≥ 0.99999 for every text
(short, long, past the model's 256 word pieces, empty), since stored vectors and question vectors may
come from either. The speed-ups are printed, without a goal: bench/chat.py measures what they do to
chat.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.results import Row, add_record_option, record  # found through the path above

if TYPE_CHECKING:
    from videos.text_embedding.encoder import TextModel

VOCABULARY = (
    "the",
    "oven",
    "bread",
    "dough",
    "slice",
    "twenty",
    "five",
    "degrees",
    "minutes",
    "revenue",
    "region",
    "quarter",
    "slide",
    "lecture",
    "student",
    "answer",
    "question",
    "whiteboard",
    "title",
    "camera",
    "river",
    "bridge",
    "engine",
    "colour",
    "red",
    "blue",
    "green",
    "market",
    "price",
    "growth",
    "chapter",
    "theorem",
    "proof",
    "example",
    "because",
    "after",
    "before",
    "while",
    "during",
    "every",
    "each",
    "some",
)


def texts(rng: random.Random, count: int, words: tuple[int, int]) -> list[str]:
    return [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(*words))) for _ in range(count)]


def per_text(model: TextModel, batch: list[str], batch_size: int, repeats: int) -> tuple[float, float]:
    """The best (CPU ms, wall ms) per text of encoding `batch`, over `repeats` tries after a warm-up."""
    model.encode(batch[:2], batch_size=batch_size)
    best_cpu = best_wall = float("inf")
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        model.encode(batch, batch_size=batch_size)
        best_cpu = min(best_cpu, (time.process_time() - cpu) * 1000 / len(batch))
        best_wall = min(best_wall, (time.perf_counter() - wall) * 1000 / len(batch))
    return best_cpu, best_wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    add_record_option(parser)
    arguments = parser.parse_args()

    import numpy as np
    import torch

    import bench.offline_django  # noqa: F401  # Django's settings loaded (no servers)
    from videos.text_embedding.encoder import OnnxMiniLM, TorchMiniLM, load_sentence_transformer
    from videos.text_embedding.onnx_export import SAME_VECTOR_COSINE, exported_minilm_path

    rng = random.Random(36)  # noqa: S311 - made-up texts, the same every run
    questions = texts(rng, 48, (6, 10))
    chunks = texts(rng, 64, (90, 130))
    odd = ["", "Hello!", "Twenty five degrees: café, naïve, ÉCOLE.", " ".join(VOCABULARY * 8)]  # the last: > 256 pieces

    on_torch = TorchMiniLM(load_sentence_transformer())
    onnx_by_threads = {threads: OnnxMiniLM(exported_minilm_path(), threads=threads) for threads in (1, 2)}

    every_text = questions + chunks + odd
    cosines = np.sum(
        onnx_by_threads[1].encode(every_text, batch_size=8) * on_torch.encode(every_text, batch_size=32), axis=1
    )
    same = float(cosines.min()) >= SAME_VECTOR_COSINE

    cases = (
        ("a lone question, 1 thread", questions, 1, 1),
        ("questions in batches of 24, 1 thread", questions, 24, 1),
        ("transcript chunks in batches of 32, 2 threads", chunks, 32, 2),
    )
    print(f"{len(every_text)} texts; lowest cosine between the engines' vectors: {cosines.min():.7f}")
    rows: list[Row] = []
    for label, batch, batch_size, threads in cases:
        torch.set_num_threads(threads)
        torch_cpu, torch_wall = per_text(on_torch, batch, batch_size, arguments.repeats)
        onnx_cpu, onnx_wall = per_text(onnx_by_threads[threads], batch, batch_size, arguments.repeats)
        walls = f"; wall {torch_wall:.1f} → {onnx_wall:.1f} ms" if threads > 1 else ""
        figure = f"CPU {torch_cpu:.1f} → {onnx_cpu:.1f} ms a text (onnx / torch: {onnx_cpu / torch_cpu:.2f}){walls}"
        print(f"{label:48s} {figure}")
        rows.append(Row(f"{label}: torch → onnxruntime", figure, None))

    print(f"goal the same vectors (cosine ≥ {SAME_VECTOR_COSINE}): {'met' if same else 'NOT met'}")
    if arguments.record:
        goal = Row(f"the same vectors as torch (cosine ≥ {SAME_VECTOR_COSINE})", f"lowest {cosines.min():.7f}", same)
        record(bench="text_model", path=arguments.record, rows=[goal, *rows])
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
