"""A spoken corpus for speech recognition: espeak-ng reading known sentences at known times, in
several voices and rates, clean or over background noise or music; and sound with no speech in it
(tones, music, noise, silence).

Everything is drawn from seeded parameters: the same arguments give the same samples. Samples are
float32 mono at `SAMPLE_RATE` (48 kHz), like the rest of `sage.synthetic_media`; `write_audio` stores them
as an audio-only file and `video_with_sound` puts them in a small video.

    spoken = spoken_passage(PASSAGES[0], voice="en-gb", words_per_minute=170, background="music")
    spoken.samples, spoken.lines   # the sound, and (start, end, sentence) for each sentence said
    tones = non_speech("tones", seconds=30)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal, cast

import av
import numpy as np
from scipy.signal import lfilter  # type: ignore[import-untyped]  # no stubs installed

from .content import SAMPLE_RATE, Scene, scene_frames, speak
from .writing import container_for, write_streams

Background = Literal["none", "noise", "music"]
NonSpeechKind = Literal[
    "tone", "tones", "sweep", "music", "chords", "sung_vowels", "applause", "white_noise", "pink_noise", "hum",
    "silence",
]  # fmt: skip
NON_SPEECH_KINDS: tuple[NonSpeechKind, ...] = (
    "tone",
    "tones",
    "sweep",
    "music",
    "chords",
    "sung_vowels",
    "applause",
    "white_noise",
    "pink_noise",
    "hum",
    "silence",
)

_NUMBERS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

# Plain English with no digits (a recogniser may write "three" or "3"; normalising that would hide
# real mistakes), about a minute each at 150 words a minute.
PASSAGES: tuple[str, ...] = (
    "The market opens early on Saturday morning. Farmers arrive before sunrise and set out their tables "
    "under the old stone arches. There are baskets of apples, pears and plums, and bunches of fresh herbs "
    "that fill the air with their smell. A baker sells warm bread from the back of a small blue van. "
    "Most people come with their own bags and walk slowly from one stall to the next, tasting cheese and "
    "talking with the growers about the weather. By noon the busiest tables are almost empty. The farmers "
    "pack what is left, sweep the square and drive back to their villages. In the afternoon the square is "
    "quiet again, and only the pigeons remain to look for crumbs between the stones.",
    "Our team met on Monday to plan the budget for next year. The largest cost is still the rent for the "
    "office, which rises a little every spring. We agreed to move the servers to a shared data centre, "
    "because the old machines use too much power and need constant repair. Training for new staff will "
    "take a larger share than before. Several people asked for better chairs and quieter rooms for calls, "
    "and the manager promised to look at both. The travel budget stays the same, but trips must be booked "
    "at least two weeks ahead. Before the meeting ended, everyone agreed to send their final numbers by the "
    "end of the month, so that the plan can be approved before the summer holidays.",
    "Bread needs only four things: flour, water, salt and yeast. Mix the flour and the water first and let "
    "them rest for half an hour, so the flour can drink the water. Then add the salt and the yeast and knead "
    "the dough until it feels smooth and springs back when you press it with a finger. Cover the bowl with "
    "a damp cloth and leave it somewhere warm until the dough has doubled in size. Shape it gently into a "
    "round loaf, place it on a floured tray and let it rise once more. Bake it in a very hot oven until the "
    "crust is deep brown and the loaf sounds hollow when you tap the bottom. Let it cool before you cut it.",
    "The first railways carried coal, not people. Horses pulled the wagons along wooden rails from the mines "
    "down to the rivers and the ports. When the steam engine became small and strong enough to move itself, "
    "engineers put it on wheels, and the locomotive was born. Within a few decades iron lines crossed whole "
    "countries. Towns that had been days apart were suddenly a few hours away. Clocks in different cities "
    "had to agree, so that timetables could work, and railway time became the time of the whole nation. "
    "Later, electric and diesel trains replaced steam, but many of the old stations, bridges and tunnels are "
    "still in use today, and some of them are among the most beautiful buildings of their age.",
    "A garden in a small city yard can still feed a family through the summer. Start with good soil and a "
    "place that gets at least six hours of sun. Tomatoes, beans and lettuce grow well in large pots, and "
    "climbing plants can use a wall or a fence instead of space on the ground. Water early in the morning, "
    "when less is lost to the heat, and water the soil rather than the leaves. Keep a small pile of compost "
    "in a corner for kitchen scraps and fallen leaves. After a few months it turns dark and crumbly and goes "
    "back into the pots. Pick the vegetables often, because most plants give more when their fruit is taken "
    "away while it is young and tender.",
    "Storms form when warm, wet air rises quickly into colder air above it. As the air rises, the water in it "
    "cools and turns into tiny drops that build tall clouds. Inside the cloud, ice and water crash into each "
    "other and separate electric charges, until a flash of lightning jumps between the cloud and the ground. "
    "The lightning heats the air so fast that it expands with a loud crack, which we hear as thunder. Because "
    "light travels much faster than sound, we see the flash before we hear the noise. Counting the seconds "
    "between them tells us roughly how far away the storm is. When the gap grows longer, the storm is moving "
    "away from us, and the rain will soon stop.",
    "The new phone app lets you book a table at a restaurant in a few taps. You choose the day, the time and "
    "the number of guests, and the app shows which places are free nearby. Each restaurant has a short page "
    "with its menu, photos of the dishes and reviews from other guests. If you are running late, you can tell "
    "the restaurant from the app, and they will hold your table for a little longer. After the meal you can "
    "pay through the app and split the bill with your friends. The company says that it will soon add "
    "delivery as well, so that the same app can bring dinner to your door on the evenings when you would "
    "rather stay at home.",
    "The library in our town was built more than a century ago with money from a local family. It has tall "
    "windows, a wooden reading room and a narrow staircase that leads up to the old map collection. Today it "
    "lends films and music as well as books, and there is a quiet room with computers for anyone who needs "
    "them. On Thursday evenings a group of volunteers helps older people learn to use their phones and send "
    "messages to their grandchildren. Children come on Saturday mornings to hear stories read aloud. The "
    "librarians say that the building is busier now than it was when they started working there, even though "
    "people said that nobody would read books any more.",
    "Learning to ride a bicycle is mostly about trust. Small children often start on a bike without pedals, "
    "pushing with their feet and gliding for longer and longer stretches. That teaches balance, which is the "
    "hard part. Once they can glide, the pedals come back, and a parent runs alongside holding the seat, then "
    "only the jacket, and finally nothing at all. Most children fall a few times, so a helmet and long "
    "trousers are a good idea. Choose a quiet path or an empty car park, away from traffic, and keep the first "
    "lessons short. A child who is tired or cold learns nothing, but a child who stops while it is still fun "
    "will ask to try again tomorrow.",
    "Coffee beans are the seeds of a red fruit that grows on bushes in warm hills near the equator. The fruit "
    "is picked by hand when it is ripe, and the seeds are washed and dried in the sun for several days. Green "
    "beans keep well and travel across the world in large sacks. Roasting turns them brown and brings out "
    "their flavour. A light roast tastes of fruit and flowers, while a dark roast is bitter and smoky. Once "
    "the beans are ground, the flavour fades within minutes, which is why many people grind their coffee just "
    "before they brew it. Water that is just below boiling gives the best cup, and a clean pot matters more "
    "than an expensive machine.",
)


@dataclass(frozen=True)
class SpokenCondition:
    """How a passage is spoken: an espeak-ng `voice` at `words_per_minute`, over a `background`
    (none, pink noise or synthetic music) mixed `snr_db` decibels below the speech."""

    name: str
    voice: str = "en-us"
    words_per_minute: int = 150
    background: Background = "none"
    snr_db: float = 10.0


# The conditions bench/speech.py measures, one passage each (about 12 minutes of speech in all).
SPOKEN_CONDITIONS: tuple[SpokenCondition, ...] = (
    SpokenCondition("en-us, 150 wpm, clean"),
    SpokenCondition("en-gb, 150 wpm, clean", voice="en-gb"),
    SpokenCondition("en-us female, 150 wpm, clean", voice="en-us+f3"),
    SpokenCondition("en-gb-scotland, 150 wpm, clean", voice="en-gb-scotland"),
    SpokenCondition("en-us, 120 wpm, clean", words_per_minute=120),
    SpokenCondition("en-us, 190 wpm, clean", words_per_minute=190),
    SpokenCondition("en-us, 150 wpm, noise 10 dB", background="noise", snr_db=10),
    SpokenCondition("en-gb, 150 wpm, music 10 dB", voice="en-gb", background="music", snr_db=10),
    SpokenCondition(
        "en-us female, 170 wpm, noise 5 dB", voice="en-us+f3", words_per_minute=170, background="noise", snr_db=5
    ),
    SpokenCondition("en-us, 150 wpm, music 5 dB", background="music", snr_db=5),
)


@dataclass(frozen=True)
class SpokenPassage:
    """`samples` (float32 mono at SAMPLE_RATE) and, for each sentence said, (start, end, text)."""

    samples: np.ndarray
    lines: tuple[tuple[float, float, str], ...]

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def speech_seconds(self) -> float:
        return sum(end - start for start, end, _ in self.lines)

    @property
    def text(self) -> str:
        return " ".join(text for _, _, text in self.lines)


def sentences(passage: str) -> list[str]:
    return [sentence.strip() for sentence in re.split(r"(?<=[.!?])\s+", passage) if sentence.strip()]


def spoken_passage(
    passage: str,
    *,
    voice: str = "en-us",
    words_per_minute: int = 150,
    background: Background = "none",
    snr_db: float = 10.0,
    lead_seconds: float = 1.0,
    pause_seconds: float = 0.7,
    seed: int = 0,
) -> SpokenPassage:
    """`passage` read sentence by sentence with `pause_seconds` of silence between sentences (and
    `lead_seconds` before the first and after the last), over `background` at `snr_db`."""
    pieces: list[np.ndarray] = [np.zeros(round(lead_seconds * SAMPLE_RATE), np.float32)]
    lines: list[tuple[float, float, str]] = []
    position = len(pieces[0])
    pause = np.zeros(round(pause_seconds * SAMPLE_RATE), np.float32)
    for sentence in sentences(passage):
        speech = _trimmed(speak(sentence, voice=voice, words_per_minute=words_per_minute))
        lines.append((position / SAMPLE_RATE, (position + len(speech)) / SAMPLE_RATE, sentence))
        pieces += [speech, pause]
        position += len(speech) + len(pause)
    pieces[-1] = np.zeros(round(lead_seconds * SAMPLE_RATE), np.float32)
    samples = np.concatenate(pieces)
    if background != "none":
        samples = mix(samples, _background(background, len(samples) / SAMPLE_RATE, seed=seed), snr_db=snr_db)
    return SpokenPassage(samples=samples, lines=tuple(lines))


def condition_passage(condition: SpokenCondition, passage: str, *, seed: int = 0) -> SpokenPassage:
    return spoken_passage(
        passage,
        voice=condition.voice,
        words_per_minute=condition.words_per_minute,
        background=condition.background,
        snr_db=condition.snr_db,
        seed=seed,
    )


def mix(speech: np.ndarray, background: np.ndarray, *, snr_db: float) -> np.ndarray:
    """`background` under `speech`, scaled so that the speech's power (over the samples where
    someone speaks) is `snr_db` above the background's; peaks kept below full scale."""
    spoken = np.abs(speech) > 1e-4
    speech_power = float(np.mean(speech[spoken] ** 2)) if spoken.any() else 0.0
    background_power = float(np.mean(background**2)) or 1.0
    scale = np.sqrt(speech_power / background_power / 10 ** (snr_db / 10))
    mixed = speech + background[: len(speech)] * scale
    peak = float(np.max(np.abs(mixed))) if len(mixed) else 0.0
    return cast(np.ndarray, (mixed / peak * 0.9 if peak > 0.95 else mixed).astype(np.float32))


