"""Offline speech recognition (faster-whisper) on a spoken corpus and on sound with no speech.

    .venv/bin/python bench/speech.py [--non-speech-seconds 60] [--rounds 2] [--keep DIR] [--record]

Makes the corpus with espeak-ng (sage/synthetic_media/speech_corpus.py): for each of ten conditions — voices
(en-us, en-gb, a female en-us variant, Scottish English), rates (120, 150, 170, 190 words a minute),
clean or over pink noise or synthetic music at 10 and 5 dB below the speech — two passages read
sentence by sentence, stored as AAC in .m4a like a video's sound; and eleven files with nobody
speaking: a steady 330 Hz tone, beeps, a sweep, music, organ chords, a synthetic voice singing
vowels (no words), applause, white and pink noise, mains hum and digital silence. Then, file by
file and in the same run:

- baseline: decoding and resampling the sound to 16 kHz alone (the recogniser's own reader);
- recognition: `recognise_speech()` as the pipeline calls it (the model loaded once, before);

taking turns, `--rounds` times per spoken file, the fastest of each counting.

Prints per condition the word error rate (word-level edit distance over the reference's words,
after lower-casing, dropping punctuation and spelling out the digits Whisper writes for numbers),
the share of recognised words whose time falls inside a spoken sentence (±0.5 s), the share of
speech time marked low-confidence, and × real time (audio seconds per wall-clock second) of
recognition and of the baseline; per non-speech file the words emitted. CPU seconds (all threads)
are printed beside wall time: other processes on the machine inflate wall time, CPU time less.

Goals (issue 14), with the default model (tiny.en) and WHISPER_THREADS=2 on two cores:
recognition of the spoken corpus ≥ 15× real time, and zero words on non-speech. Exit 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import av

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.results import Row, add_record_option, record  # found through the path above
from sage.synthetic_media.speech_corpus import (
    NON_SPEECH_KINDS,
    PASSAGES,
    SPOKEN_CONDITIONS,
    SpokenPassage,
    condition_passage,
    non_speech,
    word_error_rate,
    write_audio,
)

T = TypeVar("T")

GOAL_REAL_TIME = 15.0
GOAL_NON_SPEECH_WORDS = 0
MIN_SPEECH_SECONDS = 600.0
TIME_TOLERANCE = 0.5  # seconds a word's middle may fall outside its sentence's span


def configure_django() -> None:
    """Settings for a bench run (WHISPER_MODEL, WHISPER_THREADS from the environment as usual)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import django

    django.setup()


# --- the runs -----------------------------------------------------------------------------------


@dataclass
class Measured:
    name: str
    audio_seconds: float
    baseline_wall: float
    baseline_cpu: float
    wall: float
    cpu: float
    words: int = 0
    errors: int = 0
    reference_words: int = 0
    words_inside: int = 0
    unsure_share: float = 0.0


def decode_only(path: Path) -> int:
    """The baseline: the recogniser's reader alone (PyAV decode, resampled to 16 kHz mono float)."""
    from videos.transcripts.speech import _audio_blocks

    with av.open(str(path)) as container:
        return sum(len(block.samples) for block in _audio_blocks(container, container.streams.audio[0], path.name))


