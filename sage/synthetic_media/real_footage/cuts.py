"""Reels of real footage under real speech, and the cuts a pair's two versions play of them."""

from __future__ import annotations

import bisect
import functools
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy.signal import resample_poly  # type: ignore[import-untyped]  # scipy ships no stubs

from ..caching import code_digest
from ..content import SAMPLE_RATE
from ..copies import tempo_changed
from ..edits import Encoding, Piece, write_encoded
from ..overlays import Logo
from .sources import Asset, clip_frames, recording

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
_EPSILON = 1e-6


Clip = Piece[Asset]  # `start`–`end` seconds of a footage file


@dataclass(frozen=True)
class Reel:
    """Clips end to end (the picture) under recordings end to end from `speech_at` seconds with
    `pause` seconds between them (the sound; silence after the last)."""

    name: str
    clips: tuple[Clip, ...]
    speech: tuple[Asset, ...]
    speech_at: float = 0.6
    pause: float = 0.7

    @property
    def seconds(self) -> float:
        return sum(clip.seconds for clip in self.clips)

    def clip_starts(self) -> list[float]:
        return [float(start) for start in np.cumsum([0.0, *(clip.seconds for clip in self.clips)])[:-1]]

    def frame(self, at: float, size: tuple[int, int]) -> np.ndarray:
        starts = self.clip_starts()
        number = max(0, bisect.bisect_right(starts, at + _EPSILON) - 1)
        clip = self.clips[number]
        frames, rate = clip_frames(clip.source, size)
        # The nearest frame, as a frame-rate converter or an editor's speed change shows (FFmpeg's
        # fps filter rounds to the nearest): the nearest earlier one showed the picture half a
        # source frame late on average, by another amount for each clip's frame rate and speed,
        # and a version played 2 % slow then ran 28 ms late over three clips against the other,
        # more than the A/V truth's precision (20 ms).
        index = int(np.floor((clip.start + at - starts[number]) * rate + 0.5))
        return np.array(frames[min(max(index, 0), len(frames) - 1)])

    def sound(self) -> np.ndarray:
        total = round(self.seconds * SAMPLE_RATE)
        samples = np.zeros(total, np.float32)
        at = round(self.speech_at * SAMPLE_RATE)
        for asset in self.speech:
            said = recording(asset)[: max(0, total - at)]
            samples[at : at + len(said)] = said
            at += len(said) + round(self.pause * SAMPLE_RATE)
        return samples


@dataclass(frozen=True)
class Shot:
    """`start`–`end` seconds of `reel`, played `rate` times as fast (it lasts (end − start) / rate):
    its sound resampled like a tape played faster (higher pitched), or with its pitch kept."""

    reel: Reel
    start: float
    end: float
    rate: float = 1.0
    pitch_kept: bool = False

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / self.rate


@dataclass(frozen=True)
class LowerThird:
    """A caption box at the bottom left with a line of text (DejaVu Sans Bold, `size` frame heights)."""

    text: str
    size: float = 0.085

    def apply(self, image: np.ndarray) -> np.ndarray:
        picture = Image.fromarray(image)
        draw = ImageDraw.Draw(picture)
        height = picture.height
        font = ImageFont.truetype(str(FONT), round(self.size * height))
        left, top = round(0.06 * picture.width), round(0.76 * height)
        box = draw.textbbox((left, top), self.text, font=font)
        margin = round(0.025 * height)
        # The box is the same size whatever the text says, so a changed text barely changes the picture.
        draw.rectangle(
            (left - margin, box[1] - margin, left + round(0.42 * picture.width), box[3] + margin), fill=(16, 40, 110)
        )
        draw.text((left, top), self.text, font=font, fill=(250, 250, 250))
        return np.asarray(picture)


@dataclass(frozen=True)
class Overlay:
    """`effect` over `start`–`end` seconds of the case's main reel, wherever a cut shows them."""

    start: float
    end: float
    effect: Logo | LowerThird


