"""A video's fingerprint: what the refined comparison aligns and screens on, finer than the 2 s clips.

- Picture: VISUAL_RATE times a second, the frame shown at that moment (the last one whose
  timestamp is at or before it, as a player shows it), its dark borders cropped (so letterbox and
  pillarbox padding changes nothing), as an 8×8 grid of luma and a 4×4 grid of each chroma plane.
- Sound: AUDIO_RATE times a second, 16 log-mel bands (dB above the floor of
  `videos.embeddings.audio`), interpolated onto that fixed grid from the clip embedding's own
  spectrogram, whatever the sample rate.

Both are stored as uint8 (a few MB per hour of video, see `stored_bytes_per_hour`) and computed in
the clip embedding's decode pass (`videos.embeddings.local`). Times count from the first picture.
"""

from __future__ import annotations

import functools
import io
import math
import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

FINGERPRINT_VERSION = 1
VISUAL_RATE = 10.0
AUDIO_RATE = 50.0
LUMA_GRID = 8
CHROMA_GRID = 4
VISUAL_FEATURES = LUMA_GRID * LUMA_GRID + 2 * CHROMA_GRID * CHROMA_GRID
AUDIO_BANDS = 16
# The thumbnail a sample is measured on: large enough to find a border to a pixel or two.
SAMPLE_SIZE = 64
# A row or column is border when nothing in it is brighter than this (0–1 RGB): black bars, even
# after a lossy encode and the scaler's blur, stay under it; a dark scene's detail does not.
BORDER_LEVEL = 0.1
# Never crop more than this share of the picture from one side: a mostly black frame is a picture.
MAX_BORDER_SHARE = 0.4
# Sound levels are kept in steps of a third of a decibel.
AUDIO_STEPS_PER_DB = 3.0


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """`visual`: (n, VISUAL_FEATURES) uint8, sample k at k / visual_rate seconds; `audio`:
    (m, AUDIO_BANDS) uint8 (dB above the floor × AUDIO_STEPS_PER_DB), frame k at k / audio_rate
    seconds, or None without sound; `duration` in seconds."""

    visual: np.ndarray
    audio: np.ndarray | None
    duration: float
    visual_rate: float = VISUAL_RATE
    audio_rate: float = AUDIO_RATE
    version: int = FINGERPRINT_VERSION

    # Worked out once per fingerprint: an engine-2 comparison reads them in the alignment, the
    # screening and the judging (a 3-hour video's are ~40 MB each; the copies are read-only).
    @cached_property
    def visual_floats(self) -> np.ndarray:
        """The picture samples as float32: luma in 0–1, chroma in −0.5–0.5."""
        values = self.visual.astype(np.float32) / 255.0
        values[:, LUMA_GRID * LUMA_GRID :] -= 0.5
        values.flags.writeable = False
        return values

    @cached_property
    def audio_levels(self) -> np.ndarray | None:
        """The sound frames as float32 dB above the floor."""
        if self.audio is None:
            return None
        levels: np.ndarray = self.audio.astype(np.float32) / AUDIO_STEPS_PER_DB
        levels.flags.writeable = False
        return levels


def pack(fingerprint: Fingerprint) -> bytes:
    """The fingerprint as bytes for `VideoFingerprint.data` (a zlib-compressed NumPy archive)."""
    buffer = io.BytesIO()
    arrays = {"visual": fingerprint.visual}
    if fingerprint.audio is not None:
        arrays["audio"] = fingerprint.audio
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy's stub wants positional arrays
    return zlib.compress(buffer.getvalue(), 6)


def unpack(data: bytes, *, duration: float, visual_rate: float, audio_rate: float | None, version: int) -> Fingerprint:
    with np.load(io.BytesIO(zlib.decompress(bytes(data))), allow_pickle=False) as archive:
        visual = archive["visual"]
        audio = archive["audio"] if "audio" in archive.files else None
    return Fingerprint(
        visual=visual,
        audio=audio,
        duration=duration,
        visual_rate=visual_rate,
        audio_rate=audio_rate or AUDIO_RATE,
        version=version,
    )


def stored_bytes_per_hour() -> int:
    """Uncompressed size of an hour's fingerprint (zlib takes off a little more)."""
    return int(3600 * (VISUAL_RATE * VISUAL_FEATURES + AUDIO_RATE * AUDIO_BANDS))


# --- the picture ---------------------------------------------------------------------------------


