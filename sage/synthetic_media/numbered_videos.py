"""Videos whose every frame shows its number (:mod:`.frame_numbers`), at an exact rational rate,
and the readings tests take from them: which number each decoded frame shows, at what time, and
which one is on screen at a given instant.

    a = NumberedVideo(rate=Fraction(30000, 1001), runs=(NumberRun(0, 90),))
    write_numbered_video(a, folder / "a.mp4")               # 3 s at 29.97 fps, frame k shows k
    number_shown_at(folder / "a.mp4", Fraction(1001, 1000))  # 30: frame 30 starts at 1.001 s

Frame k of a file is presented from k/rate to (k+1)/rate, exactly: the writer stamps it k in a time
base of 1/rate and the MP4 muxer keeps a timescale that holds it (1/30000 at 29.97, 1/12800 at 25),
never rounded milliseconds. The picture of a
number is a function of the number alone: a scene of seeded content (:class:`.content.Scene`'s
kinds) that changes every `frames_per_scene` numbers, so an edited version that plays numbers in
another order shows the same pictures as the original where they are the same frames. The sound
is a tone whose pitch follows the scene, with a click at each scene's first frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import get_args

import av
import numpy as np

from .content import SAMPLE_RATE, Scene, SceneDrawing, SceneKind
from .frame_numbers import draw_frame_number, read_frame_number
from .writing import container_for, write_streams

# The rates editors deliver, by the names they give them: the frame-exact tests run at each.
EDITORS_RATES: dict[str, Fraction] = {
    "23.976": Fraction(24000, 1001),
    "24": Fraction(24),
    "25": Fraction(25),
    "29.97": Fraction(30000, 1001),
    "30": Fraction(30),
    "50": Fraction(50),
    "59.94": Fraction(60000, 1001),
}
SCENE_SECONDS = 2  # a scene's length when not given: long enough for the comparison engine to see shots
_TONE_AMPLITUDE = 0.2
_CLICK_SECONDS = 0.004
_CLICK_HZ = 3000
# A banner (`NumberedVideo.bannered`): between the number's band (top 24 %) and its digits (from 60 %).
BANNER_ROWS = (0.28, 0.56)
BANNER_COLOUR = (235, 130, 20)


@dataclass(frozen=True)
class NumberRun:
    """Frames numbered `first` to `end - 1`, played in turn: a piece of a numbered version, as
    :class:`.edits.Piece` is a piece of source time."""

    first: int
    end: int

    @property
    def count(self) -> int:
        return self.end - self.first


@dataclass(frozen=True)
class NumberedVideo:
    """A numbered video: the `runs` of numbers its frames show in turn, at `rate` frames a second,
    and how it is written (H.264 in MP4 by the path's suffix; `crf` and x264's `preset`)."""

    rate: Fraction
    runs: tuple[NumberRun, ...]
    width: int = 320
    height: int = 180
    frames_per_scene: int | None = None  # None: SCENE_SECONDS of frames at `rate`
    sound: bool = True
    crf: int | None = None
    preset: str = "ultrafast"  # x264's; "superfast" adds B-frames, as cameras' and editors' files have
    # Frames (by position in this video, [first, end)) whose picture carries a banner across its
    # middle, over the scene and under the number: a change of picture that starts and ends on a frame.
    bannered: tuple[int, int] | None = None

    @property
    def numbers(self) -> list[int]:
        """The number each frame shows, frame by frame."""
        return [number for run in self.runs for number in range(run.first, run.end)]

    @property
    def frame_count(self) -> int:
        return sum(run.count for run in self.runs)

    @property
    def scene_length(self) -> int:
        """Numbers to a scene: a scene starts at every multiple of it."""
        return self.frames_per_scene or round(SCENE_SECONDS * self.rate)


def frame_start(frame: int, rate: Fraction) -> Fraction:
    """Seconds from the start of a video at `rate` to the moment frame `frame` appears."""
    return Fraction(frame) / rate


def numbered_pictures(video: NumberedVideo) -> Iterator[np.ndarray]:
    """RGB frames (height×width×3 uint8) of `video`: each number's scene picture with the number drawn in."""
    kinds: tuple[SceneKind, ...] = get_args(SceneKind)
    drawing: tuple[int, SceneDrawing] | None = None
    for position, number in enumerate(video.numbers):
        scene, into_scene = divmod(number, video.scene_length)
        if drawing is None or drawing[0] != scene:
            # The scene's kind and seed come from its number, so every scene differs from its neighbours.
            drawing = scene, SceneDrawing(Scene(0, kinds[scene % len(kinds)], seed=scene), video.width, video.height)
        image = drawing[1].frame(float(frame_start(into_scene, video.rate)))
        if video.bannered is not None and video.bannered[0] <= position < video.bannered[1]:
            _draw_banner(image)
        draw_frame_number(image, number)
        yield image


