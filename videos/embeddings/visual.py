"""The visual half of a `local` clip embedding, from a few small thumbnails per clip.

Every feature is computed on a THUMB_SIZE×THUMB_SIZE RGB thumbnail that the scaler makes straight
from the decoded frame (a filtered shrink: every source pixel counts), so resolution, bitrate and
codec — which change fine detail — barely move it, while what a person sees (layout, colours,
edges, motion) does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from scipy.fft import dctn  # type: ignore[import-untyped]  # scipy ships no stubs

from videos.embeddings.base import VISUAL_DIM

# PyAV asks the scaler for a thread per core unless told otherwise. For a picture this small the
# hand-off costs more CPU than it saves (the same pixels: 276 against 331 µs of CPU per 720p frame
# here), and the CPU is what the decoder's own threads, running beside the scaling, are short of.
SCALER_THREADS = 1
THUMB_SIZE = 32
_DCT_SIDE = 8  # low-frequency block kept from the 32×32 DCT: coarse layout, not texture
_COLOUR_GRID = 4
_EDGE_GRID = 2
_EDGE_DIRECTIONS = 4
_MOTION_GRID = (3, 5)  # rows × columns: a 16:9 or 4:3 picture in nearly square cells
_HUES = 8
_CHROMA_LEVELS = (0.0, 0.12, 0.3)  # Cb/Cr radius: grey, pale, vivid (a vivid primary reaches ~0.5)
_VALUE_LEVELS = (0.0, 0.5, 1.0)

# How much each part weighs once each is brought to (at most) unit length. The layout is the most
# specific to a picture; colour distribution and layout confirm it; edges and motion are coarser.
_WEIGHTS = {"layout": 1.0, "colour_layout": 0.6, "histogram": 0.8, "edges": 0.5, "motion": 0.5}
# Below these lengths a part is mostly compression noise (a flat picture's AC energy, a still
# picture's frame differences): it is kept short instead of being blown up to unit length.
_LAYOUT_FLOOR = 0.5
_COLOUR_LAYOUT_FLOOR = 0.5
_EDGE_FLOOR = 0.02
_MOTION_SCALE = 0.08  # mean absolute grey change (0–1) between samples that counts as "a lot"

_LAYOUT_SIZE = 2 * (_DCT_SIDE * _DCT_SIDE - 1)
_COLOUR_LAYOUT_SIZE = 3 * _COLOUR_GRID * _COLOUR_GRID
_HISTOGRAM_SIZE = len(_VALUE_LEVELS) * (1 + _HUES * (len(_CHROMA_LEVELS) - 1))
_EDGE_SIZE = _EDGE_GRID * _EDGE_GRID * _EDGE_DIRECTIONS
_MOTION_SIZE = _MOTION_GRID[0] * _MOTION_GRID[1]
assert _LAYOUT_SIZE + _COLOUR_LAYOUT_SIZE + _HISTOGRAM_SIZE + _EDGE_SIZE + _MOTION_SIZE == VISUAL_DIM


@dataclass(frozen=True)
class Thumbnail:
    """A sampled frame: its time (seconds from the start of the file) and its picture as float32
    RGB in 0–1, THUMB_SIZE×THUMB_SIZE×3."""

    time: float
    rgb: np.ndarray


def thumbnail(frame: av.VideoFrame, time: float, reformatter: VideoReformatter) -> Thumbnail:
    """One scaler pass from the decoder's own format straight to a tiny RGB picture: far cheaper
    than converting the full frame. Swscale widens its bilinear filter when it shrinks, so every
    source pixel counts (no aliasing from the big step). Reuse one `reformatter` per file: it
    keeps the scaler's set-up, which costs more than the scaling itself. One scaling thread
    (`SCALER_THREADS`)."""
    small = reformatter.reformat(
        frame,
        width=THUMB_SIZE,
        height=THUMB_SIZE,
        format="rgb24",
        interpolation="BILINEAR",
        threads=SCALER_THREADS,
    )
    return Thumbnail(time=time, rgb=small.to_ndarray().astype(np.float32) / 255.0)


def visual_vector(samples: Sequence[Thumbnail], *, start: float, end: float) -> np.ndarray:
    """The L2-normalised VISUAL_DIM vector of a clip from its (time-ordered) thumbnails."""
    vector: np.ndarray = visual_vectors([(samples, start, end)])[0]
    return vector


def visual_vectors(clips: Sequence[tuple[Sequence[Thumbnail], float, float]]) -> np.ndarray:
    """`visual_vector` of each (thumbnails, start, end), as rows of a len(clips)×VISUAL_DIM array.

    Clips whose thumbnails fall alike into their halves (every whole clip of the `local` backend:
    SAMPLES_PER_CLIP filed at the same offsets) are measured together, so the few dozen NumPy calls
    a clip takes are made once per batch; batches much larger cost more, the arrays outgrowing the
    caches (bench/pipeline.py; figures in bench/RESULTS.md). Each clip gets the vector it gets
    alone, to float32 rounding."""
    vectors = np.empty((len(clips), VISUAL_DIM), np.float32)
    alike: dict[tuple[bool, ...], list[int]] = {}
    for index, (samples, start, end) in enumerate(clips):
        if not samples:
            raise ValueError("a clip needs at least one thumbnail")
        middle = (start + end) / 2
        alike.setdefault(tuple(sample.time < middle for sample in samples), []).append(index)
    for first_half, members in alike.items():
        rgb = np.stack([np.stack([sample.rgb for sample in clips[index][0]]) for index in members])
        vectors[members] = _vectors(rgb, np.array(first_half))
    return vectors


def _vectors(rgb: np.ndarray, first_half: np.ndarray) -> np.ndarray:
    """The vectors of clips (rgb: clips×K×H×W×3) whose K thumbnails fall into the clip's first
    half where `first_half` says."""
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)  # clips×K×H×W
    blue_difference = (rgb[..., 2] - luma) * 0.564
    red_difference = (rgb[..., 0] - luma) * 0.713

    # A clip whose thumbnails all fall into one half compares that half with itself.
    halves = [first_half if first_half.any() else ~first_half, ~first_half if (~first_half).any() else first_half]
    layout = np.concatenate([_layout(luma[:, half].mean(axis=1)) for half in halves], axis=-1)
    parts = [
        _WEIGHTS["layout"] * _soft_unit(layout, _LAYOUT_FLOOR),
        _WEIGHTS["colour_layout"]
        * _soft_unit(_colour_layout(luma, blue_difference, red_difference), _COLOUR_LAYOUT_FLOOR),
        _WEIGHTS["histogram"] * _colour_histogram(luma, blue_difference, red_difference),
        _WEIGHTS["edges"] * _soft_unit(_edges(luma), _EDGE_FLOOR),
        _WEIGHTS["motion"] * _motion(luma),
    ]
    vectors = np.concatenate(parts, axis=-1).astype(np.float32)
    units: np.ndarray = vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
    return units


def _soft_unit(vectors: np.ndarray, floor: float) -> np.ndarray:
    """Each row divided by the square root of its squared length plus floor²."""
    lengths = np.sqrt(np.einsum("...i,...i->...", vectors, vectors) + floor * floor)
    shortened: np.ndarray = vectors / lengths[..., np.newaxis]
    return shortened


def _cell_means(image: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Means of `image` (…×H×W) over a rows×columns grid, flattened in the last axis. Cells split
    as `np.array_split` splits (the first ones a pixel longer when the size does not divide)."""
    row_starts, row_sizes = _split(image.shape[-2], rows)
    column_starts, column_sizes = _split(image.shape[-1], columns)
    sums = np.add.reduceat(np.add.reduceat(image, row_starts, axis=-2), column_starts, axis=-1)
    means: np.ndarray = sums / (row_sizes[:, None] * column_sizes[None, :]).astype(image.dtype)
    return means.reshape(*image.shape[:-2], rows * columns)


