"""Draws the extension's icons (extension/icons/icon{16,32,48,128}.png): a play button on a dark
disc with a note's line under it. Pure Python (zlib + struct) because the project has no imaging
library; the PNGs are committed, so this runs only when the design changes:

    .venv/bin/python devtools/extension_icons.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "extension" / "icons"
SIZES = (16, 32, 48, 128)
SUPERSAMPLE = 4  # sub-pixels per side, averaged: smooth edges without an imaging library

DISC = (32, 58, 94)
MARK = (255, 255, 255)
LINE = (255, 196, 61)


def _colour_at(x: float, y: float) -> tuple[int, int, int, int]:
    """The icon's colour at (x, y) in the unit square (transparent outside the disc)."""
    dx, dy = x - 0.5, y - 0.5
    if dx * dx + dy * dy > 0.48 * 0.48:
        return (0, 0, 0, 0)
    # A play triangle pointing right, a little above the centre.
    if 0.36 <= x <= 0.70:
        half_height = 0.20 * (0.70 - x) / 0.34
        if abs(y - 0.43) <= half_height:
            return (*MARK, 255)
    # The note's line under it.
    if 0.28 <= x <= 0.72 and 0.71 <= y <= 0.79:
        return (*LINE, 255)
    return (*DISC, 255)


def _pixels(size: int) -> bytes:
    rows = bytearray()
    samples = SUPERSAMPLE * SUPERSAMPLE
    for row in range(size):
        rows.append(0)  # PNG filter type 0 (none) for this scanline
        for column in range(size):
            totals = [0, 0, 0, 0]
            for sub_y in range(SUPERSAMPLE):
                for sub_x in range(SUPERSAMPLE):
                    x = (column + (sub_x + 0.5) / SUPERSAMPLE) / size
                    y = (row + (sub_y + 0.5) / SUPERSAMPLE) / size
                    red, green, blue, alpha = _colour_at(x, y)
                    # Premultiplied while averaging, so transparent samples do not darken the edge.
                    totals[0] += red * alpha
                    totals[1] += green * alpha
                    totals[2] += blue * alpha
                    totals[3] += alpha
            alpha_sum = totals[3]
            if alpha_sum == 0:
                rows.extend((0, 0, 0, 0))
            else:
                rows.extend((*(round(total / alpha_sum) for total in totals[:3]), round(alpha_sum / samples)))
    return bytes(rows)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(size: int) -> bytes:
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(_pixels(size), 9))
        + _chunk(b"IEND", b"")
    )


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        (ICONS / f"icon{size}.png").write_bytes(png(size))


if __name__ == "__main__":
    main()
