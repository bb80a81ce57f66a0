"""A poster and a thumbnail sprite (tiles every few seconds, for timeline hover previews).

One decode pass through the file, keeping a frame at each tile time; JPEGs are encoded with
FFmpeg's mjpeg encoder through PyAV, so no imaging library is needed.
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


def make_thumbnails(path: Path, *, duration: float) -> Thumbnails:
    interval = max(MIN_INTERVAL_SECONDS, duration / MAX_TILES)
    tile_times = [i * interval for i in range(max(1, math.ceil(duration / interval)))]
    poster_time = min(duration * 0.1, 5.0)
    tiles: list[np.ndarray] = []
    poster: np.ndarray | None = None
    with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.skip_frame = "NONREF"  # tiles do not need every frame
        aspect = (stream.codec_context.height or 9) / (stream.codec_context.width or 16)
        tile_height = _even(TILE_WIDTH * aspect)
        poster_height = _even(POSTER_WIDTH * aspect)
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            if poster is None and frame.time >= poster_time:
                poster = frame.to_ndarray(width=POSTER_WIDTH, height=poster_height, format="rgb24")
            if len(tiles) < len(tile_times) and frame.time >= tile_times[len(tiles)]:
                tiles.append(frame.to_ndarray(width=TILE_WIDTH, height=tile_height, format="rgb24"))
            if poster is not None and len(tiles) == len(tile_times):
                break
    if not tiles:
        raise ValueError("No frame could be decoded for the thumbnails.")
    if poster is None:  # a video shorter than the poster time: use its last tile, enlarged
        poster = np.repeat(np.repeat(tiles[-1], 4, axis=0), 4, axis=1)
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
        "interval": interval,
        "count": len(tiles),
    }
    return Thumbnails(poster_jpeg=encode_jpeg(poster), sprite_jpeg=encode_jpeg(sprite), sprite_meta=meta)
