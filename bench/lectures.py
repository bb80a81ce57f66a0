"""Talks with slides, for measuring citations over what is said AND what is shown (bench/citations.py).

Four talks, each a sound track and a slide video on one clock:

- "Harvard sentences" and "Famous lines": real recordings with reference transcripts, taken from
  public GitHub repositories (files of sage/synthetic_media/public_media.toml, read from the
  folder SAGE_BENCH_MEDIA names and checked by SHA-256, outside git):
  * joinly-ai/joinly `tests/data/speech_audio/OSR_us_000_0034_8k.wav` (repository MIT): the Open
    Speech Repository's reading of Harvard list 72, "freely available for … research, development"
    with attribution ("Open Speech Repository"); the reference text is the repository's
    `test_samples.json`.
  * SYSTRAN/faster-whisper `tests/data/jfk.flac` (repository MIT): John F. Kennedy's inaugural address, 1961, a
    US government work in the public domain.
  * LCAV/pyroomacoustics `examples/input_samples/cmu_arctic_us_*_a000[1-6].wav` (repository MIT):
    CMU ARCTIC (Carnegie Mellon University, free to use and redistribute, BSD-style licence).
  The time each reference sentence starts is found on the sound itself (the pauses between
  sentences, `sentence_runs`), not from the recogniser.
- "Volcanoes" and "Bicycles": espeak-ng reading the sentences at known times
  (sage.synthetic_media.speech_corpus).

The slides are drawn by sage.synthetic_media.screen_text at known times, with facts the talk does
not say (a date, a room, a height), so a question about them can only be answered by what is shown.

Each question names its talk and either a said sentence (its index) or a shown line (its text);
questions alternate between the tuning half and the held-out half, talk by talk (`held_out`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sage.synthetic_media.caching import MissingMedia
from sage.synthetic_media.content import SAMPLE_RATE
from sage.synthetic_media.copies import decoded_sound
from sage.synthetic_media.public_media import public_file

PAUSE_SECONDS = 1.0  # between recordings joined into one talk


@dataclass(frozen=True)
class Recording:
    """A file of the public media manifest (by its name there) and what it says (sentence by sentence,
    as its reference transcript has it)."""

    name: str
    sentences: tuple[str, ...]


HARVARD_72 = Recording(
    "jl-OSR_us_000_0034_8k.wav",
    (
        "A gold ring will please most any girl.",
        "The long journey home took a year.",
        "She saw a cat in the neighbor's house.",
        "A pink shell was found on the sandy beach.",
        "Small children came to see him.",
        "The grass and bushes were wet with dew.",
        "The blind man counted his old coins.",
        "A severe storm tore down the barn.",
        "She called his name many times.",
        "When you hear the bell, come quickly.",
    ),
)
JFK = Recording(
    "fw-jfk.flac",
    ("And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",),
)
ARCTIC = tuple(
    Recording(f"pra-arctic_{name}.wav", (text,))
    for name, text in (
        (
            "aew_a0001",
            "Author of the danger trail, Philip Steels, etc.",
        ),
        (
            "aew_a0002",
            "Not at this particular case, Tom, apologized Whittemore.",
        ),
        (
            "aew_a0003",
            "For the twentieth time that evening the two men shook hands.",
        ),
        (
            "axb_a0004",
            "Lord, but I'm glad to see you again, Phil.",
        ),
        (
            "axb_a0005",
            "Will we ever forget it.",
        ),
        (
            "axb_a0006",
            "God bless 'em, I hope I'll go on seeing them forever.",
        ),
    )
)


@dataclass(frozen=True)
class Slide:
    """Lines shown from `start` to `end` seconds: the first as the title, the rest as bullets."""

    start: float
    end: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Lecture:
    """A talk: real `recordings` joined with pauses, or `synthetic` sentences read by espeak-ng in
    `voice`; and its slides."""

    title: str
    slides: tuple[Slide, ...]
    recordings: tuple[Recording, ...] = ()
    synthetic: tuple[str, ...] = ()
    voice: str = "en-us"
    words_per_minute: int = 150

    @property
    def real(self) -> bool:
        return bool(self.recordings)

    @property
    def sentences(self) -> tuple[str, ...]:
        if self.synthetic:
            return self.synthetic
        return tuple(sentence for recording in self.recordings for sentence in recording.sentences)


@dataclass(frozen=True)
class LectureQuestion:
    text: str
    lecture: int  # index in LECTURES
    sentence: int | None = None  # the said sentence that answers (index in the lecture's sentences)
    shown: str | None = None  # or the shown line that answers

    @property
    def kind(self) -> str:
        return "shown" if self.shown is not None else "said"


LECTURES: tuple[Lecture, ...] = (
    Lecture(
        "Harvard sentences",
        recordings=(HARVARD_72,),
        slides=(
            Slide(0.0, 12.0, ("Open Speech Repository", "Harvard sentences, list 72")),
            Slide(12.0, 24.0, ("About the recording", "Sampled at 8 kHz, 16-bit mono")),
            Slide(24.0, 36.0, ("Next session", "Listening tests in room C204")),
        ),
    ),
    Lecture(
        "Famous lines",
        recordings=(JFK, *ARCTIC),
        slides=(
            Slide(0.0, 11.5, ("John F. Kennedy", "Inaugural address, 20 January 1961")),
            Slide(11.5, 40.0, ("CMU ARCTIC", "Recorded at Carnegie Mellon University")),
        ),
    ),
    Lecture(
        "Volcanoes",
        synthetic=(
            "Welcome to this short lecture about volcanoes and how they shape the land.",
            "A volcano forms where molten rock from deep inside the earth reaches the surface.",
            "When this molten rock flows out of the ground, we call it lava instead of magma.",
            "Lava can be hotter than one thousand degrees Celsius when it first erupts.",
            "Shield volcanoes, like those in Hawaii, have gentle slopes built from runny lava.",
            "Explosive eruptions throw ash high into the sky, where it can stop aeroplanes from flying.",
            "Scientists watch for small earthquakes, because they often come before an eruption.",
            "The soil around an old volcano is very rich, so farmers have grown crops there for centuries.",
            "Next week we will visit a crater lake and measure the temperature of its water.",
        ),
        slides=(
            Slide(0.0, 14.0, ("Volcanoes: lecture 3", "Dr. Amelia Reyes, Earth Sciences")),
            Slide(14.0, 30.0, ("Mount Etna", "Height: 3,357 metres", "Last great eruption: 1669")),
            Slide(30.0, 46.0, ("Reading", "Chapter 5, pages 88 to 104")),
            Slide(46.0, 70.0, ("Field trip", "Meet at the north gate at 7:30", "Bring boots and a water bottle")),
        ),
    ),
    Lecture(
        "Bicycles",
        voice="en-gb",
        words_per_minute=160,
        synthetic=(
            "Hello, and thank you for coming to this talk on the history of the bicycle.",
            "The first machines had no pedals at all, and riders pushed them along with their feet.",
            "Pedals were fixed to the front wheel in the eighteen sixties, in France.",
            "The penny farthing had a huge front wheel, which made it fast but dangerous to ride.",
            "The safety bicycle, with two wheels of the same size and a chain, arrived in the eighteen eighties.",
            "Air filled tyres made riding on rough roads far more comfortable.",
            "Today more than half of all trips in some Dutch cities are made by bike.",
            "Electric bikes now help older riders climb steep hills without getting tired.",
            "Please hand in your essays about transport before the end of the month.",
        ),
        slides=(
            Slide(0.0, 12.0, ("The bicycle: a short history", "Prof. Daniel Okafor")),
            Slide(12.0, 28.0, ("Tour de France", "First race: 1903", "Longest ever: 5,745 km in 1926")),
            Slide(28.0, 44.0, ("Bike sharing", "Paris Velib: 20,000 bikes")),
            Slide(44.0, 70.0, ("Assignment", "Essay of 2,000 words", "Office hours: Tuesday 2 pm")),
        ),
    ),
)


def talk_questions(lecture: int, said: dict[int, str], shown: dict[str, str]) -> tuple[LectureQuestion, ...]:
    """A talk's questions in the order they are asked: of its said sentences (by index), then of its
    shown lines (question: the line that answers it)."""
    return (
        *(LectureQuestion(text, lecture, sentence=sentence) for sentence, text in said.items()),
        *(LectureQuestion(text, lecture, shown=line) for text, line in shown.items()),
    )


QUESTIONS: tuple[LectureQuestion, ...] = (
    *talk_questions(
        0,  # Harvard sentences
        said={
            0: "What would please almost any girl?",
            1: "How long did it take to travel back home?",
            2: "Where did she spot the cat?",
            3: "What was discovered on the beach?",
            4: "Who came to visit him?",
            5: "What were the grass and bushes covered in?",
            6: "What did the man who could not see count?",
            7: "What destroyed the barn?",
            9: "What should you do when the bell rings?",
        },
        shown={
            "At what sample rate was this recorded?": "Sampled at 8 kHz, 16-bit mono",
            "Which room are the listening tests in?": "Listening tests in room C204",
        },
    ),
    *talk_questions(
        1,  # Famous lines
        said={
            0: "What did Kennedy tell Americans to ask themselves?",
            1: "Who wrote The Danger Trail?",
            2: "Who apologised to Tom?",
            3: "How many times had the two men shaken hands that evening?",
            4: "Who is he happy to see again?",
        },
        shown={
            "On what date was the inaugural address given?": "Inaugural address, 20 January 1961",
            "Which university made the ARCTIC recordings?": "Recorded at Carnegie Mellon University",
        },
    ),
    *talk_questions(
        2,  # Volcanoes
        said={
            1: "How does a volcano form?",
            2: "What is the difference between lava and magma?",
            3: "How hot does lava get?",
            4: "Why do shield volcanoes have gentle slopes?",
            5: "Why can volcanic ash ground planes?",
            6: "What warning signs come before an eruption?",
            7: "Why do farmers grow crops near old volcanoes?",
        },
        shown={
            "Who teaches the volcano lecture?": "Dr. Amelia Reyes, Earth Sciences",
            "How tall is Mount Etna?": "Height: 3,357 metres",
            "When did Etna last erupt badly?": "Last great eruption: 1669",
            "Which pages of the book should we read?": "Chapter 5, pages 88 to 104",
            "Where do we meet for the field trip?": "Meet at the north gate at 7:30",
            "What should I bring on the trip?": "Bring boots and a water bottle",
        },
    ),
    *talk_questions(
        3,  # Bicycles
        said={
            1: "How did riders move the first bikes?",
            2: "When were pedals added to bicycles?",
            3: "Why was the penny farthing risky?",
            4: "When did the safety bicycle appear?",
            5: "What made cycling on bumpy roads more pleasant?",
            6: "How popular is cycling in the Netherlands?",
            7: "How do e-bikes help older people?",
        },
        shown={
            "When was the first Tour de France?": "First race: 1903",
            "How long was the longest Tour de France?": "Longest ever: 5,745 km in 1926",
            "How many bikes does Paris have for sharing?": "Paris Velib: 20,000 bikes",
            "How long must the essay be?": "Essay of 2,000 words",
            "When are the office hours?": "Office hours: Tuesday 2 pm",
        },
    ),
)


def held_out(number: int) -> bool:
    """Whether QUESTIONS[number] is in the held-out half: every second question of each talk."""
    question = QUESTIONS[number]
    of_lecture = [index for index, other in enumerate(QUESTIONS) if other.lecture == question.lecture]
    return of_lecture.index(number) % 2 == 1


# --- the sound ------------------------------------------------------------------------------------


def recording_path(recording: Recording) -> Path:
    """The recording in the public media folder, checked by SHA-256."""
    try:
        return public_file(recording.name)
    except MissingMedia as error:
        raise SystemExit(str(error)) from None


def sentence_runs(samples: np.ndarray, count: int) -> list[tuple[float, float]]:
    """Where the `count` sentences of a recording are: runs of sound (20 ms frames within 32 dB of the
    loudest) split at the `count - 1` longest pauses."""
    hop = SAMPLE_RATE // 50
    frames = len(samples) // hop
    energy = np.sqrt((samples[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1) + 1e-12)
    loud = 20 * np.log10(energy / energy.max()) > -32
    runs: list[list[int]] = []
    for index, on in enumerate(loud):
        if on and (not runs or runs[-1][1] != index):
            runs.append([index, index + 1])
        elif on:
            runs[-1][1] = index + 1
    runs = [run for run in runs if run[1] - run[0] >= 3]  # clicks are not speech
    if len(runs) < count:
        raise SystemExit(f"found {len(runs)} runs of sound where {count} sentences are said")
    gaps = sorted(range(1, len(runs)), key=lambda index: runs[index][0] - runs[index - 1][1], reverse=True)
    cuts = sorted(gaps[: count - 1])
    bounds = [0, *cuts, len(runs)]
    return [
        (runs[bounds[i]][0] * hop / SAMPLE_RATE, runs[bounds[i + 1] - 1][1] * hop / SAMPLE_RATE) for i in range(count)
    ]


def lecture_sound(lecture: Lecture) -> tuple[np.ndarray, list[float]]:
    """The talk's sound (float32 mono at SAMPLE_RATE) and when each of its sentences starts."""
    if lecture.synthetic:
        from sage.synthetic_media.speech_corpus import spoken_passage

        spoken = spoken_passage(
            " ".join(lecture.synthetic), voice=lecture.voice, words_per_minute=lecture.words_per_minute
        )
        if len(spoken.lines) != len(lecture.synthetic):
            raise SystemExit(f"{lecture.title}: the passage split into {len(spoken.lines)} sentences")
        return spoken.samples, [start for start, _, _ in spoken.lines]
    pieces: list[np.ndarray] = []
    starts: list[float] = []
    position = 0
    pause = np.zeros(round(PAUSE_SECONDS * SAMPLE_RATE), np.float32)
    for recording in lecture.recordings:
        samples = decoded_sound(recording_path(recording))
        starts += [position / SAMPLE_RATE + start for start, _ in sentence_runs(samples, len(recording.sentences))]
        pieces += [samples, pause]
        position += len(samples) + len(pause)
    return np.concatenate(pieces), starts
