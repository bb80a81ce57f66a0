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
import soundfile

from videos.conform.recut import RecutPlan, Source, recut_blocks
from videos.conform.wav import SAMPLE_RATE, SoundInfo

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


def decode_sound(path: Path, into: Path) -> SoundInfo:
    """A video's sound written to `into` as a mono float32 WAV at 48 kHz from its first picture
    (silence before its sound starts, none where it has none), decoded and written a frame at a
    time: a feature's sound is never held whole."""
    with av.open(str(path)) as container, soundfile.SoundFile(
        str(into), "w", samplerate=SAMPLE_RATE, channels=1, subtype="FLOAT", format="WAV"
    ) as out:  # fmt: skip
        if container.streams.audio:
            _decode_into(container, out)
        frames = out.frames
    return SoundInfo(frames=frames, channels=1, sample_format="FLOAT", container="WAV")


def _decode_into(container: av.container.InputContainer, out: soundfile.SoundFile) -> None:
    origin = 0.0
    if container.streams.video:
        video = container.streams.video[0]
        if video.start_time is not None and video.time_base:
            origin = float(video.start_time * video.time_base)
    stream = container.streams.audio[0]
    time_base = float(stream.time_base or 0) or 1.0 / SAMPLE_RATE
    resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
    skip: int | None = None  # samples before the first picture, still to drop
    for frame in [*container.decode(stream), None]:
        if skip is None:
            if frame is None or frame.pts is None:
                continue
            # The resampler's output is continuous from the first frame: placed once, by its time.
            offset = round((frame.pts * time_base - origin) * SAMPLE_RATE)
            if offset > 0:
                out.write(np.zeros(offset, np.float32))
            skip = max(0, -offset)
        for piece in resampler.resample(frame):
            values = piece.to_ndarray().mean(axis=0, dtype=np.float32)
            dropped = min(skip, len(values))
            skip -= dropped
            if dropped < len(values):
                out.write(values[dropped:])


def null_test(plan: RecutPlan, v1_sound: Source, v2_sound: Source) -> list[EventResidual]:
    """Per piece of the plan, in v2's order: how far v2's own sound is from v1's recut. Both are
    read a block at a time, v1 recut as the upload is (`recut_blocks`), v2 alongside it."""
    windows = [(piece.out_start + piece.fade_in, piece.out_end - piece.fade_out) for piece in plan.pieces]
    energies = np.zeros(len(windows))
    differences = np.zeros(len(windows))
    first = 0  # the first piece whose window may still be ahead
    position = 0
    for block in recut_blocks(plan, v1_sound):
        ours = block[:, 0].astype(np.float64)
        theirs = v2_sound.read(position, len(block))[:, 0].astype(np.float64)
        end = position + len(block)
        while first < len(windows) and windows[first][1] <= position:
            first += 1
        index = first
        while index < len(windows) and windows[index][0] < end:
            low, high = max(windows[index][0], position), min(windows[index][1], end)
            if high > low:
                part = slice(low - position, high - position)
                energies[index] += float(np.dot(theirs[part], theirs[part]))
                difference = ours[part] - theirs[part]
                differences[index] += float(np.dot(difference, difference))
            index += 1
        position = end
    results = []
    for piece, (low, high), energy, difference_energy in zip(plan.pieces, windows, energies, differences, strict=True):
        note = NOTES.get(piece.kind, "")
        residual: float | None = None
        if high > low and energy > _SILENT_RMS**2 * (high - low):
            residual = max(FLOOR_DB, round(10 * math.log10(max(difference_energy, 1e-30) / energy), 1))
        elif not note:
            note = NOTES["silent"]
        results.append(
            EventResidual(
                number=piece.number, kind=piece.kind, residual_db=residual, measured_samples=max(0, high - low),
                note=note,
            )
        )  # fmt: skip
    return results
