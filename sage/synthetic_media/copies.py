"""Copies of an existing video: decoded whole, re-encoded, or edited."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .content import SAMPLE_RATE, Scene, ToneAudio, audio_samples, scene_frames
from .writing import container_for, write_streams


@dataclass(frozen=True)
class DecodedVideo:
    """A whole (small) video in memory: RGB frames and mono float samples at SAMPLE_RATE."""

    frames: list[np.ndarray]
    fps: Fraction
    width: int
    height: int
    samples: np.ndarray | None

    @property
    def seconds(self) -> float:
        return len(self.frames) / float(self.fps)


def decode_video(path: Path) -> DecodedVideo:
    """Every frame and the (mono-mixed) sound of `path`. For test-sized files only."""
    with av.open(str(path)) as source:
        video = source.streams.video[0]
        fps = Fraction(video.average_rate or video.guessed_rate or 15)
        frames = [frame.to_ndarray(format="rgb24") for frame in source.decode(video)]
        has_sound = bool(source.streams.audio)
    height, width = frames[0].shape[:2]
    samples = decoded_sound(path) if has_sound else None
    return DecodedVideo(frames=frames, fps=fps, width=width, height=height, samples=samples)


def decoded_sound(path: Path) -> np.ndarray:
    """The sound of `path` (its first sound stream) as float32 mono samples at SAMPLE_RATE."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    with av.open(str(path)) as source:
        pieces = [
            resampled.to_ndarray().reshape(-1)
            for frame in source.decode(source.streams.audio[0])
            for resampled in resampler.resample(frame)
        ]
    pieces += [resampled.to_ndarray().reshape(-1) for resampled in resampler.resample(None)]
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


def reencode(
    src: Path,
    dst: Path,
    *,
    width: int | None = None,
    height: int | None = None,
    codec: str | None = None,
    crf: int | None = None,
    bitrate: int | None = None,
    container: str | None = None,
) -> Path:
    """The same pictures and sound as `src` at another resolution / codec / quality, in `dst` (the
    container follows `dst`'s suffix). Subtitle streams are not carried over."""
    decoded = decode_video(src)
    return write_streams(
        dst,
        frames=decoded.frames,
        width=width or decoded.width,
        height=height or decoded.height,
        fps=decoded.fps,
        container=container_for(dst, container),
        codec=codec,
        crf=crf,
        bitrate=bitrate,
        samples=decoded.samples,
    )


def edited_copy(
    src: Path,
    dst: Path,
    *,
    replace: tuple[float, float] | None = None,
    insert_at: float | None = None,
    insert_seconds: float = 2.0,
    with_scene: Scene = Scene(0, "noise", seed=99),  # noqa: B008 -- a frozen dataclass, immutable
    tone: tuple[float, float, float] | None = None,
    crf: int | None = None,
) -> Path:
    """A copy of `src` with one edit (or several), for when the original was not made from scenes:

    - `replace=(start, end)`: the pictures from start to end seconds become `with_scene` (sound kept);
    - `insert_at=t`: `insert_seconds` of `with_scene` and silence inserted at t seconds;
    - `tone=(start, end, freq_hz)`: the sound from start to end replaced by a sine (picture kept).

    Times are in the source's timeline. Subtitles are not carried over.
    """
    decoded = decode_video(src)
    fps = float(decoded.fps)
    frames = list(decoded.frames)
    samples = None if decoded.samples is None else decoded.samples.copy()

    def new_frames(count: int) -> list[np.ndarray]:
        scene = Scene(count / fps, with_scene.kind, with_scene.seed)
        return list(scene_frames([scene], width=decoded.width, height=decoded.height, fps=round(fps)))[:count]

    if replace is not None:
        first, last = round(replace[0] * fps), min(len(frames), round(replace[1] * fps))
        frames[first:last] = new_frames(last - first)
    if tone is not None and samples is not None:
        start, end, freq_hz = tone
        first, last = round(start * SAMPLE_RATE), min(len(samples), round(end * SAMPLE_RATE))
        samples[first:last] = audio_samples(ToneAudio(freq_hz), seconds=(last - first) / SAMPLE_RATE)
    if insert_at is not None:
        at = round(insert_at * fps)
        count = round(insert_seconds * fps)
        frames[at:at] = new_frames(count)
        if samples is not None:
            sample_at = round(at / fps * SAMPLE_RATE)
            silence = np.zeros(round(count / fps * SAMPLE_RATE), np.float32)
            samples = np.concatenate([samples[:sample_at], silence, samples[sample_at:]])
    return write_streams(
        dst,
        frames=frames,
        width=decoded.width,
        height=decoded.height,
        fps=decoded.fps,
        container=container_for(dst),
        codec=None,
        crf=crf,
        bitrate=None,
        samples=samples,
    )


def tempo_changed(samples: np.ndarray, ratio: float) -> np.ndarray:
    """Mono `samples` at SAMPLE_RATE played `ratio` times as fast with their pitch kept (FFmpeg's
    atempo filter: a speed change whose sound was corrected, as broadcasters do)."""
    graph = av.filter.Graph()
    source = graph.add_abuffer(format="flt", sample_rate=SAMPLE_RATE, layout="mono")
    tempo, sink = graph.add("atempo", str(ratio)), graph.add("abuffersink")
    source.link_to(tempo)
    tempo.link_to(sink)
    graph.configure()
    pieces: list[np.ndarray] = []
    for start in [*range(0, len(samples), SAMPLE_RATE), None]:
        if start is None:
            graph.push(None)
        else:
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[None, start : start + SAMPLE_RATE], np.float32),
                format="flt",
                layout="mono",
            )
            frame.sample_rate, frame.pts = SAMPLE_RATE, start
            graph.push(frame)
        while True:
            try:
                pieces.append(graph.pull().to_ndarray().reshape(-1))
            except (av.error.BlockingIOError, av.error.EOFError):
                break
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
