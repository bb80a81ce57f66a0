"""Editors' timecode (SMPTE HH:MM:SS:FF) at a video's own frame rate, for the marker files.

A marker lands on the frame an editor sees only if the file counts frames at the rate of the
timeline the video makes in their program: the video's own rate, exactly (15 fps at 15, 29.97 as
30000/1001). Drop-frame timecode (`HH:MM:SS;FF`) is the convention at 29.97 and 59.94, the only
rates SMPTE 12M defines it for; every other rate counts its frames plainly (23.976 too)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import opentimelineio as otio

from videos.models import Video

NTSC_RATES = (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(48000, 1001), Fraction(60000, 1001),
              Fraction(120000, 1001))  # fmt: skip
DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))
DEFAULT_RATE = Fraction(25)
# Resolve's and Final Cut's new timelines start at one hour: a marker file lands there by default.
DEFAULT_START = "01:00:00:00"
_TIMECODE = re.compile(r"^(\d{2}):([0-5]\d):([0-5]\d)[:;.](\d{2,3})$")


class TimecodeInvalid(ValueError):
    """A timecode that names no frame at the rate (bad form, or a frame number past the second)."""


@dataclass(frozen=True)
class TimecodeRate:
    """A frame rate and how timecode counts at it."""

    fps: Fraction

    @property
    def drop_frame(self) -> bool:
        return self.fps in DROP_FRAME_RATES

    @property
    def nominal(self) -> int:
        """Frames to a timecode second: 30 at 29.97, 24 at 23.976."""
        return round(self.fps)

    @property
    def frame_duration(self) -> Fraction:
        return 1 / self.fps

    @property
    def frames_per_day(self) -> int:
        """Frames from 00:00:00:00 to the next midnight: timecode counts 24 hours, then starts again.
        Drop-frame timecode skips two frame numbers a minute (four at 59.94) but every tenth."""
        if self.drop_frame:
            dropped_per_minute = 2 * (self.nominal // 30)
            return 24 * 6 * (10 * 60 * self.nominal - 9 * dropped_per_minute)
        return 24 * 60 * 60 * self.nominal

    def timecode(self, frame: int) -> str:
        """Frame `frame` (0 is 00:00:00:00) as timecode; past 23:59:59 it wraps to 00:00:00, as a
        clock and every editor's timecode do (a timeline that starts near midnight runs past it)."""
        frame %= self.frames_per_day
        if self.drop_frame:
            # OpenTimelineIO knows the drop-frame arithmetic (two frame numbers skipped each minute
            # but every tenth); plain counting below is the definition itself. OTIO cannot count
            # plainly at every rate: it refuses rates SMPTE does not list, 15 fps among them.
            text: str = otio.opentime.to_timecode(otio.opentime.RationalTime(frame, float(self.fps)), float(self.fps),
                                                  drop_frame=True)  # fmt: skip
            return text
        seconds, frames = divmod(frame, self.nominal)
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"

    def frame(self, timecode: str) -> int:
        """The frame `timecode` names; at a drop-frame rate "01:00:00:00" reads as 01:00:00;00 (an
        editor types the hour, not the count). Raises `TimecodeInvalid`."""
        match = _TIMECODE.match(timecode.strip())
        if not match:
            raise TimecodeInvalid("Write a timecode as HH:MM:SS:FF, e.g. 01:00:00:00.")
        hours, minutes, seconds, frames = (int(part) for part in match.groups())
        if frames >= self.nominal:
            raise TimecodeInvalid(f"At {self.label} a second has frames 00 to {self.nominal - 1:02d}.")
        if self.drop_frame:
            if frames < 2 * (self.nominal // 30) and seconds == 0 and minutes % 10:
                raise TimecodeInvalid(f"{timecode} is skipped in drop-frame timecode.")
            drop_form = f"{hours:02d}:{minutes:02d}:{seconds:02d};{frames:02d}"
            return int(otio.opentime.from_timecode(drop_form, float(self.fps)).value)
        return ((hours * 60 + minutes) * 60 + seconds) * self.nominal + frames

    @property
    def label(self) -> str:
        """As editors write it: 25, 29.97, 23.976."""
        if self.fps.denominator == 1:
            return str(self.fps.numerator)
        return f"{float(self.fps):.3f}".rstrip("0")


def video_rate(video: Video) -> TimecodeRate:
    """The video's own frame rate (`Video.timebase`: 30000/1001 for a measured 29.97; 25 when the
    probe found none), as timecode counts it."""
    return TimecodeRate(video.timebase.rate)


def video_start_frame(video: Video) -> int:
    """The timecode frame of the video's first frame, at its own rate: the one its file carries
    (`Video.start_timecode`, read when probed), else DEFAULT_START — one hour, where Resolve, Final
    Cut, Avid and Pro Tools sessions start a programme, and where SAGE's marker files put a file
    that carries none, so every file SAGE writes of one video counts alike."""
    rate = video_rate(video)
    if video.start_timecode:
        try:
            return rate.frame(video.start_timecode)
        except TimecodeInvalid:
            pass
    return rate.frame(DEFAULT_START)
