"""The OCR engine: RapidOCR's PP-OCR detection and recognition models (ONNX, shipped inside the
`rapidocr-onnxruntime` wheel, so loading needs no network), one instance per process."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from django.conf import settings

# Readings under this confidence are noise (RapidOCR's own cut-off is 0.5): textures and edges the
# recogniser turns into letters score lower than anything a person would call text.
MIN_READING_CONFIDENCE = 0.6
# Margins added around each detected line before it is recognised, as shares of its height (above and
# below, left and right), the crop's edge repeated: the detector's boxes hug the letters, and on
# such tight crops of small type the recogniser drops spaces ("thelavareachedthesea"); with room
# around them it reads the spaces (bench/screen_text.py).
CROP_MARGIN_VERTICAL = 0.3
CROP_MARGIN_HORIZONTAL = 0.5
# Detection works on the frame scaled down to this short side (RapidOCR's default): 720p at its size,
# 1080p at two thirds (20 px type is ~14 px there, which the detector still finds).
DETECTION_SHORT_SIDE = 736
# A first look for any text, on frames of moving shots, at this short side: ~4× cheaper than 720p.
SCREEN_SHORT_SIDE = 360


@dataclass(frozen=True)
class Observation:
    """One line of text in one frame: its box as fractions of the frame (left, top, width, height)."""

    text: str
    box: tuple[float, float, float, float]
    confidence: float


@functools.lru_cache(maxsize=1)
def _engine() -> Any:
    # Deferred: onnxruntime and RapidOCR load three models (~0.3 s), which only a worker reading a video needs.
    import onnxruntime
    from rapidocr_onnxruntime import RapidOCR

    for name in ("RapidOCR", "OrtInferSession", "TextDetector", "TextRecognizer"):
        logging.getLogger(name).setLevel(logging.WARNING)
    threads = settings.SCREEN_TEXT_THREADS
    # No orientation classifier: text in a video is upright, and it would cost a model run per line.
    engine = RapidOCR(use_cls=False, intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)
    # RapidOCR's sessions let idle threads spin, which on two busy cores burned ~50 % more CPU per
    # frame (bench/screen_text.py): the same models again, without spinning.
    for holder in (engine.text_det.infer, engine.text_rec.session):
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        holder.session = onnxruntime.InferenceSession(
            holder.session._model_path, sess_options=options, providers=["CPUExecutionProvider"]
        )
    return engine


def read_frame(rgb: np.ndarray, *, screen: bool = False) -> list[Observation]:
    """The lines of text RapidOCR finds in an RGB frame (H×W×3 uint8), top to bottom. With `screen`,
    a frame larger than twice SCREEN_SHORT_SIDE is first searched for text at that size, and read
    only when some is found (a moving shot's frames mostly show none).

    RapidOCR's own steps (detect, crop, recognise), called one by one so that each crop gets its
    margins (CROP_MARGIN_*)."""
    height, width = rgb.shape[:2]
    engine: Any = _engine()
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # RapidOCR takes OpenCV's channel order
    if screen and min(height, width) >= 2 * SCREEN_SHORT_SIDE and len(_detect(engine, bgr, SCREEN_SHORT_SIDE)) == 0:
        return []
    quads = _detect(engine, bgr, DETECTION_SHORT_SIDE)
    if len(quads) == 0:
        return []
    crops = [_with_margins(crop) for crop in engine.get_crop_img_list(bgr, quads)]
    readings, _elapsed = engine.text_rec(crops, False)
    observations: list[Observation] = []
    for quad, (text, score) in zip(quads, readings, strict=True):
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


def _detect(engine: Any, bgr: np.ndarray, short_side: int) -> np.ndarray:
    """The text boxes (n×4×2 corners, in `bgr`'s pixels) found on `bgr` scaled down to `short_side`
    (never up: RapidOCR would enlarge a 360p frame to 736, at four times the cost, and small type is
    found no better for it); the lines are then recognised from the full-size frame."""
    height, width = bgr.shape[:2]
    scale = min(1.0, short_side / min(height, width))
    image = bgr
    if scale < 1.0:
        image = cv2.resize(bgr, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    engine.text_det.limit_side_len = min(image.shape[:2])
    quads, _elapsed = engine.auto_text_det(image)
    if quads is None or len(quads) == 0:
        return np.empty((0, 4, 2), np.float32)
    found: np.ndarray = np.asarray(quads, np.float32) / np.float32(scale)
    return found


def _with_margins(crop: np.ndarray) -> np.ndarray:
    height = crop.shape[0]
    vertical, horizontal = round(CROP_MARGIN_VERTICAL * height), round(CROP_MARGIN_HORIZONTAL * height)
    padded: np.ndarray = cv2.copyMakeBorder(crop, vertical, vertical, horizontal, horizontal, cv2.BORDER_REPLICATE)
    return padded
