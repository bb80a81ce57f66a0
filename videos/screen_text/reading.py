"""Reading the text shown in a video file, offline: `read_screen` gives timed on-screen lines.

One decoding pass looks at the picture SAMPLE_RATE times a second as a small grey thumbnail; the OCR
engine (`videos.screen_text.engine`) reads a full-size frame only when there may be new text:

- a still picture that changed in a step (a slide, a build) is read once it has settled, once;
- over moving footage, an event (a cut, a title or subtitle coming or going: far more of the picture
  changing at once than the movement does) is read once it is over, and the frame before it too when
  the footage had moved for a while unread;
- otherwise a moving or drifting picture is read every MOVING_READ_INTERVAL seconds, first looking
  for any text on a smaller frame (footage without text costs little).

Lines are followed from read to read (`videos.screen_text.tracking`). A line is timed at the change
that brought or took it when that change settled at once, and otherwise by bisecting the frames kept
since the last read, so its times land within half a second (bench/screen_text.py). The video's
fingerprint, when given, marks where the camera moves; the thumbnails alone do without it.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from videos.embeddings.fingerprint import LUMA_GRID, Fingerprint
from videos.screen_text.engine import Observation, read_frame
from videos.screen_text.tracking import QUICK_CHANGE, LineTracker, ShownLine

__all__ = ["ScreenReadError", "ShownLine", "read_screen"]

# Samples a second of the change detector (the fingerprint's rate: a line's times are known to 0.1 s).
SAMPLE_RATE = 10.0
# The change detector's thumbnail width: 20 px text in a 720p frame is ~5 px there, enough to see
# a subtitle's words change.
THUMBNAIL_WIDTH = 320
# A thumbnail pixel has changed when its grey level moved by more than this (of 255): above an
# encoder's noise on a still picture, below any text's contrast.
PIXEL_CHANGE_LEVEL = 28
# The picture shows something new to read when at least this share of thumbnail pixels changed
# since the last read (~a character of 20 px text at 720p); it is still when under STILL_SHARE
# changed from one sample to the next.
NEW_CONTENT_SHARE = 0.0004
STILL_SHARE = 0.0004
# The mean change (grey levels) from one sample to the next under which a picture may be still: a
# slide's encoding noise stays near 0.1, footage's grain and slow pans measure 2 and more.
STILL_MEAN_LEVEL = 1.0
# A read frame differing from the last one read in at least this share of thumbnail pixels shows a
# new picture (a slide, a shot), not the same one moved or added to.
NEW_PICTURE_SHARE = 0.01
# A changed picture is read once it has been still this long (a slide's build-in or fade is over).
SETTLE_SECONDS = 0.3
# A picture that keeps moving is read at most this often: a sign in a moving shot gets a few reads,
# and an hour of footage without text costs a read every few seconds (bench/screen_text.py).
MOVING_READ_INTERVAL = 4.0
# An event (a cut, a title or subtitle coming or going): at least this share of thumbnail pixels
# changed from one sample to the next, and EVENT_RATIO times the median of the last EVENT_HISTORY
# samples' changes (a camera's movement changes about as much from sample to sample).
EVENT_SHARE = 0.004
EVENT_RATIO = 4.0
EVENT_HISTORY = 10
# Full-size frames kept between two reads of a moving picture, to bisect when a line came or went.
KEPT_FRAME_INTERVAL = 0.5
MAX_KEPT_FRAMES = 32
# Frames larger than this (on their long side) are scaled down before reading: 20 px text in 1080p is
# still 20 px, in 4K ~10 px, which the recogniser still reads; it bounds memory and cost.
MAX_READ_SIDE = 1920
# The fingerprint's luma grid changes by more than this (of 255, mean over cells) between two of its
# samples when the camera moves or the shot cuts: the picture is moving, whatever the thumbnails say.
FINGERPRINT_MOVING_LEVEL = 6.0


class ScreenReadError(Exception):
    """The file's pictures cannot be decoded; the message is for people."""


@dataclass
class _Frame:
    time: float
    rgb: np.ndarray  # H×W×3 uint8, at most MAX_READ_SIDE on its long side


