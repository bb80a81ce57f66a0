"""A poster and a thumbnail sprite (tiles every few seconds, for timeline hover previews).

The frames are the first shown at or after each tile time (and the poster time). They are picked out
of the `local` clip embedding's decode pass when that runs anyway (`TileGatherer`, handed to it as
a frame tap: one pass through the file instead of two); otherwise `make_thumbnails` makes its own
pass. JPEGs are encoded with FFmpeg's mjpeg encoder through PyAV, so no imaging library is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

POSTER_WIDTH = 640
TILE_WIDTH = 160
SPRITE_COLUMNS = 10
MAX_TILES = 100
MIN_INTERVAL_SECONDS = 2.0


@dataclass(frozen=True)
class Thumbnails:
    poster_jpeg: bytes
    sprite_jpeg: bytes
    # {"columns", "rows", "tile_width", "tile_height", "interval", "count"}: where time t is in the sprite.
    sprite_meta: dict[str, float | int]


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def encode_jpeg(rgb: np.ndarray) -> bytes:
    height, width = rgb.shape[:2]
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format="yuvj420p")
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)
    codec.options = {"qscale": "4"}
    packets = [*codec.encode(frame), *codec.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


# Frame times are rationals turned into floats: a frame exactly at a tile time may land a hair before it.
_TIME_TOLERANCE = 1e-4


@dataclass(frozen=True)
class _Plan:
    interval: float
    tile_times: list[float]
    poster_time: float


def _plan(duration: float) -> _Plan:
    interval = max(MIN_INTERVAL_SECONDS, duration / MAX_TILES)
    tile_times = [i * interval for i in range(max(1, math.ceil(duration / interval)))]
    return _Plan(interval=interval, tile_times=tile_times, poster_time=min(duration * 0.1, 5.0))


class TileGatherer:
    """The poster and tiles taken from another decode pass (see videos.embeddings.local.FrameTap):
    it asks for the frames it needs to be decoded, and takes, for each tile time, the first frame
    at or after it, as `make_thumbnails`'s own pass would."""

    def __init__(self, *, duration: float) -> None:
        self.plan = _plan(duration)
        self.tiles: list[np.ndarray] = []
        self.poster: np.ndarray | None = None
        self.tile_height = self.poster_height = 0

    def wants(self, time: float, length: float) -> bool:
        """Whether a frame shown from `time` for `length` seconds is the first at or after a tile
        time or the poster time (packets come in decoding order: nothing is assumed about order)."""
        plan = self.plan
        number = math.floor((time + _TIME_TOLERANCE) / plan.interval)
        if 0 <= number < len(plan.tile_times) and time - plan.tile_times[number] < length - _TIME_TOLERANCE:
            return True
        return time - length < plan.poster_time - _TIME_TOLERANCE <= time

    def add(self, time: float, frame: av.VideoFrame) -> None:
        """A decoded frame, in presentation order."""
        if not self.tile_height:
            aspect = (frame.height or 9) / (frame.width or 16)
            self.tile_height, self.poster_height = _even(TILE_WIDTH * aspect), _even(POSTER_WIDTH * aspect)
        plan = self.plan
        if self.poster is None and time + _TIME_TOLERANCE >= plan.poster_time:
            self.poster = frame.to_ndarray(width=POSTER_WIDTH, height=self.poster_height, format="rgb24")
        if len(self.tiles) < len(plan.tile_times) and time + _TIME_TOLERANCE >= plan.tile_times[len(self.tiles)]:
            self.tiles.append(frame.to_ndarray(width=TILE_WIDTH, height=self.tile_height, format="rgb24"))


def make_thumbnails(path: Path, *, duration: float, gathered: TileGatherer | None = None) -> Thumbnails:
    """The poster and sprite of the file at `path`: from the frames `gathered` in another pass, or
    from a decode pass of its own."""
    if gathered is None:
        gathered = _gather(path, duration)
    tiles, poster, plan = gathered.tiles, gathered.poster, gathered.plan
    if not tiles:
        raise ValueError("No frame could be decoded for the thumbnails.")
    if poster is None:  # a video shorter than the poster time: use its last tile, enlarged
        poster = np.repeat(np.repeat(tiles[-1], 4, axis=0), 4, axis=1)
    tile_height = gathered.tile_height
    rows = math.ceil(len(tiles) / SPRITE_COLUMNS)
    columns = min(len(tiles), SPRITE_COLUMNS)
    sprite = np.zeros((rows * tile_height, columns * TILE_WIDTH, 3), dtype=np.uint8)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, SPRITE_COLUMNS)
        sprite[row * tile_height : (row + 1) * tile_height, column * TILE_WIDTH : (column + 1) * TILE_WIDTH] = tile
    meta: dict[str, float | int] = {
        "columns": columns,
        "rows": rows,
        "tile_width": TILE_WIDTH,
        "tile_height": tile_height,
        "interval": plan.interval,
        "count": len(tiles),
    }
    return Thumbnails(poster_jpeg=encode_jpeg(poster), sprite_jpeg=encode_jpeg(sprite), sprite_meta=meta)


def _gather(path: Path, duration: float) -> TileGatherer:
    gathered = TileGatherer(duration=duration)
    with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
        stream = container.streams.video[0]
        # Slice threads only: a frame-threaded decoder left early (the break below) with frames
        # skipped could hang for ever in avcodec_free_context (seen once in CI, a test stuck 20 min).
        stream.thread_type = "SLICE"
        stream.codec_context.skip_frame = "NONREF"  # tiles do not need every frame
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            gathered.add(frame.time, frame)
            if gathered.poster is not None and len(gathered.tiles) == len(gathered.plan.tile_times):
                break
    return gathered
