"""A frame's number written in its pixels, and read back without OCR (issue 62's frame-exact tests).

The number is a band of large black and white cells across the top of the picture: two rows of 15,
laid out in fractions of the frame, so the same cells are found at any size the picture is scaled
to. Cell 0 is always white and the last always black: the reader takes its threshold from them, so
limited- or full-range luma, a grade or a re-encode's drift in levels do not matter. Between them,
20 bits of the number (most significant first) and a CRC-8 of it: a picture without the band, or a
blend of two frames (a cross-fade, a decoder's concealment), reads as None, never as a wrong number.

Under the band the number is also drawn in big seven-segment digits, for the people looking at a
still or a failing test's frame.
"""

from __future__ import annotations

import av
import numpy as np

NUMBER_BITS = 20
LARGEST_NUMBER = (1 << NUMBER_BITS) - 1  # 1,048,575: over four hours of frames at 59.94 fps
CHECK_BITS = 8
ROWS, CELLS_PER_ROW = 2, 15  # ROWS × CELLS_PER_ROW = the white guard + bits + check + the black guard
# The band, in fractions of the frame: wide cells (1/16.7 of the width) so that they keep a flat
# middle after x264 at CRF 23 and a scale down to 180 lines.
BAND_LEFT, BAND_RIGHT = 0.05, 0.95
BAND_TOP, ROW_HEIGHT = 0.04, 0.10
DIGITS_TOP, DIGITS_HEIGHT = 0.60, 0.28
WHITE, BLACK = 255, 0
# Luma between the guards must span at least this, and each cell must sit this share of that span
# away from the midpoint: a cell nearer the middle is a blend, not a bit.
_LEAST_CONTRAST = 64
_DECISIVE_SHARE = 0.25
_CRC_POLYNOMIAL = 0x07  # CRC-8/SMBUS
# Which of the seven segments (a top, b top right, c bottom right, d bottom, e bottom left, f top
# left, g middle) each digit lights.
_SEGMENTS = {
    "0": "abcdef",
    "1": "bc",
    "2": "abdeg",
    "3": "abcdg",
    "4": "bcfg",
    "5": "acdfg",
    "6": "acdefg",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
}

assert ROWS * CELLS_PER_ROW == 1 + NUMBER_BITS + CHECK_BITS + 1


def crc8(number: int) -> int:
    """The CRC-8 of `number`'s three bytes (big-endian): the band's check bits."""
    crc = 0
    for byte in number.to_bytes(3, "big"):
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ _CRC_POLYNOMIAL) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _cell_values(number: int) -> list[int]:
    """Each cell's level, in reading order: guard, bits, check, guard."""
    bits = [(number >> shift) & 1 for shift in range(NUMBER_BITS - 1, -1, -1)]
    check = crc8(number)
    check_bits = [(check >> shift) & 1 for shift in range(CHECK_BITS - 1, -1, -1)]
    return [WHITE, *(WHITE if bit else BLACK for bit in (*bits, *check_bits)), BLACK]


