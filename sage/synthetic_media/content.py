"""What goes into a test video: scenes of seeded pictures, tones or espeak-ng speech, subtitle cues.

Everything is drawn from seeded parameters, never from the clock: the same arguments give the same
frames and samples.
"""

from __future__ import annotations

import functools
import math
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

import numpy as np

SceneKind = Literal["shapes", "bars", "noise", "gradient"]

SAMPLE_RATE = 48_000  # Opus only takes 48 kHz (among others); AAC is happy with it too.
# Found on PATH (the espeak-ng package); the bare name makes a missing install
# fail with "No such file or directory: 'espeak-ng'", which says what to install.
ESPEAK = shutil.which("espeak-ng") or "espeak-ng"


# --- what goes into a video -------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """A stretch of picture. Different kinds or seeds give clearly different content (background,
    colours, shapes and their motion); the same kind and seed always give the same frames."""

    seconds: float
    kind: SceneKind = "shapes"
    seed: int = 0


@dataclass(frozen=True)
class Tone:
    """`seconds` of a sine at `freq_hz` (0 is silence)."""

    seconds: float
    freq_hz: float


@dataclass(frozen=True)
class ToneAudio:
    """Sine tones: one `freq_hz` for the whole video, or `segments` played in turn (the last one is
    held to the end of the video)."""

    freq_hz: float = 440.0
    segments: Sequence[Tone] = ()
    amplitude: float = 0.3


@dataclass(frozen=True)
class SpeechAudio:
    """Speech from espeak-ng: `text` spoken from `start` seconds, or `lines` of (start seconds, text).
    Silence elsewhere. A line that would run past the end of the video is an error (a truncated
    phrase would make transcript tests lie)."""

    text: str = ""
    start: float = 0.0
    lines: Sequence[tuple[float, str]] = ()
    voice: str = "en-us"
    words_per_minute: int = 150

    def spoken_lines(self) -> list[tuple[float, str]]:
        return [(self.start, self.text), *self.lines] if self.text else list(self.lines)


AudioSpec = ToneAudio | SpeechAudio


@dataclass(frozen=True)
class Cue:
    """A subtitle: `text` shown from `start` to `end` seconds."""

    start: float
    end: float
    text: str


# --- pictures ---------------------------------------------------------------------------------


@dataclass
class _Shape:
    circle: bool
    colour: np.ndarray
    size: float  # fraction of the frame height
    x0: float
    y0: float
    vx: float  # fractions of the frame per second
    vy: float


@dataclass
class SceneDrawing:
    """A scene's seeded parameters, drawn once; `frame(t)` renders time t (seconds into the scene)."""

    scene: Scene
    width: int
    height: int
    shapes: list[_Shape] = field(default_factory=list)

    def __post_init__(self) -> None:
        kind_number = ("shapes", "bars", "noise", "gradient").index(self.scene.kind)
        rng = np.random.default_rng([self.scene.seed, kind_number])
        self.background = rng.integers(0, 256, size=3)
        self.bar_colours = rng.integers(0, 256, size=(int(rng.integers(4, 9)), 3))
        self.bar_speed = float(rng.uniform(0.05, 0.2)) * (1 if rng.random() < 0.5 else -1)
        self.noise = rng.integers(0, 256, size=(9, 12, 3))
        self.noise_speed = float(rng.uniform(0.5, 1.5))
        self.gradient_from = rng.integers(0, 256, size=3)
        self.gradient_to = rng.integers(0, 256, size=3)
        self.gradient_angle = float(rng.uniform(0, math.pi))
        shape_count = int(rng.integers(4, 7)) if self.scene.kind == "shapes" else int(rng.integers(1, 3))
        for _ in range(shape_count):
            self.shapes.append(
                _Shape(
                    circle=bool(rng.random() < 0.5),
                    colour=rng.integers(0, 256, size=3),
                    size=float(rng.uniform(0.12, 0.3)),
                    x0=float(rng.random()),
                    y0=float(rng.random()),
                    vx=float(rng.uniform(-0.35, 0.35)),
                    vy=float(rng.uniform(-0.35, 0.35)),
                )
            )
        self.ys, self.xs = np.mgrid[0 : self.height, 0 : self.width]
        self.xs_unit = self.xs / self.width
        self.ys_unit = self.ys / self.height

    def frame(self, t: float) -> np.ndarray:
        image = self._background(t)
        for shape in self.shapes:
            self._draw(image, shape, t)
        return image

    def _background(self, t: float) -> np.ndarray:
        kind = self.scene.kind
        if kind == "bars":
            bar = ((self.xs_unit[0] + self.bar_speed * t) % 1.0 * len(self.bar_colours)).astype(int)
            row = self.bar_colours[bar].astype(np.uint8)
            return np.broadcast_to(row, (self.height, self.width, 3)).copy()
        if kind == "noise":
            grid_h, grid_w = self.noise.shape[:2]
            shift = self.noise_speed * t
            rows = (self.ys_unit[:, 0] * grid_h + shift).astype(int) % grid_h
            cols = (self.xs_unit[0] * grid_w + shift / 2).astype(int) % grid_w
            return cast(np.ndarray, self.noise[rows[:, None], cols[None, :]].astype(np.uint8))
        if kind == "gradient":
            angle = self.gradient_angle + 0.3 * t
            along = (self.xs_unit * math.cos(angle) + self.ys_unit * math.sin(angle) + 1.5) / 3.0
            mixed = self.gradient_from * (1 - along[..., None]) + self.gradient_to * along[..., None]
            return cast(np.ndarray, mixed.astype(np.uint8))
        image = np.empty((self.height, self.width, 3), np.uint8)
        image[:] = self.background
        return image

    def _draw(self, image: np.ndarray, shape: _Shape, t: float) -> None:
        # Shapes bounce off the edges: a triangle wave of the unbounded position.
        def bounce(position: float) -> float:
            return 1 - abs(position % 2 - 1)

        size = max(2, int(shape.size * self.height))
        left = int(bounce(shape.x0 + shape.vx * t) * (self.width - size))
        top = int(bounce(shape.y0 + shape.vy * t) * (self.height - size))
        region = image[top : top + size, left : left + size]
        if shape.circle:
            ys, xs = np.ogrid[0:size, 0:size]
            radius = (size - 1) / 2
            region[(ys - radius) ** 2 + (xs - radius) ** 2 <= radius**2] = shape.colour
        else:
            region[:] = shape.colour


