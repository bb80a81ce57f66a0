"""Speech in another language: told apart from English by the English-only model, or named by a
multilingual one.

    .venv/bin/python bench/language.py [--keep DIR] [--record]
    WHISPER_MODEL=/path/to/faster-whisper-base .venv/bin/python bench/language.py

Makes with espeak-ng (sage/synthetic_media/other_languages.py, speech_corpus.py): two passages in
each of ten languages (fr, de, es, it, pt, nl, pl, ru, sv, tr; one clean at 150 words a minute, one
at 170 over pink noise 10 dB below the speech); English in the ten voices, rates and backgrounds
of bench/speech.py; and four files with nobody speaking (sung vowels, music, applause, pink noise).
Adds real recordings from public repositories (REAL_RECORDINGS; their sources, licences and SHA-256
are in sage/synthetic_media/public_media.toml), read from the folder SAGE_BENCH_MEDIA names (those
missing are left out, and counted). Each is recognised as the pipeline does (`recognise_speech`),
one at a time.

With an English-only model (the default tiny.en) it prints, per file, the signals the decision is
made from (`videos.transcripts.speech.LanguageEvidence`: mean token log-probability, mean word
probability, share of speech in windows that do not read as English) and the decision; then per
signal the range over English and over the other languages, to show which separates. Goals:
≥ 90 % of the other-language files marked "another language", none of the English ones (synthetic
or real), none of the non-speech files. With a multilingual model: the language detected is the
one spoken on ≥ 90 % of the other-language files, and English on every English one.
Exit 1 when a goal is not met.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.results import Row, add_record_option, record  # found through the path above
from bench.speech import configure_django, load_average, verdict
from sage.synthetic_media.caching import MissingMedia
from sage.synthetic_media.other_languages import OTHER_LANGUAGES, spoken_in
from sage.synthetic_media.public_media import media_directory, public_file
from sage.synthetic_media.speech_corpus import (
    PASSAGES,
    SPOKEN_CONDITIONS,
    Background,
    NonSpeechKind,
    condition_passage,
    non_speech,
    write_audio,
)

GOAL_DETECTED = 0.90  # other-language files marked so (English-only model), or named right (multilingual)
GOAL_FALSE_ENGLISH = 0  # English files marked "another language"
GOAL_FALSE_QUIET = 0  # non-speech files marked "another language"
NON_SPEECH: tuple[NonSpeechKind, ...] = ("sung_vowels", "music", "applause", "pink_noise")
NON_SPEECH_SECONDS = 30.0


@dataclass(frozen=True)
class Recording:
    """A real recording: its name in the public media manifest and its language ("en", "de", "mixed")."""

    name: str
    language: str


REAL_RECORDINGS: tuple[Recording, ...] = (
    Recording("fw-jfk.flac", "en"),
    Recording("fw-hotwords.mp3", "en"),
    Recording("fw-stereo_diarization.wav", "en"),
    Recording("jl-OSR_us_000_0034_8k.wav", "en"),
    Recording("sb-LJ050-0131.wav", "en"),
    Recording("sb-example1.wav", "en"),
    Recording("sb-example2.flac", "en"),
    Recording("sb-example5.wav", "en"),
    Recording("sb-example6.wav", "en"),
    Recording("sb-vad-train.wav", "en"),
    Recording("sb-vad-valid.wav", "en"),
    *(
        Recording(f"pra-arctic_{utterance}.wav", "en")
        for utterance in ("aew_a0001", "aew_a0002", "aew_a0003", "axb_a0004", "axb_a0005", "axb_a0006")
    ),
    Recording("pra-german_speech_8000.wav", "de"),
    # English read first, then the same text in another language: neither verdict is wrong.
    Recording("fw-multilingual.mp3", "mixed"),
)


@dataclass
class Judged:
    name: str
    kind: str  # "other", "english", "real", "quiet"
    language: str  # what is spoken ("" for non-speech, "mixed")
    seconds: float
    other_language: bool = False
    detected: str = ""
    words: int = 0
    speech_seconds: float = 0.0
    other_share: float = 0.0
    mean_logprob: float = 0.0
    mean_word_probability: float = 0.0
    wall: float = 0.0


def real_recordings() -> list[tuple[Recording, Path]]:
    """The real recordings found in the public media folder (checked by SHA-256)."""
    found = []
    for recording in REAL_RECORDINGS:
        try:
            found.append((recording, public_file(recording.name)))
        except MissingMedia as error:
            print(f"left out: {error}")
    return found


def judge(name: str, kind: str, language: str, path: Path, seconds: float) -> Judged:
    from videos.transcripts.speech import recognise_speech_with_evidence

    started = time.perf_counter()
    result, evidence = recognise_speech_with_evidence(path)
    judged = Judged(name, kind, language, seconds, wall=time.perf_counter() - started)
    if result is not None:
        judged.other_language = result.other_language
        judged.detected = result.language
        judged.words = sum(len(segment.words) for segment in result.segments)
    judged.speech_seconds = evidence.speech_seconds
    judged.other_share = evidence.other_share
    judged.mean_logprob = evidence.mean_logprob
    judged.mean_word_probability = evidence.mean_word_probability
    return judged


def audio_seconds(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1_000_000


def spread(values: list[float]) -> str:
    return f"{min(values):6.2f} … {max(values):5.2f}" if values else "—"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="write the synthetic corpus here and keep it")
    add_record_option(parser)
    arguments = parser.parse_args()
    configure_django()
    from django.conf import settings

    from videos.transcripts.whisper_model import whisper_model

    directory = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-language-"))
    try:
        started = time.perf_counter()
        corpus: list[tuple[str, str, str, Path, float]] = []  # name, kind, language, path, seconds
        for number, language in enumerate(OTHER_LANGUAGES):
            readings: tuple[tuple[int, Background], ...] = ((150, "none"), (170, "noise"))
            for passage, (rate, background) in enumerate(readings):
                spoken = spoken_in(language, number=passage, words_per_minute=rate, background=background, seed=number)
                name = f"{language}, {rate} wpm, {'clean' if background == 'none' else 'noise 10 dB'}"
                path = write_audio(directory / f"{language}-{passage}.m4a", spoken.samples)
                corpus.append((name, "other", language, path, spoken.seconds))
        for number, condition in enumerate(SPOKEN_CONDITIONS):
            spoken = condition_passage(condition, PASSAGES[number % len(PASSAGES)], seed=number)
            path = write_audio(directory / f"en-{number:02d}.m4a", spoken.samples)
            corpus.append((condition.name, "english", "en", path, spoken.seconds))
        for quiet_kind in NON_SPEECH:
            path = write_audio(directory / f"{quiet_kind}.m4a", non_speech(quiet_kind, seconds=NON_SPEECH_SECONDS))
            corpus.append((quiet_kind, "quiet", "", path, NON_SPEECH_SECONDS))
        real = real_recordings()
        for recording, path in real:
            corpus.append((recording.name, "real", recording.language, path, audio_seconds(path)))
        print(f"load average before: {load_average()}")
        print(
            f"corpus made in {time.perf_counter() - started:.1f} s: {len(corpus)} files, "
            f"{sum(item[4] for item in corpus) / 60:.1f} min; {len(real)} of {len(REAL_RECORDINGS)} real "
            f"recordings found in {media_directory()}"
        )
        loaded = whisper_model()
        model = f"{loaded.name or settings.WHISPER_MODEL} ({'multilingual' if loaded.multilingual else 'English only'})"
        print(f"model: {model}, {settings.WHISPER_THREADS} threads\n")

        header = f"{'file':<34} {'lang':>5} {'s':>5} {'speech':>6} {'logprob':>7} {'word p':>6} {'other':>6}"
        print(f"{header} {'verdict':<18} {'words':>5}")
        runs: list[Judged] = []
        for name, kind, language, path, seconds in corpus:
            run = judge(name, kind, language, path, seconds)
            runs.append(run)
            said = "another language" if run.other_language else (run.detected or "no speech")
            print(
                f"{name[:34]:<34} {language or '—':>5} {seconds:5.0f} {run.speech_seconds:6.1f} "
                f"{run.mean_logprob:7.2f} {run.mean_word_probability:6.2f} {run.other_share:6.0%} "
                f"{said:<18} {run.words:5d}"
            )
        audio = sum(run.seconds for run in runs)
        wall = sum(run.wall for run in runs)
        print(f"\n{audio:.0f} s of audio recognised in {wall:.1f} s ({audio / wall:.1f}× real time)")

        others = [run for run in runs if run.kind == "other"]
        english = [run for run in runs if run.language == "en"]
        quiet = [run for run in runs if run.kind == "quiet"]
        false_english = sum(run.other_language for run in english)
        false_quiet = sum(run.other_language for run in quiet)
        rows: list[Row] = []
        if loaded.multilingual:
            named = sum(run.detected == run.language for run in others)
            named_english = sum(run.detected == "en" for run in english)
            silent = sum(not run.detected for run in others)
            met_detected = named >= GOAL_DETECTED * len(others)
            met_english = named_english == len(english)
            print(
                f"\ngoal ≥ {GOAL_DETECTED:.0%} of other-language files named right: {named} of {len(others)} "
                f"({silent} got no words at all) — {verdict(met_detected)}"
            )
            print(f"goal every English file named English: {named_english} of {len(english)} — {verdict(met_english)}")
            rows = [
                Row(
                    f"{model}: ≥ {GOAL_DETECTED:.0%} of other-language files named right "
                    f"({len(OTHER_LANGUAGES)} languages, espeak-ng)",
                    f"{named} of {len(others)} ({silent} no words)",
                    met_detected,
                ),
                Row(f"{model}: every English file named English", f"{named_english} of {len(english)}", met_english),
            ]
            met = met_detected and met_english
        else:
            print(f"\n{'signal':<40} {'English (all)':>16} {'other languages':>16}")
            spoken_english = [run for run in english if run.speech_seconds > 0]
            for label, attribute in (
                ("mean token log-probability", "mean_logprob"),
                ("mean word probability", "mean_word_probability"),
                ("share of speech not reading as English", "other_share"),
            ):
                print(
                    f"{label:<40} {spread([getattr(run, attribute) for run in spoken_english]):>16} "
                    f"{spread([getattr(run, attribute) for run in others]):>16}"
                )
            detected = sum(run.other_language for run in others)
            met_detected = detected >= GOAL_DETECTED * len(others)
            met_english = false_english <= GOAL_FALSE_ENGLISH
            met_quiet = false_quiet <= GOAL_FALSE_QUIET
            real_english = sum(run.kind == "real" for run in english)
            print(f"\ngoal ≥ {GOAL_DETECTED:.0%} of other-language files marked 'another language': "
                  f"{detected} of {len(others)} — {verdict(met_detected)}")  # fmt: skip
            print(f"goal {GOAL_FALSE_ENGLISH} English files marked 'another language': {false_english} of "
                  f"{len(english)} ({real_english} real) — {verdict(met_english)}")  # fmt: skip
            print(f"goal {GOAL_FALSE_QUIET} non-speech files marked 'another language': {false_quiet} of "
                  f"{len(quiet)} — {verdict(met_quiet)}")  # fmt: skip
            rows = [
                Row(
                    f"{model}: ≥ {GOAL_DETECTED:.0%} of other-language files marked so "
                    f"({len(OTHER_LANGUAGES)} languages, espeak-ng)",
                    f"{detected} of {len(others)} ({detected / len(others):.0%})",
                    met_detected,
                ),
                Row(
                    f"{GOAL_FALSE_ENGLISH} English files marked 'another language' "
                    f"({len(english) - real_english} espeak-ng, {real_english} real)",
                    f"{false_english} of {len(english)}",
                    met_english,
                ),
                Row(
                    f"{GOAL_FALSE_QUIET} non-speech files marked 'another language'",
                    f"{false_quiet} of {len(quiet)}",
                    met_quiet,
                ),
            ]
            met = met_detected and met_english and met_quiet
        print(f"load average after: {load_average()}")
        if arguments.record:
            # Partial: the rows of the English-only model and of a multilingual one live side by side.
            record(bench="language", path=arguments.record, rows=rows, partial=True)
        return 0 if met else 1
    finally:
        if arguments.keep is None:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
