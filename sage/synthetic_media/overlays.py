"""What an editor puts over a picture or does to its sound, for edited versions (:mod:`.edits`).

Picture: a small corner :class:`Logo`, :class:`BurnedText` (subtitles in block letters drawn from a
5×7 bitmap font here: no font files), a semi-transparent :class:`Banner`, a colour :class:`Grade`
(mild or strong), and :class:`ReplacePicture` (another programme's picture, sound kept).
Sound: :class:`SwapMusic` (another programme's music bed, speech and ambience kept), :class:`Mute`,
:class:`MusicLevel` (the music bed louder or quieter under the speech) and :class:`DropSpeech`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .natural import Programme, blob

Channel = Literal["picture", "sound"]

# fmt: off
_FONT = {
    "A": ".###.|#...#|#...#|#####|#...#|#...#|#...#", "B": "####.|#...#|#...#|####.|#...#|#...#|####.",
    "C": ".###.|#...#|#....|#....|#....|#...#|.###.", "D": "####.|#...#|#...#|#...#|#...#|#...#|####.",
    "E": "#####|#....|#....|####.|#....|#....|#####", "F": "#####|#....|#....|####.|#....|#....|#....",
    "G": ".###.|#...#|#....|#.###|#...#|#...#|.####", "H": "#...#|#...#|#...#|#####|#...#|#...#|#...#",
    "I": ".###.|..#..|..#..|..#..|..#..|..#..|.###.", "J": "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
    "K": "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#", "L": "#....|#....|#....|#....|#....|#....|#####",
    "M": "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#", "N": "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#",
    "O": ".###.|#...#|#...#|#...#|#...#|#...#|.###.", "P": "####.|#...#|#...#|####.|#....|#....|#....",
    "Q": ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#", "R": "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
    "S": ".####|#....|#....|.###.|....#|....#|####.", "T": "#####|..#..|..#..|..#..|..#..|..#..|..#..",
    "U": "#...#|#...#|#...#|#...#|#...#|#...#|.###.", "V": "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
    "W": "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.", "X": "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
    "Y": "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..", "Z": "#####|....#|...#.|..#..|.#...|#....|#####",
    "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.", "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
    "2": ".###.|#...#|....#|...#.|..#..|.#...|#####", "3": "####.|....#|....#|.###.|....#|....#|####.",
    "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.", "5": "#####|#....|####.|....#|....#|#...#|.###.",
    "6": ".###.|#....|#....|####.|#...#|#...#|.###.", "7": "#####|....#|...#.|..#..|.#...|.#...|.#...",
    "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.", "9": ".###.|#...#|#...#|.####|....#|....#|.###.",
    " ": ".....|.....|.....|.....|.....|.....|.....", ".": ".....|.....|.....|.....|.....|.##..|.##..",
    ",": ".....|.....|.....|.....|.##..|..#..|.#...", "!": "..#..|..#..|..#..|..#..|..#..|.....|..#..",
    "?": ".###.|#...#|....#|...#.|..#..|.....|..#..", "-": ".....|.....|.....|.###.|.....|.....|.....",
    "'": "..#..|..#..|.#...|.....|.....|.....|.....",
}
# fmt: on
GLYPHS = {
    char: np.array([[dot == "#" for dot in row] for row in rows.split("|")], bool) for char, rows in _FONT.items()
}


def text_mask(text: str, scale: int) -> np.ndarray:
    """A boolean picture of `text` in 5×7 block letters, each dot `scale` pixels, one dot between letters."""
    glyphs = [GLYPHS.get(char, GLYPHS["?"]) for char in text.upper()]
    if not glyphs:
        return np.zeros((7 * scale, 0), bool)
    spaced = [np.pad(glyph, ((0, 0), (0, 1))) for glyph in glyphs]
    mask = np.concatenate(spaced, axis=1)[:, :-1]
    return np.repeat(np.repeat(mask, scale, axis=0), scale, axis=1)


def _paint_text(image: np.ndarray, text: str, *, scale: int, centre_x: float, top: int, colour: np.ndarray) -> None:
    mask = text_mask(text, scale)
    height, width = image.shape[:2]
    left = round(centre_x - mask.shape[1] / 2)
    x0, x1 = max(0, left), min(width, left + mask.shape[1])
    y0, y1 = max(0, top), min(height, top + mask.shape[0])
    if x0 < x1 and y0 < y1:
        image[y0:y1, x0:x1][mask[y0 - top : y1 - top, x0 - left : x1 - left]] = colour


# --- picture -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Logo:
    """A broadcaster's corner logo: a disc and two letters, `size` frame heights across, `opacity`."""

    corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = "top-right"
    size: float = 0.14
    letters: str = "TV"
    opacity: float = 0.85
    channel: Channel = "picture"

    def apply(self, image: np.ndarray, local_time: float) -> None:
        height, width = image.shape[:2]
        size = self.size * height
        margin = 0.05 * height
        cx = margin + size / 2 if "left" in self.corner else width - margin - size / 2
        cy = margin + size / 2 if "top" in self.corner else height - margin - size / 2
        blob(image, cx, cy, size / 2, size / 2, np.array([240, 240, 240], np.float32), self.opacity)
        blob(image, cx, cy, size / 2.6, size / 2.6, np.array([200, 40, 40], np.float32), self.opacity)
        scale = max(1, round(size / 14))
        _paint_text(
            image, self.letters, scale=scale, centre_x=cx, top=round(cy - 3.5 * scale), colour=np.full(3, 250.0)
        )