def non_speech(kind: NonSpeechKind, *, seconds: float, seed: int = 0) -> np.ndarray:
    """`seconds` of sound with nobody speaking in it, float32 mono at SAMPLE_RATE."""
    count = round(seconds * SAMPLE_RATE)
    t = np.arange(count) / SAMPLE_RATE
    rng = np.random.default_rng(seed)
    if kind == "tone":  # the steady 330 Hz tone
        return (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    if kind == "tones":  # beeps of different pitches with gaps, like a test signal or an alarm
        out = np.zeros(count, np.float32)
        step = round(0.6 * SAMPLE_RATE)
        for number, first in enumerate(range(0, count, step)):
            length = min(round(0.35 * SAMPLE_RATE), count - first)
            frequency = (440, 660, 880, 550, 1000)[number % 5]
            out[first : first + length] = 0.3 * np.sin(2 * np.pi * frequency * t[:length])
        return out
    if kind == "sweep":  # 100 Hz to 4 kHz and back, every 5 s
        sweep = 100 + 3900 * np.abs((t / 5.0) % 2 - 1)
        return (0.3 * np.sin(2 * np.pi * np.cumsum(sweep) / SAMPLE_RATE)).astype(np.float32)
    if kind == "music":
        return _music(seconds, rng)
    if kind == "chords":
        return _chords(seconds)
    if kind == "sung_vowels":
        return _sung_vowels(seconds)
    if kind == "applause":
        return _applause(count, rng)
    if kind == "white_noise":
        return (0.1 * rng.standard_normal(count)).astype(np.float32)
    if kind == "pink_noise":
        return _pink_noise(count, rng)
    if kind == "hum":  # mains hum with harmonics and a little hiss
        hum = 0.005 * rng.standard_normal(count)
        for harmonic in (1, 2, 3, 5):
            hum += 0.15 / harmonic * np.sin(2 * np.pi * 50 * harmonic * t)
        return hum.astype(np.float32)
    if kind == "silence":
        return np.zeros(count, np.float32)
    raise ValueError(f"unknown kind of sound {kind!r}")


def write_audio(path: Path, samples: np.ndarray) -> Path:
    """Store `samples` (float32 mono at SAMPLE_RATE) as an audio-only file: AAC in .m4a, FLAC in
    .flac, 16-bit PCM in .wav."""
    codec = {".m4a": "aac", ".flac": "flac", ".wav": "pcm_s16le"}[path.suffix.lower()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w", container_options={"fflags": "+bitexact"}) as output:
        stream = cast(av.AudioStream, output.add_stream(codec, rate=SAMPLE_RATE))
        stream.layout = "mono"
        if codec == "pcm_s16le":
            stream.format = "s16"
        chunk = 4800
        for first in range(0, len(samples), chunk):
            frame = av.AudioFrame.from_ndarray(samples[np.newaxis, first : first + chunk], format="flt", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = first
            frame.time_base = Fraction(1, SAMPLE_RATE)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path


def video_with_sound(path: Path, samples: np.ndarray) -> Path:
    """A small video (64×48 at 5 fps, H.264 or the container's codec) whose sound is `samples`."""
    seconds = len(samples) / SAMPLE_RATE
    return write_streams(
        path,
        frames=scene_frames([Scene(seconds)], width=64, height=48, fps=5),
        width=64,
        height=48,
        fps=5,
        container=container_for(path),
        codec=None,
        crf=None,
        bitrate=None,
        samples=samples,
    )


# --- word error rate (bench/speech.py and the tests) ---------------------------------------------


def spelled(number: int) -> str:
    if number < 20:
        return _NUMBERS[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_NUMBERS[ones]}" if ones else "")
    return str(number)


def normalised_words(text: str) -> list[str]:
    """Lower case, digits spelled out (0-99), hyphens as spaces, other punctuation dropped."""
    text = re.sub(r"\d+", lambda match: f" {spelled(int(match.group()))} ", text.lower())
    text = re.sub(r"[-–—/]", " ", text)
    text = re.sub(r"[^\w\s']", "", text)
    return [word.strip("'") for word in text.split() if word.strip("'")]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Substitutions + deletions + insertions turning `reference` into `hypothesis` (Levenshtein on words)."""
    previous = list(range(len(hypothesis) + 1))
    for row, expected in enumerate(reference, start=1):
        current = [row] + [0] * len(hypothesis)
        for column, got in enumerate(hypothesis, start=1):
            current[column] = min(
                previous[column] + 1,  # a reference word missing
                current[column - 1] + 1,  # a word added
                previous[column - 1] + (expected != got),  # the same word, or another one
            )
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> tuple[int, int]:
    """(errors, reference words)."""
    expected = normalised_words(reference)
    return edit_distance(expected, normalised_words(hypothesis)), len(expected)


# --- the parts -------------------------------------------------------------------------------------


def _trimmed(speech: np.ndarray) -> np.ndarray:
    """espeak-ng's output without the silence it puts before and after the words, so that a line's
    times are when the voice sounds."""
    loud = np.flatnonzero(np.abs(speech) > 1e-3)
    return speech[loud[0] : loud[-1] + 1] if len(loud) else speech[:0]


def _background(kind: Background, seconds: float, *, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 7])
    if kind == "noise":
        return _pink_noise(round(seconds * SAMPLE_RATE), rng)
    return _music(seconds, rng)


def _pink_noise(count: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(count))
    spectrum /= np.sqrt(np.arange(len(spectrum)) + 1.0)  # power falls as 1/f
    noise = np.fft.irfft(spectrum, count)
    return (0.3 * noise / (np.max(np.abs(noise)) or 1.0)).astype(np.float32)


_SCALE = (261.63, 293.66, 329.63, 349.23, 392.0, 440.0, 493.88, 523.25)  # C major, from middle C


def _music(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A melody of plucked notes with harmonics over a bass line and a kick-and-hi-hat beat (120 bpm)."""
    count = round(seconds * SAMPLE_RATE)
    out = np.zeros(count, np.float64)
    beat = round(0.5 * SAMPLE_RATE)
    note_t = np.arange(beat) / SAMPLE_RATE
    for number, first in enumerate(range(0, count, beat)):
        length = min(beat, count - first)
        nt = note_t[:length]
        frequency = _SCALE[int(rng.integers(0, len(_SCALE)))]
        envelope = np.exp(-4 * nt)
        for harmonic, level in ((1, 0.25), (2, 0.12), (3, 0.06), (4, 0.03)):
            out[first : first + length] += level * envelope * np.sin(2 * np.pi * frequency * harmonic * nt)
        bass = _SCALE[(number // 4) % 4] / 2
        out[first : first + length] += 0.15 * np.sin(2 * np.pi * bass * nt)
        kick = min(length, round(0.12 * SAMPLE_RATE))
        if number % 2 == 0:
            kt = nt[:kick]
            out[first : first + kick] += 0.5 * np.exp(-30 * kt) * np.sin(2 * np.pi * (120 - 300 * kt) * kt)
        hat_first = first + beat // 2
        hat = min(round(0.03 * SAMPLE_RATE), max(0, count - hat_first))
        out[hat_first : hat_first + hat] += 0.08 * rng.standard_normal(hat) * np.exp(-np.arange(hat) / 200)
    return (0.8 * out / (np.max(np.abs(out)) or 1.0)).astype(np.float32)


def _chords(seconds: float) -> np.ndarray:
    """Sustained organ-like chords, changing every two seconds."""
    count = round(seconds * SAMPLE_RATE)
    t = np.arange(count) / SAMPLE_RATE
    out = np.zeros(count, np.float64)
    progression = ((0, 2, 4), (5, 0, 2), (3, 5, 0), (4, 6, 1))
    span = round(2 * SAMPLE_RATE)
    for number, first in enumerate(range(0, count, span)):
        chord = progression[number % len(progression)]
        part = t[first : first + span]
        for degree in chord:
            out[first : first + span] += 0.1 * np.sin(2 * np.pi * _SCALE[degree] * part)
    return out.astype(np.float32)


# Formant frequencies (Hz) of sung vowels: a, i, u, o, e.
_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (570, 840, 2410), (530, 1840, 2480))


def _sung_vowels(seconds: float) -> np.ndarray:
    """A voice-like sound with no words: a glottal pulse train with vibrato through vowel formants,
    singing a tune on "a-i-u-o-e" (the hardest case for a voice detector: it is a voice)."""
    note_samples = round(0.8 * SAMPLE_RATE)
    tune = (220.0, 246.94, 261.63, 293.66, 329.63, 293.66, 261.63, 246.94)
    t = np.arange(note_samples) / SAMPLE_RATE
    fade = np.minimum(1.0, np.minimum(t / 0.05, (0.8 - t) / 0.05))
    notes = []
    for number in range(int(np.ceil(seconds / 0.8))):
        frequency = tune[number % len(tune)] * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
        phase = np.cumsum(frequency) / SAMPLE_RATE
        sound = ((phase % 1.0) < frequency / SAMPLE_RATE).astype(np.float64)  # one pulse per period
        for formant in _VOWELS[number % len(_VOWELS)]:
            radius, angle = np.exp(-np.pi * 100 / SAMPLE_RATE), 2 * np.pi * formant / SAMPLE_RATE
            sound = lfilter([1.0], [1.0, -2 * radius * np.cos(angle), radius**2], sound)
        notes.append(sound * fade)
    sung = np.concatenate(notes)[: round(seconds * SAMPLE_RATE)]
    return (0.3 * sung / (np.max(np.abs(sung)) or 1.0)).astype(np.float32)


def _applause(count: int, rng: np.random.Generator) -> np.ndarray:
    """Clapping: about 150 short decaying noise bursts a second, at random strengths."""
    out = np.zeros(count + SAMPLE_RATE, np.float64)
    clap = round(0.004 * SAMPLE_RATE)
    decay = np.exp(-np.arange(clap) / (clap / 6))
    for position in rng.integers(0, count, size=int(count / SAMPLE_RATE * 150)):
        out[position : position + clap] += rng.standard_normal(clap) * decay * rng.uniform(0.2, 1.0)
    out = out[:count]
    return (0.3 * out / (np.max(np.abs(out)) or 1.0)).astype(np.float32)