@functools.lru_cache(maxsize=32)
def _split(length: int, parts: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts and sizes of `parts` nearly equal runs of `length` (none empty: every grid here is
    smaller than a thumbnail)."""
    if not 0 < parts <= length:
        raise ValueError(f"cannot split {length} pixels into {parts} cells")
    sizes = np.array([length // parts + (index < length % parts) for index in range(parts)], np.intp)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    return starts, sizes


def _layout(grey: np.ndarray) -> np.ndarray:
    """A perceptual hash kept as real values: the low-frequency DCT of each grey picture
    (clips×H×W), without the DC term (brightness is in the colour layout)."""
    coefficients: np.ndarray = dctn(grey, norm="ortho", axes=(-2, -1))[..., :_DCT_SIDE, :_DCT_SIDE]
    return coefficients.reshape(len(grey), -1)[:, 1:]


def _colour_layout(luma: np.ndarray, blue_difference: np.ndarray, red_difference: np.ndarray) -> np.ndarray:
    grids = [
        _cell_means(plane.mean(axis=1), _COLOUR_GRID, _COLOUR_GRID)
        for plane in (luma - 0.5, blue_difference, red_difference)
    ]
    return np.concatenate(grids, axis=-1)


def _soft_levels(values: np.ndarray, levels: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear interpolation weights between neighbouring `levels`: (lower index, upper index,
    weight of the upper), so a colour near a bin edge does not jump between bins when re-encoded."""
    grid = np.asarray(levels, np.float32)
    clipped = np.clip(values, grid[0], grid[-1])
    # The upper level: one past the inner levels at or below the value (a comparison per inner
    # level is cheaper than a binary search over so few).
    upper = np.ones(clipped.shape, np.intp)
    for level in grid[1:-1]:
        upper += clipped >= level
    lower = upper - 1
    below, above = grid[lower], grid[upper]
    weight = (clipped - below) / (above - below)
    return lower, upper, weight


def _colour_histogram(luma: np.ndarray, blue_difference: np.ndarray, red_difference: np.ndarray) -> np.ndarray:
    """A soft-binned histogram per clip (planes: clips×…) over value × (grey | hue at two chroma
    levels), square-rooted so that the cosine of two histograms is their Bhattacharyya coefficient.
    Hue is the angle in the Cb/Cr plane and chroma its radius: unlike HSV saturation, neither blows
    up in dark pixels."""
    clips = len(luma)
    value = luma.reshape(clips, -1)
    chroma = np.hypot(blue_difference, red_difference).reshape(clips, -1)
    hue = _wrapped(np.arctan2(red_difference, blue_difference).reshape(clips, -1) / (2 * np.pi), 1.0) * _HUES

    value_low, value_high, value_weight = _soft_levels(value, _VALUE_LEVELS)
    chroma_low, chroma_high, chroma_weight = _soft_levels(chroma, _CHROMA_LEVELS)
    hue_low = np.floor(hue).astype(np.intp) % _HUES
    hue_high = (hue_low + 1) % _HUES
    hue_weight = hue - np.floor(hue)

    per_value = 1 + _HUES * (len(_CHROMA_LEVELS) - 1)
    # Every (value, chroma, hue) corner at once, axes in that order after the clip's: clips×2×2×2×pixels.
    value_index = np.stack([value_low, value_high], axis=1)[:, :, None, None]
    value_share = np.stack([1 - value_weight, value_weight], axis=1)[:, :, None, None]
    chroma_index = np.stack([chroma_low, chroma_high], axis=1)[:, None, :, None]
    chroma_share = np.stack([1 - chroma_weight, chroma_weight], axis=1)[:, None, :, None]
    hue_index = np.stack([hue_low, hue_high], axis=1)[:, None, None, :]
    hue_weights = np.stack([1 - hue_weight, hue_weight], axis=1)[:, None, None, :]
    grey = chroma_index == 0
    # Grey has no hue: its whole weight goes to the grey bin once (through the first hue corner).
    bin_index = np.where(grey, 0, 1 + (chroma_index - 1) * _HUES + hue_index)
    grey_share = np.array([1.0, 0.0], np.float32)[None, None, None, :, None]
    hue_share = np.where(grey, grey_share, hue_weights)
    # Each clip's bins after the ones before it, so one count makes every clip's histogram.
    first_bin = (np.arange(clips) * _HISTOGRAM_SIZE)[:, None, None, None, None]
    indices = first_bin + value_index * per_value + bin_index
    weights = value_share * chroma_share * hue_share
    counts = np.bincount(indices.ravel(), weights=weights.ravel(), minlength=clips * _HISTOGRAM_SIZE)
    histograms = counts.reshape(clips, _HISTOGRAM_SIZE)
    rooted: np.ndarray = np.sqrt(histograms / histograms.sum(axis=1, keepdims=True))
    return rooted


def _wrapped(angles: np.ndarray, period: float) -> np.ndarray:
    """`angles % period` for angles in [−period, period] (what arctan2 gives, scaled), the same
    values without NumPy's floating remainder, which costs four times as much. (At exactly `period`
    it keeps `period` where `%` gives 0; both fall into the first bin with nothing in the next.)"""
    wrapped: np.ndarray = np.where(angles < 0, angles + period, angles)
    return wrapped


def _edges(luma: np.ndarray) -> np.ndarray:
    """Mean gradient magnitude per direction (0°, 45°, 90°, 135°, soft-binned) in a 2×2 grid, per
    clip (luma: clips×K×H×W)."""
    gradient_y, gradient_x = np.gradient(luma, axis=(2, 3))
    magnitude = np.hypot(gradient_x, gradient_y)
    direction = _wrapped(np.arctan2(gradient_y, gradient_x), np.pi) / np.pi * _EDGE_DIRECTIONS
    low = np.floor(direction).astype(np.intp) % _EDGE_DIRECTIONS
    high = (low + 1) % _EDGE_DIRECTIONS
    high_weight = direction - np.floor(direction)
    directions = np.arange(_EDGE_DIRECTIONS)[:, None, None, None, None]
    per_direction = magnitude * ((low == directions) * (1 - high_weight) + (high == directions) * high_weight)
    cells = _cell_means(per_direction.mean(axis=2), _EDGE_GRID, _EDGE_GRID)  # directions × clips × cells
    return np.ascontiguousarray(cells.transpose(1, 2, 0)).reshape(len(luma), -1)


def _motion(luma: np.ndarray) -> np.ndarray:
    """How much each region changes between consecutive thumbnails (luma: clips×K×H×W), squashed
    to 0–1 and scaled so the part's length is at most 1. A still clip (or a clip of one thumbnail)
    gives zeros: motion is an absolute quantity, not a direction."""
    if luma.shape[1] < 2:
        return np.zeros((len(luma), _MOTION_SIZE), np.float32)
    change = np.abs(np.diff(luma, axis=1)).mean(axis=1)
    cells = _cell_means(change, *_MOTION_GRID)
    motion: np.ndarray = np.tanh(cells / _MOTION_SCALE) / np.sqrt(_MOTION_SIZE)
    return motion
