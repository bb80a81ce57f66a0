"""Time is frames: the one place where SAGE turns seconds into frames of a video and back.

A video's rate is a rational (30000/1001, not 29.97). Times arrive as seconds from players, the API
and the comparison engine, and they mean one of two things, converted by two rules:

- an **instant** (a comment made while a frame was on screen, a note, a drawing, the player's
  position): the frame on screen at that instant, the one whose interval [k/rate, (k+1)/rate)
  holds it (`frame_at`). 3.0 s at 29.97 fps is frame 89 (02;29), which is on screen until 3.003 s.
- an **edge** (where a finding, a cut or a range starts or ends): the boundary between two frames
  nearest to it (`boundary_near`). An edge the engine found at 16.01 s at 29.97 fps is the boundary
  before frame 480 (16;00), where the first new frame begins.

Both forgive `TOLERANCE_SECONDS` of rounding (times are stored to the millisecond): 3.003 s, frame
90's start written to three decimals, is frame 90, not 89. A player aims its seeks at a frame's
middle (`seek_time`), never at its boundary, where a browser's float arithmetic picks either frame.

Frames are OpenTimelineIO `RationalTime`s where they leave this module for a marker file; timecode
(SMPTE, drop-frame at 29.97 and 59.94) is `videos.compare.timecode`'s, on the same rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import opentimelineio as otio

# The rates video is made at whose measured value is not their exact one (23.976…, 29.97…).
NTSC_RATES = (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(48000, 1001), Fraction(60000, 1001),
              Fraction(120000, 1001))  # fmt: skip
DEFAULT_RATE = Fraction(25)  # when a video's rate is not known (a YouTube video, a failed probe)
MAX_WHOLE_RATE = 120
# Stored times have millisecond precision: a time this much before a frame's start is that frame.
TOLERANCE_SECONDS = 0.001


def exact_rate(measured: float | Fraction | None) -> Fraction:
    """The rate a video was made at, from its measured or container rate: the NTSC rate it is near
    (29.97002997… is 30000/1001), otherwise the nearest whole rate (15, 25; a phone's variable 29.87
    is 29.97). DEFAULT_RATE when nothing was measured."""
    if not measured or measured <= 0:
        return DEFAULT_RATE
    candidates = [*NTSC_RATES, *(Fraction(whole) for whole in range(1, MAX_WHOLE_RATE + 1))]
    return min(candidates, key=lambda rate: abs(float(rate) - float(measured)))


@dataclass(frozen=True)
class Timebase:
    """Frames of one video at its exact `rate` (frames per second); frame 0 starts at 0 s."""

    rate: Fraction

    @classmethod
    def measured(cls, fps: float | Fraction | None) -> Timebase:
        return cls(exact_rate(fps))

    @property
    def frame_seconds(self) -> Fraction:
        return 1 / self.rate

    def frame_at(self, seconds: float) -> int:
        """The frame on screen at the instant `seconds` (never before frame 0)."""
        return max(0, math.floor((Fraction(seconds) + Fraction(TOLERANCE_SECONDS)) * self.rate))

    def boundary_near(self, seconds: float) -> int:
        """The frame that begins at the boundary nearest to the edge `seconds` (halves go later: an
        edge half a frame in belongs to the frame it is in)."""
        return max(0, math.floor(Fraction(seconds) * self.rate + Fraction(1, 2)))

    def start(self, frame: int) -> float:
        """Where `frame` begins, in seconds."""
        return float(frame / self.rate)

    def seek_time(self, frame: int) -> float:
        """Where a player seeks to show `frame`: its middle, clear of both boundaries."""
        return float((frame + Fraction(1, 2)) / self.rate)

    def frames_in(self, start: float, end: float) -> int:
        """The frames of the range whose edges are `start` and `end` (at least one)."""
        return max(1, self.boundary_near(end) - self.boundary_near(start))

    def rational_time(self, frame: int) -> otio.opentime.RationalTime:
        """`frame` as OpenTimelineIO counts it (a value at the rate), for marker files."""
        return otio.opentime.RationalTime(frame, float(self.rate))

    @property
    def rate_text(self) -> str:
        """The rate as a rational, "30000/1001" or "25", as the API gives it."""
        return str(self.rate)