@dataclass(frozen=True)
class BurnedText:
    """Subtitles burned into the picture: `lines` in turn, `line_seconds` each, white block letters
    on a dark box across the bottom."""

    lines: tuple[str, ...]
    line_seconds: float = 2.5
    channel: Channel = "picture"

    def apply(self, image: np.ndarray, local_time: float) -> None:
        height, width = image.shape[:2]
        text = self.lines[int(local_time // self.line_seconds) % len(self.lines)]
        scale = max(1, round(height / 90))
        text_width = len(text) * 6 * scale
        top = round(height * 0.82)
        left, right = (width - text_width) / 2 - 2 * scale, (width + text_width) / 2 + 2 * scale
        region = image[top - 2 * scale : top + 9 * scale, max(0, round(left)) : min(width, round(right))]
        region *= 0.35
        _paint_text(image, text, scale=scale, centre_x=width / 2, top=top, colour=np.full(3, 245.0))


@dataclass(frozen=True)
class Banner:
    """A lower-third banner: a coloured band across the frame at `opacity`, with a line of text."""

    text: str = "LIVE FROM THE HARBOUR"
    colour: tuple[int, int, int] = (20, 60, 170)
    opacity: float = 0.6
    channel: Channel = "picture"

    def apply(self, image: np.ndarray, local_time: float) -> None:
        height, width = image.shape[:2]
        top, bottom = round(height * 0.66), round(height * 0.84)
        band = image[top:bottom, round(width * 0.04) : round(width * 0.96)]
        band += (np.array(self.colour, np.float32) - band) * self.opacity
        scale = max(1, round(height / 100))
        _paint_text(
            image,
            self.text,
            scale=scale,
            centre_x=width * 0.45,
            top=top + (bottom - top - 7 * scale) // 2,
            colour=np.full(3, 250.0),
        )


@dataclass(frozen=True)
class Grade:
    """A colour grade. Mild: a warm or cool cast of ~15 levels and a touch of contrast (seen beside
    the original). Strong: a heavy look (teal and orange, bleach bypass, day for night)."""

    strength: Literal["mild", "strong"]
    look: Literal["warm", "cool", "teal-orange", "bleach", "night"] = "warm"
    channel: Channel = "picture"

    def apply(self, image: np.ndarray, local_time: float) -> None:
        luma = (image @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
        if self.look in ("warm", "cool"):
            sign = 1.0 if self.look == "warm" else -1.0
            amount = 16.0 if self.strength == "mild" else 45.0
            image += np.array([sign * amount, sign * amount * 0.2, -sign * amount], np.float32)
            image[:] = (image - 128) * (1.06 if self.strength == "mild" else 1.3) + 128
        elif self.look == "teal-orange":
            # Shadows pushed to teal, mid-tones and highlights to orange, more saturation and contrast.
            light = np.clip(luma / 255, 0, 1)
            image[:] = (luma + (image - luma) * 1.35 - 128) * 1.2 + 128
            image += (1 - light) ** 1.5 * np.array([-45, 15, 50], np.float32)
            image += light**0.7 * np.array([50, 12, -45], np.float32)
        elif self.look == "bleach":
            image[:] = ((luma + (image - luma) * 0.25) - 128) * 1.45 + 128
        else:  # night
            image[:] = (luma * 0.3 + image * 0.2) * np.array([0.7, 0.85, 1.4], np.float32)


@dataclass(frozen=True)
class ReplacePicture:
    """Another programme's picture at the same source times (the sound is kept)."""

    source: Programme
    channel: Channel = "picture"


PictureEffect = Logo | BurnedText | Banner | Grade | ReplacePicture


# --- sound -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwapMusic:
    """The music bed comes from another programme (speech and ambience kept)."""

    source: Programme
    channel: Channel = "sound"


@dataclass(frozen=True)
class Mute:
    channel: Channel = "sound"


@dataclass(frozen=True)
class MusicLevel:
    """The music bed `db` decibels louder (or quieter, negative) under the speech."""

    db: float
    channel: Channel = "sound"


@dataclass(frozen=True)
class DropSpeech:
    """The dialogue stem left out (music and ambience kept)."""

    channel: Channel = "sound"


SoundEffect = SwapMusic | Mute | MusicLevel | DropSpeech
Effect = PictureEffect | SoundEffect


def music_gain(effect: MusicLevel) -> float:
    return float(math.pow(10, effect.db / 20))
