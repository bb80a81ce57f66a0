"""Videos with known text on screen, for reading the screen (videos.screen_text): slides, lower
thirds, burned-in subtitles over moving footage, and signs filmed by a moving camera, in DejaVu's
fonts at known sizes. :func:`make_screen_video` writes one and returns what is shown and when.

    shots = [Shot(0, 6, colour=(20, 30, 70))]
    texts = [ShownText("Gradient descent", 1.0, 4.0, x=0.1, y=0.2, size=40)]
    truth = make_screen_video(tmp_path / "slide.mp4", shots=shots, texts=texts, seconds=6)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .writing import write_streams

FONT_DIRECTORY = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-italic": "DejaVuSerif-Italic.ttf",
    "mono": "DejaVuSansMono.ttf",
    "condensed": "DejaVuSansCondensed.ttf",
}


@dataclass(frozen=True)
class ShownText:
    """One line drawn over the picture from `start` to `end` seconds, its top-left corner at (x, y)
    as fractions of the frame, `size` the font's size in pixels of the frame (about the height of
    its tallest letters); `backing` a box colour behind it (lower thirds, subtitles)."""

    text: str
    start: float
    end: float
    x: float
    y: float
    size: int
    font: str = "sans"
    colour: tuple[int, int, int] = (255, 255, 255)
    backing: tuple[int, int, int] | None = None
    outline: int = 0  # pixels of black outline (subtitles without a box)


@dataclass(frozen=True)
class Sign:
    """Text painted on the scene itself (a sign on a wall): it moves with the camera. (x, y) is its
    place on the shot's canvas as a fraction of the frame, inside the part the camera always sees."""

    text: str
    x: float
    y: float
    size: int
    font: str = "sans-bold"
    colour: tuple[int, int, int] = (20, 20, 20)
    board: tuple[int, int, int] = (235, 225, 190)


@dataclass(frozen=True)
class Shot:
    """From `start` to `end` seconds: a plain `colour` (a slide's background) when `seed` is None,
    otherwise smooth random footage with grain, the camera moving `pan` (fractions of the frame a
    second, right and down) and zooming in by `zoom` a second; `sign` painted on the scene, or
    `picture` (an image file: a page, a photograph) filling the first view as far as it fits."""

    start: float
    end: float
    colour: tuple[int, int, int] = (25, 35, 80)
    seed: int | None = None
    pan: tuple[float, float] = (0.0, 0.0)
    zoom: float = 0.0
    sign: Sign | None = None
    picture: Path | None = None


@dataclass(frozen=True)
class TruthLine:
    """A line the video shows: its words, when, and how tall its letters are in the frame (pixels)."""

    text: str
    start: float
    end: float
    height: int


def make_screen_video(
    path: Path,
    *,
    shots: Sequence[Shot],
    texts: Sequence[ShownText] = (),
    seconds: float,
    width: int = 1280,
    height: int = 720,
    fps: int = 10,
    crf: int = 23,
) -> list[TruthLine]:
    """Encode the shots with `texts` over them (H.264 in MP4, no sound) and return what is shown:
    each text for its times, each sign for its shot's (the camera keeps it in view throughout)."""
    frames = _frames(shots, texts, seconds=seconds, width=width, height=height, fps=fps)
    write_streams(
        path,
        frames=frames,
        width=width,
        height=height,
        fps=fps,
        container="mp4",
        codec="libx264",
        crf=crf,
        bitrate=None,
        samples=None,
        threads=2,
    )
    truth = [TruthLine(text.text, text.start, min(text.end, seconds), text.size) for text in texts]
    for shot in shots:
        if shot.sign is not None:
            scale = 1.0 + shot.zoom * (shot.end - shot.start) / 2  # its size mid-shot
            truth.append(TruthLine(shot.sign.text, shot.start, min(shot.end, seconds), round(shot.sign.size * scale)))
    return sorted(truth, key=lambda line: (line.start, line.text))