def cell_boxes(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) of every cell in reading order, in pixels of a width×height picture."""
    cell_width = (BAND_RIGHT - BAND_LEFT) / CELLS_PER_ROW
    boxes = []
    for row in range(ROWS):
        top, bottom = round(height * (BAND_TOP + row * ROW_HEIGHT)), round(height * (BAND_TOP + (row + 1) * ROW_HEIGHT))
        for column in range(CELLS_PER_ROW):
            left = round(width * (BAND_LEFT + column * cell_width))
            right = round(width * (BAND_LEFT + (column + 1) * cell_width))
            boxes.append((top, bottom, left, right))
    return boxes


def draw_frame_number(image: np.ndarray, number: int) -> None:
    """Write `number` into the RGB `image` (height×width×3 uint8), in place: the band and the digits."""
    if not 0 <= number <= LARGEST_NUMBER:
        raise ValueError(f"a frame number is 0 to {LARGEST_NUMBER}, not {number}")
    height, width = image.shape[:2]
    for (top, bottom, left, right), level in zip(cell_boxes(width, height), _cell_values(number), strict=True):
        image[top:bottom, left:right] = level
    _draw_digits(image, str(number))


def _draw_digits(image: np.ndarray, text: str) -> None:
    """`text` in white seven-segment digits on a black plate, centred below the band."""
    height, width = image.shape[:2]
    digit_height = max(7, round(height * DIGITS_HEIGHT))
    digit_width = digit_height // 2
    stroke = max(1, digit_height // 9)
    gap = max(1, digit_width // 3)
    total_width = len(text) * digit_width + (len(text) - 1) * gap
    left, top = (width - total_width) // 2, round(height * DIGITS_TOP)
    margin = gap
    image[max(0, top - margin) : top + digit_height + margin, max(0, left - margin) : left + total_width + margin] = (
        BLACK
    )
    middle = top + digit_height // 2 - stroke // 2
    for index, digit in enumerate(text):
        x = left + index * (digit_width + gap)
        half = digit_height // 2
        strokes = {
            "a": (top, top + stroke, x, x + digit_width),
            "b": (top, top + half, x + digit_width - stroke, x + digit_width),
            "c": (top + half, top + digit_height, x + digit_width - stroke, x + digit_width),
            "d": (top + digit_height - stroke, top + digit_height, x, x + digit_width),
            "e": (top + half, top + digit_height, x, x + stroke),
            "f": (top, top + half, x, x + stroke),
            "g": (middle, middle + stroke, x, x + digit_width),
        }
        for segment in _SEGMENTS[digit]:
            y0, y1, x0, x1 = strokes[segment]
            image[y0:y1, x0:x1] = WHITE


def _luma(picture: av.VideoFrame | np.ndarray) -> np.ndarray:
    if isinstance(picture, av.VideoFrame):
        return picture.to_ndarray(format="gray").astype(np.float32)
    if picture.ndim == 3:
        # BT.601 weights; the cells are grey, so any weights that sum to 1 give the same level.
        return picture[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return picture.astype(np.float32)


def cell_middles(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) of the middle half of every cell each way, in reading order: the
    part a reader averages (a cell's edges blur and ring after scaling and coding)."""
    middles = []
    for top, bottom, left, right in cell_boxes(width, height):
        rows, columns = (bottom - top) // 4, (right - left) // 4
        middles.append((top + rows, bottom - rows, left + columns, right - columns))
    return middles


def read_frame_number(picture: av.VideoFrame | np.ndarray) -> int | None:
    """The number drawn into `picture` (a decoded PyAV frame, an RGB height×width×3 array or a
    height×width luma array, at any size from 180 lines up), or None when the band cannot be read:
    no band, a blend of two frames, or a check that does not match."""
    luma = _luma(picture)
    height, width = luma.shape
    levels = []
    for top, bottom, left, right in cell_middles(width, height):
        middle = luma[top:bottom, left:right]
        if middle.size == 0:
            return None
        levels.append(float(middle.mean()))
    return number_from_levels(levels)


def number_from_levels(levels: list[float]) -> int | None:
    """The number the cells' mean luma levels (`cell_middles` order) spell, or None (see
    `read_frame_number`). A page that averages the cells itself (a browser test's canvas) sends these."""
    if len(levels) != ROWS * CELLS_PER_ROW:
        return None
    white, black = levels[0], levels[-1]
    if white - black < _LEAST_CONTRAST:
        return None
    threshold, least_distance = (white + black) / 2, (white - black) * _DECISIVE_SHARE
    if any(abs(level - threshold) < least_distance for level in levels):
        return None
    bits = [int(level > threshold) for level in levels[1:-1]]
    number = int("".join(map(str, bits[:NUMBER_BITS])), 2)
    check = int("".join(map(str, bits[NUMBER_BITS:])), 2)
    return number if check == crc8(number) else None