def scene_frames(scenes: Sequence[Scene], *, width: int, height: int, fps: int) -> Iterator[np.ndarray]:
    """RGB frames (height×width×3 uint8) of `scenes` played in turn at `fps`."""
    total_frames = round(sum(scene.seconds for scene in scenes) * fps)
    boundaries = np.cumsum([0.0, *(scene.seconds for scene in scenes)])
    drawings: dict[int, SceneDrawing] = {}
    for index in range(total_frames):
        t = index / fps
        number = min(int(np.searchsorted(boundaries, t, side="right")) - 1, len(scenes) - 1)
        if number not in drawings:
            drawings.clear()  # scenes play in order: only the current one is kept
            drawings[number] = SceneDrawing(scenes[number], width, height)
        yield drawings[number].frame(t - boundaries[number])


# --- sound ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def speak(text: str, *, voice: str = "en-us", words_per_minute: int = 150) -> np.ndarray:
    """`text` spoken by espeak-ng, as float32 mono samples at SAMPLE_RATE."""
    with tempfile.TemporaryDirectory() as directory:
        wav_path = Path(directory) / "speech.wav"
        # -w writes a proper WAV header (--stdout leaves the sizes as 0x7fffffff).
        subprocess.run(
            [ESPEAK, "-v", voice, "-s", str(words_per_minute), "-w", str(wav_path), "--", text],
            check=True,
            capture_output=True,
            timeout=60,
        )
        with wave.open(str(wav_path)) as wav:
            rate, channels = wav.getframerate(), wav.getnchannels()
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = pcm.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32768
    resampled_length = round(len(samples) * SAMPLE_RATE / rate)
    positions = np.arange(resampled_length) * (rate / SAMPLE_RATE)
    return cast(np.ndarray, np.interp(positions, np.arange(len(samples)), samples).astype(np.float32))


def speech_seconds(text: str, *, voice: str = "en-us", words_per_minute: int = 150) -> float:
    """How long espeak-ng takes to say `text` (to size a video around it)."""
    return len(speak(text, voice=voice, words_per_minute=words_per_minute)) / SAMPLE_RATE


def audio_samples(audio: AudioSpec, *, seconds: float) -> np.ndarray:
    """Float32 mono samples at SAMPLE_RATE for `seconds` of `audio`."""
    total = round(seconds * SAMPLE_RATE)
    if isinstance(audio, ToneAudio):
        segments = list(audio.segments) or [Tone(seconds, audio.freq_hz)]
        frequencies = np.empty(total, np.float64)
        position = 0
        for number, segment in enumerate(segments):
            end = total if number == len(segments) - 1 else min(total, position + round(segment.seconds * SAMPLE_RATE))
            frequencies[position:end] = segment.freq_hz
            position = end
        # Integrating the frequency keeps the phase continuous where the tone changes (no clicks).
        phase = 2 * np.pi * np.cumsum(frequencies) / SAMPLE_RATE
        return (audio.amplitude * np.sin(phase)).astype(np.float32)
    samples = np.zeros(total, np.float32)
    for start, text in audio.spoken_lines():
        speech = speak(text, voice=audio.voice, words_per_minute=audio.words_per_minute)
        first = round(start * SAMPLE_RATE)
        if first + len(speech) > total:
            lasts = len(speech) / SAMPLE_RATE
            raise ValueError(f"speech {text!r} from {start} s lasts {lasts:.2f} s: past the video's end at {seconds} s")
        samples[first : first + len(speech)] += speech
    return samples