def _frames(
    shots: Sequence[Shot], texts: Sequence[ShownText], *, seconds: float, width: int, height: int, fps: int
) -> Iterator[np.ndarray]:
    still_cache: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}
    for index in range(round(seconds * fps)):
        time = index / fps
        shot_index, shot = next(
            ((number, shot) for number, shot in enumerate(shots) if shot.start <= time < shot.end),
            (-1, Shot(0, seconds, colour=(0, 0, 0))),
        )
        shown = tuple(number for number, text in enumerate(texts) if text.start <= time < text.end)
        if shot.seed is None:
            key = (shot_index, shown)
            if key not in still_cache:
                still_cache.clear()
                picture = Image.new("RGB", (width, height), shot.colour)
                _draw_texts(picture, [texts[number] for number in shown])
                still_cache[key] = np.asarray(picture)
            yield still_cache[key]
            continue
        picture = _camera_view(shot, time - shot.start, width, height)
        _draw_texts(picture, [texts[number] for number in shown])
        yield np.asarray(picture)


def _camera_view(shot: Shot, elapsed: float, width: int, height: int) -> Image.Image:
    assert shot.seed is not None
    canvas = _canvas(shot.seed, shot.sign, shot.picture, width, height)
    zoom = 1.0 + shot.zoom * elapsed
    view_width, view_height = width / zoom, height / zoom
    # The camera starts centred on the canvas (twice the frame's size) and moves from there.
    centre_x = width + shot.pan[0] * width * elapsed
    centre_y = height + shot.pan[1] * height * elapsed
    box = (centre_x - view_width / 2, centre_y - view_height / 2, centre_x + view_width / 2, centre_y + view_height / 2)
    view = canvas.resize((width, height), Image.Resampling.BILINEAR, box=box)
    grain = _grain(shot.seed, round(elapsed * 1000) % GRAIN_PATTERNS, width, height)
    return Image.fromarray(np.clip(np.asarray(view, np.int16) + grain, 0, 255).astype(np.uint8))


# Grain drawn from a few stored patterns (drawing fresh noise for each 720p frame doubled the time to
# make a 10-minute video); which one a frame gets varies with its time.
GRAIN_PATTERNS = 7


@functools.lru_cache(maxsize=GRAIN_PATTERNS)
def _grain(seed: int, pattern: int, width: int, height: int) -> np.ndarray:
    grain: np.ndarray = np.random.default_rng([seed, pattern]).integers(-6, 7, (height, width, 1), dtype=np.int16)
    return grain


@functools.lru_cache(maxsize=4)
def _canvas(seed: int, sign: Sign | None, picture: Path | None, width: int, height: int) -> Image.Image:
    """Smooth random colour fields (no edges a reader could take for letters), twice the frame's size."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(30, 220, (9, 16, 3), dtype=np.uint8)).resize(
        (2 * width, 2 * height), Image.Resampling.BICUBIC
    )
    fine = Image.fromarray(rng.integers(0, 60, (36, 64, 3), dtype=np.uint8)).resize(
        (2 * width, 2 * height), Image.Resampling.BICUBIC
    )
    canvas = Image.fromarray(
        np.clip(np.asarray(coarse, np.int16) + np.asarray(fine, np.int16) - 30, 0, 255).astype(np.uint8)
    )
    if sign is not None:
        # The sign's place is given in the frame the camera sees at the shot's start (the canvas' centre).
        left, top = width / 2 + sign.x * width, height / 2 + sign.y * height
        font = _font(sign.font, sign.size)
        draw = ImageDraw.Draw(canvas)
        text_box = draw.textbbox((left, top), sign.text, font=font)
        margin = sign.size // 2
        draw.rectangle(
            (text_box[0] - margin, text_box[1] - margin, text_box[2] + margin, text_box[3] + margin), fill=sign.board
        )
        draw.text((left, top), sign.text, font=font, fill=sign.colour)
    if picture is not None:
        with Image.open(picture) as opened:
            image = opened.convert("RGB")
        scale = min(width / image.width, height / image.height)
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        canvas.paste(image, (width - image.width // 2, height - image.height // 2))
    return canvas


def _draw_texts(picture: Image.Image, texts: Sequence[ShownText]) -> None:
    draw = ImageDraw.Draw(picture)
    width, height = picture.size
    for text in texts:
        font = _font(text.font, text.size)
        position = (text.x * width, text.y * height)
        if text.backing is not None:
            box = draw.textbbox(position, text.text, font=font)
            margin = max(4, text.size // 3)
            draw.rectangle((box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin), fill=text.backing)
        draw.text(position, text.text, font=font, fill=text.colour, stroke_width=text.outline, stroke_fill=(0, 0, 0))


@functools.lru_cache(maxsize=64)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIRECTORY / FONTS[name]), size)