def content_box(rgb: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the picture inside its dark borders, in pixels of `rgb`
    (H×W×3 float 0–1); the whole frame when it has no border or is dark throughout."""
    top, bottom, left, right = content_boxes(rgb[np.newaxis], BORDER_LEVEL)[0]
    return int(top), int(bottom), int(left), int(right)


def content_boxes(pictures: np.ndarray, level: float) -> np.ndarray:
    """`content_box` of each of `pictures` (n×H×W×3, with `level` the border level in their units:
    BORDER_LEVEL for 0–1 floats, BORDER_LEVEL × 255 for bytes), as n rows of (top, bottom, left, right)."""
    height, width = pictures.shape[1:3]
    # The brightest channel per pixel; two maximums, not `max(axis=3)` (ten times slower over 3).
    brightest = np.maximum(np.maximum(pictures[..., 0], pictures[..., 1]), pictures[..., 2])
    rows_lit = brightest.max(axis=2) > level
    columns_lit = brightest.max(axis=1) > level
    # First and one past the last lit row and column; a picture dark throughout keeps the whole frame.
    top, bottom = rows_lit.argmax(axis=1), height - rows_lit[:, ::-1].argmax(axis=1)
    left, right = columns_lit.argmax(axis=1), width - columns_lit[:, ::-1].argmax(axis=1)
    # The scaler blurs a bar's edge over a pixel: one more row or column of it goes.
    limit_rows, limit_columns = int(MAX_BORDER_SHARE * height), int(MAX_BORDER_SHARE * width)
    top = np.minimum(top + (top > 0), limit_rows)
    bottom = np.maximum(bottom - (bottom < height), height - limit_rows)
    left = np.minimum(left + (left > 0), limit_columns)
    right = np.maximum(right - (right < width), width - limit_columns)
    boxes = np.stack([top, bottom, left, right], axis=1)
    dark = ~(rows_lit.any(axis=1) & columns_lit.any(axis=1))
    boxes[dark] = (0, height, 0, width)
    return boxes


def grid_means(plane: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Means of a 2-D `plane` over a rows×columns grid of (nearly) equal cells, row by row (of each
    plane, for a stack of planes: …×H×W gives …×(rows·columns))."""
    height, width = plane.shape[-2:]
    row_edges, column_edges = _grid_edges(height, rows), _grid_edges(width, columns)
    # Sums over any rectangle from a summed-area table: running sums down the rows, then along
    # them. (Summed another way, a value on a rounding edge can come out a step apart, and stored
    # fingerprints would no longer match.) Only the table's values at the cells' corners are
    # used, so the second running sum is taken along the corner rows alone.
    down = np.zeros((*plane.shape[:-2], rows + 1, width), plane.dtype)
    down[..., 1:, :] = _at_edges(plane.cumsum(axis=-2), row_edges, axis=-2)
    table = np.zeros((*plane.shape[:-2], rows + 1, columns + 1), np.float64)
    table[..., 1:] = _at_edges(down.cumsum(axis=-1), column_edges, axis=-1)
    sums = table[..., 1:, 1:] - table[..., :-1, 1:] - table[..., 1:, :-1] + table[..., :-1, :-1]
    areas = np.maximum(np.diff(row_edges)[:, None] * np.diff(column_edges)[None, :], 1)
    means: np.ndarray = (sums / areas).reshape(*plane.shape[:-2], rows * columns)
    return means


def _at_edges(running: np.ndarray, edges: np.ndarray, *, axis: int) -> np.ndarray:
    """The running sums up to (not including) each edge after the first: 0 for an edge at 0."""
    ends = edges[1:]
    taken = np.take(running, np.maximum(ends - 1, 0), axis=axis)
    shape = [1] * running.ndim
    shape[axis] = len(ends)
    at_edges: np.ndarray = np.where((ends > 0).reshape(shape), taken, 0)
    return at_edges


@functools.lru_cache(maxsize=256)
def _grid_edges(length: int, cells: int) -> np.ndarray:
    edges = np.linspace(0, length, cells + 1).round().astype(np.intp)
    edges.flags.writeable = False  # shared between calls
    return edges


def cropped(rgb: np.ndarray) -> np.ndarray:
    """`rgb` without its dark borders."""
    top, bottom, left, right = content_box(rgb)
    return rgb[top:bottom, left:right]


def visual_features(pictures: np.ndarray) -> np.ndarray:
    """Picture samples (n×H×W×3 RGB bytes) as n rows of VISUAL_FEATURES uint8 values.

    Measured many at a time: one sample's few dozen NumPy calls on a 64×64 picture are mostly
    interpreter time under the GIL, which the decoder's thread needs between packets; a batch costs
    the same calls once. Every value is the one a sample measured alone would get (the same
    element-wise operations and running sums, in the same order)."""
    features = np.empty((len(pictures), VISUAL_FEATURES), np.uint8)
    boxes = content_boxes(pictures, BORDER_LEVEL * 255.0)
    # Samples with the same borders (nearly always all of them) are cropped and measured together.
    distinct, group_of = np.unique(boxes, axis=0, return_inverse=True)
    for group, (top, bottom, left, right) in enumerate(distinct):
        members = np.flatnonzero(group_of.ravel() == group)
        picture = pictures[members, top:bottom, left:right].astype(np.float32) / 255.0
        luma = picture @ np.array([0.299, 0.587, 0.114], np.float32)
        blue = (picture[..., 2] - luma) * 0.564
        red = (picture[..., 0] - luma) * 0.713
        values = np.concatenate(
            [
                grid_means(luma, LUMA_GRID, LUMA_GRID),
                grid_means(blue, CHROMA_GRID, CHROMA_GRID) + 0.5,
                grid_means(red, CHROMA_GRID, CHROMA_GRID) + 0.5,
            ],
            axis=1,
        )
        features[members] = np.clip(np.round(values * 255.0), 0, 255).astype(np.uint8)
    return features


class PictureSampler:
    """Takes decoded frames in presentation order and keeps, for every sampling time k /
    VISUAL_RATE, the features of the frame shown then (the last frame at or before it)."""

    def __init__(self, *, fps: float) -> None:
        self.spacing = 1.0 / VISUAL_RATE
        self.frame_seconds = 1.0 / fps
        self.samples: list[np.ndarray] = []
        self._previous: tuple[float, np.ndarray] | None = None

    def wants(self, time: float, duration: float | None = None) -> bool:
        """Whether a frame shown from `time` for `duration` seconds (one frame by default) is on
        screen at a sampling time: the frames worth decoding even when nothing refers to them."""
        length = duration or self.frame_seconds
        first = math.ceil(time / self.spacing - 1e-6)
        return first * self.spacing < time + length - 1e-6

    def add(self, time: float, features: np.ndarray) -> None:
        """A frame shown from `time` on, already measured (see `visual_features`)."""
        if self._previous is not None:
            self._fill_until(time)
        elif time > 1e-6:
            # Sampling times before the first picture show it (players show the first frame).
            self._fill_with(features, until=time)
        self._previous = (time, features)

    def finish(self, end: float) -> np.ndarray:
        """The samples up to `end` seconds, as (n, VISUAL_FEATURES) uint8."""
        if self._previous is not None:
            self._fill_until(end)
        if not self.samples:
            return np.zeros((0, VISUAL_FEATURES), np.uint8)
        return np.stack(self.samples)

    def _fill_until(self, time: float) -> None:
        assert self._previous is not None
        self._fill_with(self._previous[1], until=time)

    def _fill_with(self, features: np.ndarray, *, until: float) -> None:
        while len(self.samples) * self.spacing < until - 1e-6:
            self.samples.append(features)


# --- the sound -----------------------------------------------------------------------------------


class SoundSampler:
    """Collects log-mel frames (dB above the floor, 32 bands, with their centre times) as the clip
    embedding's spectrogram makes them, and puts them on the AUDIO_RATE grid at the end."""

    def __init__(self) -> None:
        self._times: list[np.ndarray] = []
        self._levels: list[np.ndarray] = []

    def add(self, centres: np.ndarray, levels: np.ndarray) -> None:
        bands = levels.shape[1]
        pooled = levels.reshape(len(levels), AUDIO_BANDS, bands // AUDIO_BANDS).mean(axis=2)
        self._times.append(np.asarray(centres, np.float64))
        self._levels.append(pooled.astype(np.float32))

    def finish(self, end: float) -> np.ndarray | None:
        if not self._times:
            return None
        times = np.concatenate(self._times)
        levels = np.concatenate(self._levels)
        order = np.argsort(times, kind="stable")
        times, levels = times[order], levels[order]
        grid = np.arange(max(1, math.ceil(end * AUDIO_RATE - 1e-6))) / AUDIO_RATE
        on_grid = np.empty((len(grid), AUDIO_BANDS), np.float32)
        for band in range(AUDIO_BANDS):
            # Before the first and after the last frame: silence, not the edge frame held.
            on_grid[:, band] = np.interp(grid, times, levels[:, band], left=0.0, right=0.0)
        quantised: np.ndarray = np.clip(np.round(on_grid * AUDIO_STEPS_PER_DB), 0, 255).astype(np.uint8)
        return quantised
