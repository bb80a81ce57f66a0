"""The sound of a :class:`~sage.synthetic_media.natural.Programme`, as three stems over its source time:
speech (espeak-ng lines in two or three voices, a conversation with pauses), music (a synthesised
band: plucked arpeggios over a chord progression, bass, kick, snare and hi-hat, with rhythm and
decay) and ambience (wind, traffic, room tone, waves or a train's rumble and clatter, following the
shots). Versions mix the stems (:func:`mix`), so a re-mix or a swapped music bed changes one stem.

All float32 mono at SAMPLE_RATE, drawn from the programme's seed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .content import SAMPLE_RATE, speak
from .natural import Programme

VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-us+f3", "en-gb-x-rp+f2", "en-us+m3", "en-gb+f4")
SPEECH_PEAK = 0.55
MUSIC_RMS = 0.03  # about 9 dB under the speech while someone speaks
AMBIENCE_RMS = {"landscape": 0.012, "street": 0.018, "room": 0.005, "water": 0.02, "train": 0.035}

_SUBJECTS = (
    "the old bridge",
    "my neighbour",
    "the morning train",
    "a small boat",
    "the city council",
    "our team",
    "the night shift",
    "this valley",
    "the museum",
    "her brother",
    "the new bakery",
    "a tired driver",
    "the weather station",
    "the school band",
    "an old friend",
    "the harbour master",
)
_VERBS = (
    "opened",
    "crossed",
    "waited for",
    "remembered",
    "painted",
    "followed",
    "carried",
    "watched",
    "repaired",
    "found",
    "described",
    "closed",
    "counted",
    "visited",
    "promised",
    "measured",
)
_OBJECTS = (
    "the river",
    "a quiet street",
    "the last light",
    "seven red boxes",
    "the northern road",
    "a broken window",
    "the market square",
    "two letters",
    "the silver gate",
    "the long tunnel",
    "a field of barley",
    "the lighthouse",
    "the evening news",
    "a wooden chair",
    "the garden wall",
)
_TAILS = (
    "before noon",
    "in the rain",
    "without a word",
    "last summer",
    "every evening",
    "after the storm",
    "on the way home",
    "for the first time",
    "near the station",
    "at the end of the day",
    "",
)


@dataclass(frozen=True)
class SpokenLine:
    start: float  # seconds of source time
    end: float
    text: str
    voice: str
    words_per_minute: int


def _sentence(rng: np.random.Generator) -> str:
    def pick(words: tuple[str, ...]) -> str:
        return words[int(rng.integers(len(words)))]

    return " ".join(part for part in (pick(_SUBJECTS), pick(_VERBS), pick(_OBJECTS), pick(_TAILS)) if part)


@functools.lru_cache(maxsize=32)
def spoken_lines(programme: Programme) -> tuple[SpokenLine, ...]:
    """The programme's speech: who says what, when."""
    if programme.black:
        return ()
    rng = np.random.default_rng([programme.seed, 2])
    voices = [VOICES[int(number)] for number in rng.choice(len(VOICES), size=int(rng.integers(2, 4)), replace=False)]
    speeds = {voice: int(rng.integers(140, 176)) for voice in voices}
    lines: list[SpokenLine] = []
    at = float(rng.uniform(0.3, 1.2))
    while True:
        voice = voices[int(rng.integers(len(voices)))]
        text = _sentence(rng)
        seconds = len(speak(text, voice=voice, words_per_minute=speeds[voice])) / SAMPLE_RATE
        if at + seconds > programme.seconds - 0.3:
            break
        lines.append(SpokenLine(round(at, 4), round(at + seconds, 4), text, voice, speeds[voice]))
        at += seconds + float(rng.uniform(0.3, 1.6))
    return tuple(lines)


