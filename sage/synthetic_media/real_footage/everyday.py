"""Edits as editors make them every day (issue 64): a tightened cut, sound that is not speech, a
stretch played backwards; the parts the cases in this package's `__init__` are built from.

- :class:`BedReel`: a reel whose sound is a bed of clicks, notes or effects (:mod:`..sound_beds`),
  under its speech if it has any;
- :class:`Backwards` and :class:`EditedCut`: a cut that may play a stretch backwards, picture and
  sound;
- :func:`tightened`: a cut with many small removals, and its truth (one removal each).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..caching import code_digest
from ..content import SAMPLE_RATE
from ..edits import TruthSegment
from ..scoring import FindingsTruth
from ..sound_beds import Bed, bed_samples
from .cuts import Cut, Reel, Shot
from .sources import FPS

FRAME = 1 / FPS  # a reel's frame
# Part of a bed reel's description, so that its rendered files (named by a hash of the cut, its
# reels and cuts.py) are rendered again when this module or the beds change.
_CODE = code_digest(Path(__file__).parent / name for name in ("everyday.py", "../sound_beds.py"))[:12]


@dataclass(frozen=True)
class BedReel(Reel):
    """A reel with a sound bed under its speech (which may be none)."""

    bed: Bed | None = None
    code: str = _CODE

    def sound(self) -> np.ndarray:
        speech = super().sound()
        if self.bed is None:
            return speech
        mixed: np.ndarray = speech + bed_samples(self.bed, self.seconds)[: len(speech)]
        return mixed


@dataclass(frozen=True)
class Backwards(Shot):
    """`start`–`end` of its reel played backwards at its own speed, picture and sound."""

    code: str = _CODE


@dataclass(frozen=True)
class EditedCut(Cut):
    """A cut whose shots may play backwards (:class:`Backwards`; its sound then holds no drift)."""

    def source_at(self, at: float) -> tuple[Shot, float]:
        shot, source = super().source_at(at)
        if isinstance(shot, Backwards):
            # Its last frame first: the first moment shown is one frame before its end.
            return shot, shot.start + shot.end - source - FRAME
        return shot, source

    def sound(self) -> np.ndarray:
        forwards = Cut(
            tuple(Shot(shot.reel, shot.start, shot.end, shot.rate, shot.pitch_kept) for shot in self.shots),
            self.overlays,
            self.sound_lag,
            self.sound_drift,
            self.encoding,
        )
        samples = forwards.sound()
        for shot, start in zip(self.shots, self.shot_starts(), strict=True):
            if isinstance(shot, Backwards):
                first = max(0, round((start + self.sound_lag) * SAMPLE_RATE))
                last = min(len(samples), round((start + self.sound_lag + shot.seconds) * SAMPLE_RATE))
                samples[first:last] = samples[first:last][::-1].copy()
        return samples


def tightened(reel: Reel, removals: tuple[tuple[float, float], ...]) -> tuple[Cut, Cut, FindingsTruth]:
    """A (the whole reel) and B (the reel with each of `removals`, times of A in order, taken out),
    and the truth: one "only_a" a removal, at the point of B where it was, nothing else."""
    shots, segments, spans = [], [], []
    kept_from, removed = 0.0, 0.0
    for low, high in (*removals, (reel.seconds, reel.seconds)):
        if high > low:
            segments.append(TruthSegment("only_a", low, high, low - removed, low - removed))
        shots.append(Shot(reel, kept_from, low))
        spans.append((kept_from, low, kept_from - removed, low - removed))
        removed += high - low
        kept_from = high
    truth = FindingsTruth(0.0, tuple(spans), tuple(segments))
    return Cut((Shot(reel, 0, reel.seconds),)), Cut(tuple(shots)), truth
