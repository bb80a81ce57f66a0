"""The measuring pass: scores per step of every candidate stretch, verified on the two files when
given (videos.engine.verify decodes only the candidates and scores picture and sound on a fixed
0–1 scale, within VERIFY_BUDGET_SECONDS), else the screening's figures put on the same scale (a
benchmark on fingerprints alone, or a comparison a worker verifies later).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from videos.embeddings.audio import Spectrogram
from videos.engine.model import STEP, Measured, Stretch
from videos.engine.passes.base import PassState
from videos.engine.passes.screen import picture_scores, sound_scores
from videos.engine.signals import PairSignals
from videos.engine.sources import MediaSource
from videos.engine.verify import SOUND_RATE, measure_pictures, measure_sound

# At most this many seconds are decoded to verify (a whole video that differs needs no more to say so).
VERIFY_BUDGET_SECONDS = 900.0


@dataclass(frozen=True)
class Measure:
    """The candidates' scores: on `sources` (the two files) when given, else the screening's (and
    then not `verified`, unless there was nothing to verify)."""

    sources: tuple[MediaSource, MediaSource] | None = None
    name: str = "candidates' scores"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        return dataclasses.replace(
            state,
            measured=measure(signals, state.candidates, self.sources),
            verified=self.sources is not None or not state.candidates,
        )


def measure(
    signals: PairSignals, candidates: list[Stretch], sources: tuple[MediaSource, MediaSource] | None
) -> list[Measured]:
    """Scores per step of every candidate: verified on the files when given (within the budget),
    else the screening's figures put on the same scale."""
    measured: list[Measured] = []
    verified = 0.0
    to_verify: list[Stretch] = []
    rough: list[Stretch] = []
    for stretch in candidates:
        length = stretch.a_end - stretch.a_start
        if sources is not None and verified + length <= VERIFY_BUDGET_SECONDS:
            to_verify.append(stretch)
            verified += length
        else:
            rough.append(stretch)
    if to_verify and sources is not None:
        pictures = measure_pictures(sources[0], sources[1], to_verify)
        sounds = _sounds(sources, to_verify)
        for number, stretch in enumerate(to_verify):
            sound = sounds[number] if sounds is not None else None
            measured.append(
                Measured(
                    stretch.a_start,
                    stretch.offset,
                    pictures.scores[number],
                    sound,
                    stretch.rate,
                    edges=pictures.edges[number],
                    rates=pictures.rates,
                )
            )
    if rough:
        measured.extend(_screened(signals, stretch) for stretch in rough)
    measured.sort(key=lambda item: item.a_start)
    return measured


def _sounds(sources: tuple[MediaSource, MediaSource], stretches: list[Stretch]) -> list[np.ndarray] | None:
    """The stretches' sound scores on the files (None without sound). Verifying sets A's sound
    frames against B's a whole frame either way at most; B played at another speed shares no
    frames with A, its line is a few milliseconds off at places, and a stretch whose pitch was
    kept is laid in grains a few milliseconds off its line: B's frames fall between A's, and the
    first sound after a pause, 7 ms off, scores as a change (0.17, 0.31). So B's sound is also read
    half a frame either side, and the closest counts, step by step."""
    half = _frame_seconds() / 2
    shifted = [
        (number, dataclasses.replace(stretch, sound_lag=stretch.sound_lag + shift))
        for number, stretch in enumerate(stretches)
        if stretch.rate != 1.0
        for shift in (-half, half)
    ]
    scores = measure_sound(sources[0], sources[1], stretches + [stretch for _, stretch in shifted])
    if scores is None:
        return None
    closest = scores[: len(stretches)]
    for (number, _), other in zip(shifted, scores[len(stretches) :], strict=True):
        closest[number] = np.fmin(closest[number], other)
    return closest


@functools.cache
def _frame_seconds() -> float:
    """How far apart verifying's sound frames are."""
    return Spectrogram(SOUND_RATE).hop / SOUND_RATE


def _screened(signals: PairSignals, stretch: Stretch) -> Measured:
    """The screening's figures for a stretch not verified, put on the 0–1 scale."""
    times = stretch.steps()
    # At another speed, B's offset moves step by step (and its sound with it).
    moving = (times - stretch.a_start) * (stretch.rate - 1.0)
    picture = np.clip(picture_scores(signals, times, stretch.offset + moving) / 0.2, 0.0, 1.0)
    bounds = (float(times[0]) - STEP / 2, float(times[-1]) + STEP / 2)
    heard = stretch.sound_lag + moving if stretch.rate != 1.0 else stretch.sound_lag
    sound = sound_scores(signals, times, stretch.offset, bounds, lag=heard, ratio=1.0 / stretch.rate)
    return Measured(stretch.a_start, stretch.offset, picture, sound, stretch.rate)