@functools.lru_cache(maxsize=8)
def speech_stem(programme: Programme) -> np.ndarray:
    samples = np.zeros(round(programme.seconds * SAMPLE_RATE), np.float32)
    for line in spoken_lines(programme):
        speech = speak(line.text, voice=line.voice, words_per_minute=line.words_per_minute)
        speech = speech * (SPEECH_PEAK / max(float(np.abs(speech).max()), 1e-6))
        first = round(line.start * SAMPLE_RATE)
        samples[first : first + len(speech)] += speech[: len(samples) - first]
    return samples


# --- music -------------------------------------------------------------------------------------

_PROGRESSIONS = ((0, 5, 3, 4), (0, 3, 4, 3), (5, 3, 0, 4), (0, 4, 5, 3), (1, 4, 0, 0), (0, 0, 3, 4))
_MAJOR, _MINOR = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10)
_ARPEGGIOS = ((0, 1, 2, 1, 0, 2, 1, 2), (0, 2, 1, 2, 0, 2, 1, 3), (2, 1, 0, 1, 2, 3, 2, 1), (0, 1, 2, 3, 2, 1, 0, 1))


def _hz(midi: float) -> float:
    return float(440.0 * 2 ** ((midi - 69) / 12))


@functools.lru_cache(maxsize=128)
def _tone(freq: float, seconds: float, decay: float, harmonics: int, brightness: float) -> np.ndarray:
    """A plucked note (read-only: shared by every note of that pitch)."""
    t = np.arange(round(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    wave = np.zeros_like(t)
    for k in range(1, harmonics + 1):
        if freq * k < SAMPLE_RATE / 2.2:
            # Higher harmonics die away faster, as on a plucked string.
            wave += np.sin(2 * np.pi * freq * k * t) * np.exp(-t * k / (decay * 2)) / k**brightness
    attack = np.minimum(1.0, t / 0.004)
    note = np.asarray(wave * attack * np.exp(-t / decay), np.float32)
    note.flags.writeable = False
    return note


def _add(track: np.ndarray, at: float, sound: np.ndarray, gain: float) -> None:
    first = round(at * SAMPLE_RATE)
    if first >= len(track):
        return
    piece = sound[: len(track) - first]
    track[first : first + len(piece)] += gain * piece


@functools.lru_cache(maxsize=8)
def music_stem(programme: Programme) -> np.ndarray:
    """A band playing for the whole programme, level MUSIC_RMS."""
    total = round(programme.seconds * SAMPLE_RATE)
    track = np.zeros(total, np.float32)
    if programme.black:
        return track
    rng = np.random.default_rng([programme.seed, 3])
    beat = 60.0 / float(rng.uniform(80, 132))
    root = int(rng.integers(45, 57))
    scale = _MAJOR if rng.random() < 0.6 else _MINOR
    progression = _PROGRESSIONS[int(rng.integers(len(_PROGRESSIONS)))]
    brightness = float(rng.uniform(0.9, 1.6))
    pluck_decay = float(rng.uniform(0.18, 0.45))
    swing = float(rng.uniform(0.0, 0.12))
    noise = rng.standard_normal(SAMPLE_RATE).astype(np.float32)
    t = np.arange(SAMPLE_RATE // 4, dtype=np.float32) / SAMPLE_RATE
    kick = np.sin(2 * np.pi * (50 * t + 70 * 0.04 * (1 - np.exp(-t / 0.04)))) * np.exp(-t / 0.12)
    snare = noise[: len(t)] * np.exp(-t / 0.07) * 0.6 + np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05) * 0.4
    hat = np.diff(noise[: len(t) // 4 + 1]) * np.exp(-t[: len(t) // 4] / 0.015) * 0.35
    bar = 0
    while bar * 4 * beat < programme.seconds:
        bar_start = bar * 4 * beat
        degree = progression[bar % 4]
        chord = [root + scale[(degree + step) % 7] + 12 * ((degree + step) // 7) for step in (0, 2, 4, 6)]
        arpeggio = _ARPEGGIOS[(bar // 4 + programme.seed) % len(_ARPEGGIOS)]
        for eighth, tone_index in enumerate(arpeggio):
            at = bar_start + eighth * beat / 2 + (swing * beat / 2 if eighth % 2 else 0.0)
            velocity = float(rng.uniform(0.6, 1.0))
            note = _tone(_hz(chord[tone_index] + 12), pluck_decay * 4, pluck_decay, 6, brightness)
            _add(track, at, note, 0.5 * velocity)
            _add(track, at, hat, float(rng.uniform(0.3, 1.0)))
        for beat_number in range(4):
            at = bar_start + beat_number * beat
            if beat_number in (0, 2):
                _add(track, at, _tone(_hz(chord[0] - 12), beat * 2, 0.5, 3, 1.0), 0.8)
                _add(track, at, kick, 0.9)
            else:
                _add(track, at, snare, 0.5)
        bar += 1
    return np.asarray(track * (MUSIC_RMS / max(float(np.sqrt(np.mean(track**2))), 1e-6)), np.float32)


# --- ambience ----------------------------------------------------------------------------------


def coloured_noise(rng: np.random.Generator, count: int, exponent: float, low_hz: float = 20.0) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (1: pink, 2: brown), RMS 1."""
    if count < 2:
        return np.zeros(count, np.float32)
    length = 1 << (count - 1).bit_length()  # a power of two: FFTs of long prime lengths are slow
    spectrum = np.fft.rfft(rng.standard_normal(length))
    freqs = np.maximum(np.fft.rfftfreq(length, 1 / SAMPLE_RATE), low_hz)
    shaped = np.fft.irfft(spectrum / freqs ** (exponent / 2), length)[:count]
    return np.asarray(shaped / max(float(np.sqrt(np.mean(shaped**2))), 1e-9), np.float32)


@functools.lru_cache(maxsize=8)
def ambience_stem(programme: Programme) -> np.ndarray:
    total = round(programme.seconds * SAMPLE_RATE)
    track = np.zeros(total, np.float32)
    if programme.black:
        return track
    fade = round(0.02 * SAMPLE_RATE)
    for start, shot in zip(programme.shot_starts(), programme.shots, strict=True):
        first, last = round(start * SAMPLE_RATE), min(total, round((start + shot.seconds) * SAMPLE_RATE))
        count = last - first
        rng = np.random.default_rng([shot.seed, 4])
        t = np.arange(count, dtype=np.float32) / SAMPLE_RATE
        if shot.kind == "landscape":  # wind: brown noise in gusts
            sound = coloured_noise(rng, count, 2.0) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.15 * t + rng.uniform(0, 6)))
        elif shot.kind == "street":  # traffic: pink noise and an engine hum
            sound = coloured_noise(rng, count, 1.0) + 0.5 * np.sin(2 * np.pi * float(rng.uniform(55, 90)) * t)
        elif shot.kind == "water":  # waves: swells of pink noise
            swell = 0.5 + 0.5 * np.sin(2 * np.pi * float(rng.uniform(0.1, 0.25)) * t + rng.uniform(0, 6)) ** 2
            sound = coloured_noise(rng, count, 1.0) * swell
        elif shot.kind == "train":  # rumble and the clatter of wheels over rail joints
            sound = coloured_noise(rng, count, 2.0)
            period = float(rng.uniform(0.25, 0.45))
            since = (t % period).astype(np.float32)
            sound = sound + 3 * rng.standard_normal(count).astype(np.float32) * np.exp(-since / 0.01)
        else:  # room tone
            sound = coloured_noise(rng, count, 1.0)
        sound = sound / max(float(np.sqrt(np.mean(sound**2))), 1e-9) * AMBIENCE_RMS[shot.kind]
        ramp = np.minimum(1.0, np.minimum(np.arange(count) + 1, np.arange(count)[::-1] + 1) / fade)
        track[first:last] = sound * ramp
    return track
