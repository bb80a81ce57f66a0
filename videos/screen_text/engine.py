"""The OCR engine: RapidOCR's PP-OCR detection and recognition models (ONNX, shipped inside the
`rapidocr-onnxruntime` wheel, so loading needs no network), one instance per process."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np
from django.conf import settings

# Readings under this confidence are noise (RapidOCR's own cut-off is 0.5): textures and edges the
# recogniser turns into letters score lower than anything a person would call text.
MIN_READING_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Observation:
    """One line of text in one frame: its box as fractions of the frame (left, top, width, height)."""

    text: str
    box: tuple[float, float, float, float]
    confidence: float


@functools.lru_cache(maxsize=1)
def _engine() -> object:
    # Deferred: onnxruntime and OpenCV take ~0.3 s to import, and only the worker reading a video needs them.
    from rapidocr_onnxruntime import RapidOCR

    for name in ("RapidOCR", "OrtInferSession", "TextDetector", "TextRecognizer"):
        logging.getLogger(name).setLevel(logging.WARNING)
    threads = settings.SCREEN_TEXT_THREADS
    # No orientation classifier: text in a video is upright, and it would cost a model run per line.
    return RapidOCR(
        use_cls=False,
        intra_op_num_threads=threads,
        inter_op_num_threads=1,
        print_verbose=False,
    )


def read_frame(rgb: np.ndarray) -> list[Observation]:
    """The lines of text RapidOCR finds in an RGB frame (H×W×3 uint8), top to bottom."""
    height, width = rgb.shape[:2]
    engine = _engine()
    # RapidOCR takes OpenCV's channel order.
    result, _elapsed = engine(np.ascontiguousarray(rgb[:, :, ::-1]))  # type: ignore[operator]
    observations: list[Observation] = []
    for quad, text, score in result or []:
        confidence = float(score)
        text = " ".join(str(text).split())
        if confidence < MIN_READING_CONFIDENCE or not text:
            continue
        points = np.asarray(quad, dtype=np.float64)
        left, top = points.min(axis=0)
        right, bottom = points.max(axis=0)
        left, right = max(0.0, left) / width, min(float(width), right) / width
        top, bottom = max(0.0, top) / height, min(float(height), bottom) / height
        observations.append(Observation(text=text, box=(left, top, right - left, bottom - top), confidence=confidence))
    return observations