@dataclass(frozen=True)
class Cut:
    """A version: shots in turn, overlays, its sound `sound_lag` seconds late against its picture
    (+ `sound_drift` seconds more per second played), and its encoding."""

    shots: tuple[Shot, ...]
    overlays: tuple[Overlay, ...] = ()
    sound_lag: float = 0.0
    sound_drift: float = 0.0
    encoding: Encoding = field(default_factory=Encoding)

    @property
    def seconds(self) -> float:
        return sum(shot.seconds for shot in self.shots)

    def shot_starts(self) -> list[float]:
        return [float(start) for start in np.cumsum([0.0, *(shot.seconds for shot in self.shots)])[:-1]]

    def source_at(self, at: float) -> tuple[Shot, float]:
        starts = self.shot_starts()
        number = max(0, bisect.bisect_right(starts, at + _EPSILON) - 1)
        shot = self.shots[number]
        return shot, shot.start + (at - starts[number]) * shot.rate

    def frames(self, main: Reel, size: tuple[int, int]) -> Iterator[np.ndarray]:
        # A rate that is not the footage's (25, 30000/1001) re-times it: frames dropped or repeated.
        fps = float(self.encoding.fps)
        for index in range(round(self.seconds * fps)):
            shot, at = self.source_at(index / fps)
            image = shot.reel.frame(at, size)
            for overlay in self.overlays:
                if shot.reel == main and overlay.start <= at < overlay.end:
                    if isinstance(overlay.effect, LowerThird):
                        image = overlay.effect.apply(image)
                    else:
                        canvas = image.astype(np.float32)
                        overlay.effect.apply(canvas, at - overlay.start)
                        image = np.clip(canvas, 0, 255).astype(np.uint8)
            yield image

    def sound(self) -> np.ndarray:
        """The sound at SAMPLE_RATE: at time t, what the shots play at t − lag(t) (silence before 0)."""
        total = round(self.seconds * SAMPLE_RATE)
        times = np.arange(total) / SAMPLE_RATE
        heard = times - (self.sound_lag + self.sound_drift * times)
        samples = np.zeros(total, np.float32)
        for shot, start in zip(self.shots, self.shot_starts(), strict=True):
            inside = (heard >= start - _EPSILON) & (heard < start + shot.seconds - _EPSILON)
            reel_sound = _reel_sound(shot.reel)
            if shot.rate != 1.0:
                played = _pitch_kept(reel_sound, shot) if shot.pitch_kept else _tape(reel_sound, shot)
                samples[inside] = np.interp((heard[inside] - start) * SAMPLE_RATE, np.arange(len(played)), played)
                continue
            source = shot.start + (heard[inside] - start) * shot.rate
            samples[inside] = np.interp(source * SAMPLE_RATE, np.arange(len(reel_sound)), reel_sound, right=0.0)
        return samples


def _pitch_kept(reel_sound: np.ndarray, shot: Shot) -> np.ndarray:
    """The shot's stretch of its reel's sound played at its rate with the pitch kept, stretched to
    the shot's exact length (atempo's output is a few milliseconds off it)."""
    stretch = reel_sound[round(shot.start * SAMPLE_RATE) : round(shot.end * SAMPLE_RATE)]
    return _to_length(tempo_changed(stretch, shot.rate), shot)


def _tape(reel_sound: np.ndarray, shot: Shot) -> np.ndarray:
    """The shot's stretch of its reel's sound played at its rate like a tape (higher pitched when
    faster), resampled by a polyphase filter as a tape machine's or an editor's resampler does:
    read by straight lines between samples, what a voice has above the new half rate folded back
    down into its low bands (a voice's sibilants, 1.2× fast, came out 3 dB louder there), a change
    of sound the pair was not meant to have."""
    stretch = reel_sound[round(shot.start * SAMPLE_RATE) : round(shot.end * SAMPLE_RATE)]
    ratio = Fraction(shot.rate).limit_denominator(1000)
    return _to_length(resample_poly(stretch, ratio.denominator, ratio.numerator), shot)


def _to_length(played: np.ndarray, shot: Shot) -> np.ndarray:
    """`played` stretched to the shot's exact length in samples."""
    length = round(shot.seconds * SAMPLE_RATE)
    positions = np.arange(length) * (len(played) / max(length, 1))
    stretched: np.ndarray = np.interp(positions, np.arange(len(played)), played).astype(np.float32)
    return stretched


@functools.lru_cache(maxsize=8)
def _reel_sound(reel: Reel) -> np.ndarray:
    return reel.sound()


# --- rendering and the cache --- ----------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the code that builds and encodes the pairs (see caching.code_digest): edits.py
    holds their clips' class and how an encoding is written."""
    here = Path(__file__).parent
    modules = ("cuts.py", "sources.py", "../writing.py", "../overlays.py", "../edits.py")
    return code_digest(here / name for name in modules)


def cut_file(cut: Cut, main: Reel, master: tuple[int, int], directory: Path) -> Path:
    """Where `cut` (overlays on `main`, drawn at `master` size) is rendered in `directory`."""
    described = repr((cut, main, master, SAMPLE_RATE)) + code_fingerprint()
    return directory / f"{hashlib.sha256(described.encode()).hexdigest()[:20]}{cut.encoding.suffix}"


def render_file(cut: Cut, main: Reel, master: tuple[int, int], directory: Path) -> Path:
    """`cut` rendered into `directory` unless already there (written under another name, then
    renamed: a file under the final name is always whole)."""
    path = cut_file(cut, main, master, directory)
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    sound = cut.sound()
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial{path.suffix}")
    encoding = cut.encoding
    samples = np.stack([sound, sound]) if encoding.layout == "stereo" else sound
    write_encoded(partial, cut.frames(main, master), samples, encoding)
    partial.replace(path)
    return path
