"""Sound that is not speech (issue 64): clicks over tones, a bed of notes, effects.

Most programmes carry music, effects and clicks rather than, or under, speech; a comparison that
can only time speech misses their A/V sync. Each bed has onsets (attacks) at irregular, seeded
times, as real ones have: a steady tone alone has none, and a bed with a fixed beat would let a
lag of one beat pass for none. The same bed and length always give the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .content import SAMPLE_RATE

BedKind = Literal["tones_and_clicks", "sparse_clicks", "notes", "effects", "tones"]
KINDS: tuple[BedKind, ...] = ("tones_and_clicks", "sparse_clicks", "notes", "effects", "tones")
_SCALE = (0, 2, 4, 7, 9, 12, 14, 16)  # a pentatonic scale over two octaves, in semitones


@dataclass(frozen=True)
class Bed:
    """A sound bed: "tones_and_clicks" (steady tones changing every few seconds, with clicks at
    irregular times), "sparse_clicks" (louder tones, a click every 2–6 s), "notes" (a melody of
    plucked notes and a bass line, off any fixed grid), "effects" (knocks, thuds and whooshes over
    room tone) or "tones" (steady tones alone: no onset at all, for conversions that must change
    nothing)."""

    kind: BedKind
    seed: int
    level: float = 0.25  # peak amplitude of an onset, about −12 dBFS


def bed_samples(bed: Bed, seconds: float) -> np.ndarray:
    """Float32 mono samples at SAMPLE_RATE for `seconds` of `bed`."""
    rng = np.random.default_rng([bed.seed, KINDS.index(bed.kind)])
    total = round(seconds * SAMPLE_RATE)
    samples = np.zeros(total, np.float64)
    if bed.kind == "tones_and_clicks":
        _tones(samples, rng, 0.2 * bed.level)
        for at in _onsets(rng, seconds, 0.25, 0.9):
            _add(samples, at, _click(rng, bed.level))
    elif bed.kind == "sparse_clicks":
        _tones(samples, rng, 0.6 * bed.level)
        for at in _onsets(rng, seconds, 2.0, 6.0):
            _add(samples, at, _click(rng, bed.level))
    elif bed.kind == "tones":
        _tones(samples, rng, bed.level)
    elif bed.kind == "notes":
        base = float(rng.uniform(196.0, 294.0))  # G3–D4
        for at in _onsets(rng, seconds, 0.18, 0.6):
            pitch = base * 2 ** (_SCALE[int(rng.integers(len(_SCALE)))] / 12)
            _add(samples, at, _note(pitch, float(rng.uniform(0.25, 0.6)), bed.level * float(rng.uniform(0.6, 1.0))))
        for at in _onsets(rng, seconds, 0.8, 1.6):
            _add(samples, at, _note(base / 2, 0.9, 0.8 * bed.level))
    else:
        samples += 0.01 * bed.level * rng.standard_normal(total)  # room tone
        for at in _onsets(rng, seconds, 0.35, 1.8):
            effect = (_knock, _thud, _whoosh)[int(rng.integers(3))]
            _add(samples, at, effect(rng, bed.level))
    return samples.astype(np.float32)


def _onsets(rng: np.random.Generator, seconds: float, shortest: float, longest: float) -> list[float]:
    """Times from 0.2 s to the end with gaps drawn between `shortest` and `longest` seconds."""
    times, at = [], 0.2 + float(rng.uniform(0, shortest))
    while at < seconds - 0.05:
        times.append(at)
        at += float(rng.uniform(shortest, longest))
    return times


def _add(samples: np.ndarray, at: float, sound: np.ndarray) -> None:
    first = round(at * SAMPLE_RATE)
    part = sound[: max(0, len(samples) - first)]
    samples[first : first + len(part)] += part


def _decay(seconds: float, time_constant: float) -> np.ndarray:
    times = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    # A 2 ms attack: sharp enough to time, without a step at its first sample.
    return np.minimum(1.0, times / 0.002) * np.exp(-times / time_constant)


def _tones(samples: np.ndarray, rng: np.random.Generator, amplitude: float) -> None:
    """Tones held 1.5–5 s, the phase continuous where the frequency changes (no click of its own)."""
    frequencies = np.empty(len(samples))
    position = 0
    while position < len(samples):
        length = round(float(rng.uniform(1.5, 5.0)) * SAMPLE_RATE)
        frequencies[position : position + length] = float(rng.uniform(220.0, 1200.0))
        position += length
    samples += amplitude * np.sin(2 * np.pi * np.cumsum(frequencies) / SAMPLE_RATE)


def _click(rng: np.random.Generator, level: float) -> np.ndarray:
    click: np.ndarray = level * rng.standard_normal(round(0.04 * SAMPLE_RATE)) * _decay(0.04, 0.006)
    return click


def _note(pitch: float, seconds: float, level: float) -> np.ndarray:
    """A plucked note: three harmonics, the higher ones dying away sooner."""
    times = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = sum(
        np.sin(2 * np.pi * pitch * harmonic * times) * np.exp(-times * harmonic * 3.0) / harmonic
        for harmonic in (1, 2, 3)
    )
    note: np.ndarray = level * 0.6 * tone * _decay(seconds, seconds / 2.5)
    return note


def _knock(rng: np.random.Generator, level: float) -> np.ndarray:
    times = np.arange(round(0.12 * SAMPLE_RATE)) / SAMPLE_RATE
    body = np.sin(2 * np.pi * float(rng.uniform(150.0, 400.0)) * times)
    knock: np.ndarray = level * (0.7 * body + 0.3 * rng.standard_normal(len(times))) * _decay(0.12, 0.02)
    return knock


def _thud(rng: np.random.Generator, level: float) -> np.ndarray:
    times = np.arange(round(0.3 * SAMPLE_RATE)) / SAMPLE_RATE
    falling = float(rng.uniform(60.0, 110.0)) * (1 + np.exp(-times / 0.03))  # the pitch drops as it dies
    thud: np.ndarray = level * np.sin(2 * np.pi * np.cumsum(falling) / SAMPLE_RATE) * _decay(0.3, 0.07)
    return thud


def _whoosh(rng: np.random.Generator, level: float) -> np.ndarray:
    """Noise smoothed to a low band, swelling then dying: its start is soft, its peak is not."""
    seconds = float(rng.uniform(0.3, 0.7))
    noise = rng.standard_normal(round(seconds * SAMPLE_RATE))
    smoothed = np.convolve(noise, np.ones(12) / 12, mode="same")
    times = np.arange(len(noise)) / SAMPLE_RATE
    swell = np.sin(np.pi * times / seconds) ** 2
    whoosh: np.ndarray = level * 1.5 * smoothed * swell
    return whoosh
