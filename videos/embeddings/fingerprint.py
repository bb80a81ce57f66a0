"""A video's fingerprint: what the comparison engine aligns and screens on, finer than the 2 s clips.

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

import numba
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
    def layout(self) -> np.ndarray:
        """The luma grid without each sample's mean: the picture's layout, which tells moments
        apart better than their level (videos.engine.signals; made once for every pass)."""
        layout = _without_row_means(self.visual_floats, LUMA_GRID * LUMA_GRID)
        layout.flags.writeable = False
        return layout

    @cached_property
    def audio_levels(self) -> np.ndarray | None:
        """The sound frames as float32 dB above the floor."""
        if self.audio is None:
            return None
        levels: np.ndarray = self.audio.astype(np.float32) / AUDIO_STEPS_PER_DB
        levels.flags.writeable = False
        return levels


@numba.njit(cache=True, nogil=True)
def _without_row_means(values: np.ndarray, cells: int) -> np.ndarray:
    """`luma - luma.mean(axis=1, keepdims=True)` for the first `cells` columns, to the bit: each
    row summed as NumPy sums fewer than 128 float32 values (eight running sums, added in pairs).
    Compiled (numba): NumPy made three passes and two temporaries (10 ms an hour of video; 1 ms)."""
    rows = values.shape[0]
    layout = np.empty((rows, cells), np.float32)
    sums = np.empty(8, np.float32)
    for row in range(rows):
        column = 0
        total = np.float32(0.0)
        if cells >= 8:
            sums[:] = values[row, :8]
            column = 8
            while column + 8 <= cells:
                for lane in range(8):
                    sums[lane] += values[row, column + lane]
                column += 8
            total = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
        while column < cells:
            total += values[row, column]
            column += 1
        mean = total / np.float32(cells)
        for cell in range(cells):
            layout[row, cell] = values[row, cell] - mean
    return layout


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


# A cell's mean luma and colour differences are linear in its pixels, so they are worked out from
# its integer channel sums with BT.601's weights in thousandths: (R, G, B) sums to luma, blue
# difference and red difference, each 255 × its 0–1 value times the cell's area (× 1000 for luma,
# × 1000² for the differences: 0.564·(B − Y) = 564·(886·B − 299·R − 587·G) / 1000²).
_LUMA_PER_MILLE = np.array([299, 587, 114], np.int64)
_BLUE_DIFFERENCE_PER_MILLION = 564 * np.array([-299, -587, 886], np.int64)
_RED_DIFFERENCE_PER_MILLION = 713 * np.array([701, -587, -114], np.int64)
# Float32 sums of bytes are exact while every partial sum stays below 2**24.
_MOST_PIXELS_SUMMED_EXACTLY = (1 << 24) // 255


def cell_sums(pictures: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Channel sums of byte pictures (n×H×W×C) over a rows×columns grid of (nearly) equal cells
    (the cells `_grid_edges` gives), as n×rows×columns×C int64.

    Two matrix products against 0/1 cell matrices: in float32, and exact, because every partial
    sum is a whole number below 2**24 (at most H·W·255)."""
    count, height, width, channels = pictures.shape
    if height * width > _MOST_PIXELS_SUMMED_EXACTLY:
        raise ValueError(f"{height}×{width} pictures are too large to sum exactly in float32")
    down = _cell_matrix(height, rows) @ pictures.astype(np.float32).reshape(count, height, width * channels)
    across = down.reshape(count, rows, width, channels).transpose(0, 1, 3, 2) @ _cell_matrix(width, columns).T
    sums: np.ndarray = across.transpose(0, 1, 3, 2).astype(np.int64)
    return sums


@functools.lru_cache(maxsize=256)
def _cell_matrix(length: int, cells: int) -> np.ndarray:
    """cells × length: row i is 1 over the pixels of cell i and 0 elsewhere."""
    edges = _grid_edges(length, cells)
    positions = np.arange(length)
    matrix = ((positions >= edges[:-1, None]) & (positions < edges[1:, None])).astype(np.float32)
    matrix.flags.writeable = False  # shared between calls
    return matrix


def _cell_areas(height: int, width: int, rows: int, columns: int) -> np.ndarray:
    return np.diff(_grid_edges(height, rows))[:, None] * np.diff(_grid_edges(width, columns))[None, :]


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
    """Picture samples (n×H×W×3 RGB bytes, H·W at most 65,793) as n rows of VISUAL_FEATURES uint8
    values: each the step nearest to its cell's mean (luma, then blue and red difference + ½, in
    0–1) × 255, the mean worked out exactly from the cell's channel sums (`cell_sums`).

    Exact rather than pixel by pixel in float32: that way missed the nearest step by one on the
    rounding edges of bench/pipeline.py's video, and cost more CPU (figures in bench/RESULTS.md).
    Measured many at a time: a sample's NumPy calls on a 64×64 picture are mostly interpreter
    time under the GIL, which the decoder's thread needs between packets; a batch makes the same
    calls once, and each sample gets the values it gets alone."""
    features = np.empty((len(pictures), VISUAL_FEATURES), np.uint8)
    boxes = content_boxes(pictures, BORDER_LEVEL * 255.0)
    # Samples with the same borders (nearly always all of them) are cropped and measured together.
    distinct, group_of = np.unique(boxes, axis=0, return_inverse=True)
    for group, (top, bottom, left, right) in enumerate(distinct):
        members = np.flatnonzero(group_of.ravel() == group)
        picture = pictures[members, top:bottom, left:right]
        height, width = picture.shape[1:3]
        luma = cell_sums(picture, LUMA_GRID, LUMA_GRID) @ _LUMA_PER_MILLE
        luma_areas = _cell_areas(height, width, LUMA_GRID, LUMA_GRID) * 1000
        chroma = cell_sums(picture, CHROMA_GRID, CHROMA_GRID)
        chroma_areas = _cell_areas(height, width, CHROMA_GRID, CHROMA_GRID) * 1_000_000
        values = np.concatenate(
            [
                (luma / luma_areas).reshape(len(members), -1),
                (chroma @ _BLUE_DIFFERENCE_PER_MILLION / chroma_areas + 127.5).reshape(len(members), -1),
                (chroma @ _RED_DIFFERENCE_PER_MILLION / chroma_areas + 127.5).reshape(len(members), -1),
            ],
            axis=1,
        )
        features[members] = np.clip(np.round(values), 0, 255).astype(np.uint8)
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