def timed(function: Callable[[], T]) -> tuple[T, float, float]:
    """(what `function` returns, wall seconds, CPU seconds of this process's threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def measure(name: str, path: Path, seconds: float, spoken: SpokenPassage | None, *, rounds: int = 1) -> Measured:
    """The best (shortest) of `rounds` runs of each, baseline and recognition taking turns, so that a
    burst of load from another process does not count against one side only."""
    from videos.transcripts.speech import recognise_speech

    baseline_wall = baseline_cpu = wall = cpu = float("inf")
    result = None
    for _ in range(rounds):
        _, round_wall, round_cpu = timed(lambda: decode_only(path))
        if round_wall < baseline_wall:
            baseline_wall, baseline_cpu = round_wall, round_cpu
        result, round_wall, round_cpu = timed(lambda: recognise_speech(path))
        if round_wall < wall:
            wall, cpu = round_wall, round_cpu
    measured = Measured(name, seconds, baseline_wall, baseline_cpu, wall, cpu)
    if result is None:
        if spoken is not None:
            measured.errors, measured.reference_words = word_error_rate(spoken.text, "")
        return measured
    words = [word for segment in result.segments for word in segment.words]
    measured.words = len(words)
    if spoken is not None:
        measured.errors, measured.reference_words = word_error_rate(spoken.text, result.text)
        measured.words_inside = sum(
            any(start - TIME_TOLERANCE <= (word.start + word.end) / 2 <= end + TIME_TOLERANCE
                for start, end, _ in spoken.lines)
            for word in words
        )  # fmt: skip
        spoken_time = sum(segment.end - segment.start for segment in result.segments) or 1.0
        unsure = sum(segment.end - segment.start for segment in result.segments if segment.low_confidence)
        measured.unsure_share = unsure / spoken_time
    return measured


def load_average() -> str:
    return " ".join(f"{load:.1f}" for load in os.getloadavg())


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def rate(seconds: float, wall: float) -> str:
    return f"{seconds / wall:6.1f}×" if wall > 0 else "     ∞"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--non-speech-seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2, help="runs per spoken file; the fastest counts")
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it (else a temporary directory)")
    add_record_option(parser)
    arguments = parser.parse_args()
    configure_django()
    from django.conf import settings

    from videos.transcripts.whisper_model import whisper_model

    directory = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-speech-"))
    try:
        started = time.perf_counter()
        corpus: list[tuple[str, Path, SpokenPassage]] = []
        for number, condition in enumerate(SPOKEN_CONDITIONS):
            # Two passages per condition, each passage read under two conditions.
            text = f"{PASSAGES[number % len(PASSAGES)]} {PASSAGES[(number + 3) % len(PASSAGES)]}"
            spoken = condition_passage(condition, text, seed=number)
            corpus.append((condition.name, write_audio(directory / f"speech-{number:02d}.m4a", spoken.samples), spoken))
        quiet: list[tuple[str, Path]] = [
            (kind, write_audio(directory / f"{kind}.m4a", non_speech(kind, seconds=arguments.non_speech_seconds)))
            for kind in NON_SPEECH_KINDS
        ]
        speech_seconds = sum(spoken.speech_seconds for _, _, spoken in corpus)
        audio_seconds = sum(spoken.seconds for _, _, spoken in corpus)
        print(f"load average before: {load_average()}")
        print(
            f"corpus made in {time.perf_counter() - started:.1f} s: {len(corpus)} spoken files, "
            f"{audio_seconds / 60:.1f} min of audio with {speech_seconds / 60:.1f} min of speech; "
            f"{len(quiet)} non-speech files of {arguments.non_speech_seconds:.0f} s"
        )
        if speech_seconds < MIN_SPEECH_SECONDS:
            print(f"the corpus holds less than {MIN_SPEECH_SECONDS / 60:.0f} minutes of speech")
            return 1

        _, load_wall, _ = timed(whisper_model)
        loaded = whisper_model()
        print(f"model: {loaded.name or settings.WHISPER_MODEL} (int8, {settings.WHISPER_THREADS} threads), "
              f"loaded in {load_wall:.2f} s")  # fmt: skip
        measure("warm-up", corpus[0][1], corpus[0][2].seconds, None)  # first-call allocations, not timed

        header = f"{'condition':<38} {'WER':>6} {'in time':>8} {'unsure':>7} {'recognition':>12} {'baseline':>9}"
        print(f"\n{header} {'CPU s':>6}")
        spoken_runs = []
        for name, path, spoken in corpus:
            run = measure(name, path, spoken.seconds, spoken, rounds=arguments.rounds)
            spoken_runs.append(run)
            print(
                f"{name:<38} {run.errors / run.reference_words:6.1%} {run.words_inside / max(1, run.words):8.1%} "
                f"{run.unsure_share:7.1%} {rate(run.audio_seconds, run.wall):>12} "
                f"{rate(run.audio_seconds, run.baseline_wall):>9} {run.cpu:6.1f}"
            )
        errors = sum(run.errors for run in spoken_runs)
        reference = sum(run.reference_words for run in spoken_runs)
        wall = sum(run.wall for run in spoken_runs)
        cpu = sum(run.cpu for run in spoken_runs)
        baseline_wall = sum(run.baseline_wall for run in spoken_runs)
        inside = sum(run.words_inside for run in spoken_runs) / max(1, sum(run.words for run in spoken_runs))
        print(
            f"{'all speech':<38} {errors / reference:6.1%} {inside:8.1%} {'':7} {rate(audio_seconds, wall):>12} "
            f"{rate(audio_seconds, baseline_wall):>9} {cpu:6.1f}"
        )
        real_time = audio_seconds / wall
        print(
            f"recognition: {audio_seconds:.0f} s of audio in {wall:.1f} s wall ({real_time:.1f}× real time), "
            f"{cpu:.1f} s of CPU ({audio_seconds / cpu:.1f}× real time per CPU second); decoding and "
            f"resampling alone (baseline): {baseline_wall:.2f} s, recognition takes {wall / baseline_wall:.0f}× as long"
        )
        print(f"load average after: {load_average()} (other processes on the machine slow wall time)")

        print(f"\n{'non-speech':<38} {'words':>6} {'recognition':>12} {'baseline':>9}")
        quiet_words = 0
        for kind, path in quiet:
            run = measure(kind, path, arguments.non_speech_seconds, None)
            quiet_words += run.words
            print(f"{kind:<38} {run.words:6d} {rate(run.audio_seconds, run.wall):>12} "
                  f"{rate(run.audio_seconds, run.baseline_wall):>9}")  # fmt: skip

        met_speed = real_time >= GOAL_REAL_TIME
        met_quiet = quiet_words <= GOAL_NON_SPEECH_WORDS
        print(f"\ngoal ≥ {GOAL_REAL_TIME:.0f}× real time on the spoken corpus: {real_time:.1f}× — {verdict(met_speed)}")
        print(f"goal {GOAL_NON_SPEECH_WORDS} words on non-speech: {quiet_words} — {verdict(met_quiet)}")
        if arguments.record:
            model = f"{loaded.name or settings.WHISPER_MODEL}, {settings.WHISPER_THREADS} threads"
            most = "zero words" if GOAL_NON_SPEECH_WORDS == 0 else f"≤ {GOAL_NON_SPEECH_WORDS} words"
            record(
                bench="speech",
                path=arguments.record,
                rows=[
                    Row(
                        f"{model}: ≥ {GOAL_REAL_TIME:g}× real time over the spoken corpus",
                        f"{real_time:.1f}× ({audio_seconds / cpu:.1f}× per CPU second)",
                        met_speed,
                    ),
                    Row(f"{most} on non-speech ({len(quiet)} files)", f"{quiet_words} words", met_quiet),
                    Row("word error rate over all speech (no goal)", f"{100 * errors / reference:.1f} %", None),
                ],
            )
        return 0 if met_speed and met_quiet else 1
    finally:
        if arguments.keep is None:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
