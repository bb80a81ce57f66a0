"""The recut's null test: v1's own sound recut by the plan, against v2's own sound, per event.

Both are decoded from the videos at 48 kHz with PyAV, channels averaged (as the comparison engine
hears sound), counted from each video's first picture (the events' time 0). Where the change list
is right and the recut moves v1's samples where v2 has them, the difference is what the two
encodes differ by, far below the sound: the residual (energy of the difference over v2's energy on
the event, in dB) is strongly negative. The crossfade samples at an event's edges are left out: v2
was cut hard there, the recut fades.

Some events cannot null, and say so: inserted and replaced stretches (v2 has new sound, the recut
silence), a speed change (varispeed against however v2's editor retimed it: pitch kept or not).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from videos.conform.recut import ArraySource, RecutPlan, recut_array
from videos.conform.wav import SAMPLE_RATE

# Below this RMS (about -80 dBFS) v2 is silent on the event: a ratio to it says nothing.
_SILENT_RMS = 1e-4
# The lowest residual told: the recut is then v2's sound to the last bit of a 24-bit sample, and
# lower figures only measure float rounding.
FLOOR_DB = -140.0

NOTES = {
    "inserted": "New in v2: the recut leaves silence here, so it cannot null.",
    "replaced": "Replaced in v2: the recut leaves silence here, so it cannot null.",
    "gap": "No event covers this stretch of v2: the recut leaves silence here.",
    "speed": "Speed change: the recut is varispeed (pitch follows speed); v2's retime may differ.",
    "silent": "v2 is silent here: there is nothing to measure against.",
}


@dataclass(frozen=True)
class EventResidual:
    number: int
    kind: str
    residual_db: float | None  # None where v2 is silent
    measured_samples: int
    note: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decode_sound(path: Path) -> np.ndarray:
    """A video's sound as mono float32 at 48 kHz from its first picture (silence where it has none)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return np.zeros(0, np.float32)
        origin = 0.0
        if container.streams.video:
            video = container.streams.video[0]
            if video.start_time is not None and video.time_base:
                origin = float(video.start_time * video.time_base)
        stream = container.streams.audio[0]
        time_base = float(stream.time_base or 0) or 1.0 / SAMPLE_RATE
        resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
        pieces: list[np.ndarray] = []
        first: float | None = None
        for frame in container.decode(stream):
            if first is None:
                if frame.pts is None:
                    continue
                first = frame.pts * time_base - origin
            pieces.extend(piece.to_ndarray().mean(axis=0, dtype=np.float32) for piece in resampler.resample(frame))
        pieces.extend(piece.to_ndarray().mean(axis=0, dtype=np.float32) for piece in resampler.resample(None))
    if first is None or not pieces:
        return np.zeros(0, np.float32)
    sound = np.concatenate(pieces)
    offset = round(first * SAMPLE_RATE)  # the resampler's output is continuous from the first frame
    if offset >= 0:
        return np.concatenate([np.zeros(offset, np.float32), sound])
    return sound[-offset:]


def null_test(plan: RecutPlan, v1_sound: np.ndarray, v2_sound: np.ndarray) -> list[EventResidual]:
    """Per piece of the plan, in v2's order: how far v2's own sound is from v1's recut."""
    recut = recut_array(plan, ArraySource(v1_sound.astype(np.float32)))[:, 0]
    results = []
    for piece in plan.pieces:
        low, high = piece.out_start + piece.fade_in, piece.out_end - piece.fade_out
        theirs = _window(v2_sound, low, high)
        ours = _window(recut, low, high)
        energy = float(np.dot(theirs.astype(np.float64), theirs))
        note = NOTES.get(piece.kind, "")
        residual: float | None = None
        if high > low and energy > _SILENT_RMS**2 * (high - low):
            difference = (ours - theirs).astype(np.float64)
            residual = max(
                FLOOR_DB, round(10 * math.log10(max(float(np.dot(difference, difference)), 1e-30) / energy), 1)
            )
        elif not note:
            note = NOTES["silent"]
        results.append(
            EventResidual(
                number=piece.number, kind=piece.kind, residual_db=residual, measured_samples=max(0, high - low),
                note=note,
            )
        )  # fmt: skip
    return results


def _window(sound: np.ndarray, low: int, high: int) -> np.ndarray:
    """Samples [low, high) of `sound`, silence past its end."""
    out = np.zeros(max(0, high - low), np.float32)
    part = sound[low:high]
    out[: len(part)] = part
    return out