def _draw_banner(image: np.ndarray) -> None:
    """A flat orange banner over the picture's rows BANNER_ROWS (fractions of its height), in place."""
    height = image.shape[0]
    top, bottom = (round(fraction * height) for fraction in BANNER_ROWS)
    image[top:bottom] = BANNER_COLOUR


def numbered_sound(video: NumberedVideo) -> np.ndarray:
    """Mono float samples at SAMPLE_RATE: under each frame, the tone of its number's scene at that
    number's own time (so a kept stretch sounds as it did), a click under a scene's first frame."""
    boundaries = [round(frame_start(frame, video.rate) * SAMPLE_RATE) for frame in range(video.frame_count + 1)]
    samples = np.zeros(boundaries[-1], np.float32)
    click = (0.6 * np.sin(2 * np.pi * _CLICK_HZ * np.arange(round(_CLICK_SECONDS * SAMPLE_RATE)) / SAMPLE_RATE)).astype(
        np.float32
    )
    for frame, number in enumerate(video.numbers):
        first, end = boundaries[frame], boundaries[frame + 1]
        scene, into_scene = divmod(number, video.scene_length)
        pitch = 220 * 2 ** ((scene % 12) / 12)  # a semitone higher each scene, round an octave
        at = float(frame_start(number, video.rate)) + np.arange(end - first) / SAMPLE_RATE
        samples[first:end] = _TONE_AMPLITUDE * np.sin(2 * np.pi * pitch * at)
        if into_scene == 0:
            length = min(len(click), end - first)
            samples[first : first + length] += click[:length]
    return samples


def write_numbered_video(video: NumberedVideo, path: Path) -> Path:
    """Write `video` to `path` (H.264 yuv420p + AAC in .mp4) and return `path`."""
    if video.width % 2 or video.height % 2:
        raise ValueError("width and height must be even (4:2:0 chroma)")
    return write_streams(
        path,
        frames=numbered_pictures(video),
        width=video.width,
        height=video.height,
        fps=video.rate,
        container=container_for(path),
        codec=None,
        crf=video.crf,
        bitrate=None,
        samples=numbered_sound(video) if video.sound else None,
        preset=video.preset,
    )


def make_numbered_video(
    path: Path, *, rate: Fraction, frame_count: int, first_number: int = 0, width: int = 320, height: int = 180
) -> NumberedVideo:
    """Write `frame_count` frames at `rate`, frame k showing `first_number` + k, to `path`; return
    the video's description (for :func:`.numbered_pairs.make_numbered_pair` and the expected numbers)."""
    video = NumberedVideo(rate, (NumberRun(first_number, first_number + frame_count),), width, height)
    write_numbered_video(video, path)
    return video


@dataclass(frozen=True)
class ShownFrame:
    """A decoded frame: the second it is presented at (pts × time base, exactly) and the number it shows."""

    start: Fraction
    number: int | None


def shown_frames(path: Path) -> list[ShownFrame]:
    """Every frame of `path`'s first video stream in presentation order, with the number each shows."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [ShownFrame(_start(frame), read_frame_number(frame)) for frame in container.decode(stream)]


def _start(frame: av.VideoFrame) -> Fraction:
    assert frame.pts is not None and frame.time_base is not None
    return frame.pts * Fraction(frame.time_base)


def number_shown_at(path: Path, seconds: Fraction | float) -> int | None:
    """The number of the frame on screen `seconds` into `path`: the one whose presentation interval
    [start, next frame's start) holds the instant. None before the first frame, after the last one
    ends, or if that frame's number cannot be read.

    Pass a Fraction for an instant on a frame boundary: the float nearest k/rate may fall a hair
    before frame k and rightly show frame k - 1."""
    instant = Fraction(seconds)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        rate = Fraction(stream.average_rate or stream.guessed_rate or 0)
        target = instant
        while True:
            # A seek lands on a keyframe at or before the target, by the index's times; a demuxer
            # that indexes decoding times can land on one shown after the instant (B-frames):
            # then a second earlier, down to the start.
            container.seek(max(0, math.floor(target / stream.time_base)), stream=stream, backward=True)
            shown, more = _last_frame_started_by(container, stream, instant)
            if shown is not None or target <= 0:
                break
            target -= 1
        if shown is None or (not more and rate and instant >= _start(shown) + 1 / rate):
            return None  # before the first frame, or after the last one ends
        return read_frame_number(shown)


def _last_frame_started_by(
    container: av.container.InputContainer, stream: av.VideoStream, instant: Fraction
) -> tuple[av.VideoFrame | None, bool]:
    """Decoding on from where `container` stands: the last frame that starts at or before `instant`,
    and whether a frame followed it."""
    shown: av.VideoFrame | None = None
    for frame in container.decode(stream):
        if _start(frame) > instant:
            return shown, True
        shown = frame
    return shown, False
