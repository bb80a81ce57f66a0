"""The measuring pass: scores per step of every candidate stretch, verified on the two files when
given (videos.engine.verify decodes only the candidates and scores picture and sound on a fixed
0–1 scale, within VERIFY_BUDGET_SECONDS), else the screening's figures put on the same scale (a
benchmark on fingerprints alone, or a comparison a worker verifies later).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from videos.engine.model import STEP, Measured, Stretch
from videos.engine.passes.base import PassState
from videos.engine.passes.screen import picture_scores, sound_scores
from videos.engine.signals import PairSignals
from videos.engine.sources import MediaSource
from videos.engine.verify import measure_pictures, measure_sound

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
        sounds = measure_sound(sources[0], sources[1], to_verify)
        for number, stretch in enumerate(to_verify):
            sound = sounds[number] if sounds is not None else None
            measured.append(Measured(stretch.a_start, stretch.offset, pictures[number], sound, stretch.rate))
    if rough:
        measured.extend(_screened(signals, stretch) for stretch in rough)
    measured.sort(key=lambda item: item.a_start)
    return measured


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