def read_screen(
    path: Path,
    *,
    duration: float,
    fingerprint: Fingerprint | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> list[ShownLine]:
    """The lines of text shown in the video at `path` (`duration` seconds long), in order of
    appearance. `fingerprint` (the video's, when it has one) tells where the camera moves;
    `on_progress` gets the share of the video done (0–1) now and then.

    Raises ScreenReadError when the file has no picture that can be decoded."""
    moving = _moving_samples(fingerprint)
    tracker = LineTracker()
    reader = _Reader(tracker)
    try:
        container = av.open(str(path), options={"protocol_whitelist": "file"})
    except (av.FFmpegError, OSError) as error:
        raise ScreenReadError(f"The video cannot be opened to read its text: {error}") from error
    try:
        if not container.streams.video:
            raise ScreenReadError("The file has no picture to read text from.")
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"  # frame threads can hang when a decode is left early
        stream.codec_context.thread_count = 2
        first_time: float | None = None
        next_sample = 0.0
        last_progress = 0.0
        decoded_any = False
        try:
            for frame in container.decode(stream):
                if frame.pts is None or frame.time_base is None:
                    continue
                time_ = float(frame.pts * frame.time_base)
                if first_time is None:
                    first_time = time_
                time_ -= first_time
                decoded_any = True
                if time_ + 1e-6 < next_sample:
                    continue
                # The frame shown at a sample time is the last one at or before it; a frame that
                # reaches past several sample times stands for all of them.
                next_sample = (math.floor(time_ * SAMPLE_RATE + 1e-6) + 1) / SAMPLE_RATE
                sample_time = round(math.floor(time_ * SAMPLE_RATE + 1e-6) / SAMPLE_RATE, 3)
                is_moving = bool(moving is not None and moving[min(int(sample_time * SAMPLE_RATE), len(moving) - 1)])
                reader.sample(frame, sample_time, is_moving)
                if on_progress is not None and duration > 0 and sample_time - last_progress >= 10.0:
                    last_progress = sample_time
                    on_progress(min(1.0, sample_time / duration))
        except av.FFmpegError as error:
            if not decoded_any:
                raise ScreenReadError(f"The video's pictures cannot be decoded: {error}") from error
            # A damaged tail: what was read before it stands.
        if not decoded_any:
            raise ScreenReadError("The video's pictures cannot be decoded.")
    finally:
        container.close()
    end_time = max(duration, reader.last_time + 1 / SAMPLE_RATE)
    reader.finish(end_time)
    if on_progress is not None:
        on_progress(1.0)
    return tracker.lines(end_time)


def _moving_samples(fingerprint: Fingerprint | None) -> np.ndarray | None:
    """Per sample at SAMPLE_RATE, whether the fingerprint says the picture moves there."""
    if fingerprint is None or len(fingerprint.visual) < 2:
        return None
    luma = fingerprint.visual[:, : LUMA_GRID * LUMA_GRID].astype(np.float32)
    change = np.abs(np.diff(luma, axis=0)).mean(axis=1)
    per_sample = np.concatenate([[0.0], change]) > FINGERPRINT_MOVING_LEVEL
    # Onto this reader's sample grid (the fingerprint's rate may differ).
    times = np.arange(int(fingerprint.duration * SAMPLE_RATE) + 1) / SAMPLE_RATE
    indices = np.minimum((times * fingerprint.visual_rate).astype(int), len(per_sample) - 1)
    moving: np.ndarray = per_sample[indices]
    return moving


class _Reader:
    """Decides, sample by sample, when to read a frame, and tells the tracker what each read saw."""

    def __init__(self, tracker: LineTracker) -> None:
        self.tracker = tracker
        self.reference: np.ndarray | None = None  # thumbnail of the last frame read
        self.previous: np.ndarray | None = None  # thumbnail of the previous sample
        self.last_read_time = -math.inf
        self.change_start: float | None = None  # first sample differing from the last read
        self.still_since: float | None = None
        self.kept: list[_Frame] = []  # full-size frames since the change began
        self.last_kept = -math.inf
        self.last_time = 0.0
        self.previous_frame: av.VideoFrame | None = None
        self.previous_time = 0.0
        self.recent_steps: collections.deque[float] = collections.deque(maxlen=EVENT_HISTORY)
        self.event_at: float | None = None
        self.events = 0  # events since the change began, after the first
        self.abrupt = False  # the change began, or went on, with a step of new content

    def sample(self, frame: av.VideoFrame, time_: float, fingerprint_moving: bool) -> None:
        self.last_time = time_
        thumbnail = _thumbnail(frame)
        previous_frame, previous_time = self.previous_frame, self.previous_time
        self.previous_frame, self.previous_time = frame, time_
        if self.reference is None or self.previous is None:
            self.previous = thumbnail
            self._read(frame, time_, change_start=time_, moving=False)
            return
        step_change = _changed_share(thumbnail, self.previous)
        # Few pixels changed much and, on average, hardly any changed at all: a camera drifting over a
        # smooth scene changes no pixel much from one sample to the next, but all of them a little.
        drift = float(np.abs(thumbnail - self.previous).mean())
        still = step_change < STILL_SHARE and drift < STILL_MEAN_LEVEL and not fingerprint_moving
        self.previous = thumbnail
        # An event: far more of the picture changed at once than the movement changes from sample to
        # sample (a cut, a title or subtitle coming or going over moving footage).
        usual = float(np.median(self.recent_steps)) if self.recent_steps else 0.0
        self.recent_steps.append(step_change)
        quiet = step_change < max(EVENT_SHARE, EVENT_RATIO * usual)
        if not quiet and self.change_start is not None and previous_frame is not None:
            if time_ - self.change_start > QUICK_CHANGE:
                # The picture had been moving since the last read: read the frame before the event, so
                # what it showed is known up to the event, and time what follows from the event.
                self._read(previous_frame, previous_time, change_start=self.change_start, moving=True)
            elif len(self.kept) < MAX_KEPT_FRAMES:
                # A second change soon after the first: keep the frames either side of it, so that
                # what each change brought or took is timed by bisecting them.
                self._keep(previous_frame, previous_time)
                self._keep(frame, time_)
                self.events += 1
        if not quiet:
            self.event_at = time_
            self.abrupt = True
        if self.change_start is None:
            if _changed_share(thumbnail, self.reference) < NEW_CONTENT_SHARE:
                return
            self.change_start = time_
            self.still_since = time_ if still else None
            # New content in one step (a slide, a title): read once it settles. A picture that only
            # drifted away from the last read (a page under a document camera) is paced like movement.
            self.abrupt = step_change >= NEW_CONTENT_SHARE
        elif still:
            if self.still_since is None:
                self.still_since = time_
        else:
            self.still_since = None
        if time_ - self.last_kept >= KEPT_FRAME_INTERVAL - 1e-6:
            self._keep(frame, time_)
        settled = self.abrupt and self.still_since is not None and time_ - self.still_since >= SETTLE_SECONDS - 1e-6
        # After an event, the picture back to its usual movement: what the event brought can be read.
        after_event = self.event_at is not None and quiet and time_ - self.event_at >= SETTLE_SECONDS - 1e-6
        # Measured from the change's start: a picture that moves without pause changes again right
        # after each read, so this paces reads of it; a slide that changed once settles long before.
        overdue = time_ - self.change_start >= MOVING_READ_INTERVAL - 1e-6
        if settled or after_event or overdue:
            if settled and _changed_share(thumbnail, self.reference) < NEW_CONTENT_SHARE:
                # It changed and came back (a cursor passed): nothing new to read.
                self._forget_change()
                return
            # Moving only if it still moves: a slide read just after the event that brought it is still.
            self._read(frame, time_, change_start=self.change_start, moving=not (settled or (after_event and still)))

    def _keep(self, frame: av.VideoFrame, time_: float) -> None:
        if not self.kept or self.kept[-1].time < time_:
            self.kept.append(_Frame(time_, _rgb(frame)))
            self.last_kept = time_

    def _read(self, frame: av.VideoFrame, time_: float, *, change_start: float, moving: bool) -> None:
        # A read of a moving picture first looks for any text on a smaller frame (most show none).
        observations = read_frame(_rgb(frame), screen=moving)
        # Frames kept since the change began (before this one) let the tracker bisect when a line
        # came or went; a slide that changed at once and settled needs none of them.
        between = [kept for kept in self.kept if change_start <= kept.time < time_]
        # One change that settled at once (a slide, a subtitle) is timed at its start; several, or
        # a long one, by bisecting the frames kept in between.
        quick = self.events == 0 and time_ - change_start <= QUICK_CHANGE
        thumbnail = _thumbnail(frame)
        # Lines read again on a picture that changed little since the last read (a page drifting, a
        # bullet built in) may be near-identical readings of the same text, as on a moving one; after
        # a new slide or shot, a line that reads differently is a different line.
        changed_little = self.reference is not None and _changed_share(thumbnail, self.reference) < NEW_PICTURE_SHARE
        self.tracker.observe(
            time_,
            observations,
            change_start=change_start,
            between=_Between(between),
            moving=moving or changed_little,
            quick=quick,
        )
        self.reference = thumbnail
        self.last_read_time = time_
        self._forget_change()

    def _forget_change(self) -> None:
        self.change_start = None
        self.abrupt = False
        self.event_at = None
        self.events = 0
        self.still_since = None
        self.kept = []
        self.last_kept = -math.inf

    def finish(self, end_time: float) -> None:
        self.tracker.close_all(end_time)


class _Between:
    """The frames kept between two reads, read on demand (each at most once)."""

    def __init__(self, frames: list[_Frame]) -> None:
        self.frames = frames
        self._read: dict[int, list[Observation]] = {}

    def __len__(self) -> int:
        return len(self.frames)

    def time(self, index: int) -> float:
        return self.frames[index].time

    def observations(self, index: int) -> list[Observation]:
        if index not in self._read:
            self._read[index] = read_frame(self.frames[index].rgb)
        return self._read[index]


def _thumbnail(frame: av.VideoFrame) -> np.ndarray:
    height = max(2, round(THUMBNAIL_WIDTH * frame.height / max(frame.width, 1) / 2) * 2)
    grey: np.ndarray = frame.reformat(width=THUMBNAIL_WIDTH, height=height, format="gray").to_ndarray()
    return grey.astype(np.int16)


def _changed_share(one: np.ndarray, other: np.ndarray) -> float:
    return float(np.count_nonzero(np.abs(one - other) > PIXEL_CHANGE_LEVEL)) / one.size


def _rgb(frame: av.VideoFrame) -> np.ndarray:
    scale = min(1.0, MAX_READ_SIDE / max(frame.width, frame.height))
    if scale < 1.0:
        width = max(2, round(frame.width * scale / 2) * 2)
        height = max(2, round(frame.height * scale / 2) * 2)
        rgb: np.ndarray = frame.reformat(width=width, height=height, format="rgb24").to_ndarray()
    else:
        rgb = frame.to_ndarray(format="rgb24")
    return rgb
