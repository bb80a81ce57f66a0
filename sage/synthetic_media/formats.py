"""Files in the formats editors and phones deliver, for the renditions' tests and bench:
`make_format_sample(kind, path)`.

Each is a few seconds of moving pictures (each frame unlike the one before, so a dropped or
doubled frame shows) with a tone, written with the codec, pixel format, scan and timing of its kind:
a ProRes 422 master with 24-bit PCM, DNxHR, iPhone-like HEVC, WebM VP9/Opus, 10-bit and 4:2:2 H.264,
interlaced H.264, variable frame rate H.264, ALAC in MOV, and the two H.264/AAC MP4s a browser plays
(index first, index last).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np

SAMPLE_RATE = 48_000


@dataclass(frozen=True)
class FormatKind:
    suffix: str
    container: str
    codec: str
    pix_fmt: str
    audio_codec: str | None
    options: dict[str, str] = field(default_factory=dict)
    audio_format: str | None = None  # the sample format the audio encoder takes, when not float planar
    # Milliseconds each frame lasts, cycled (variable frame rate); None: a constant rate.
    frame_ms: tuple[int, ...] | None = None
    faststart: bool = False


FORMAT_KINDS: dict[str, FormatKind] = {
    "prores_pcm_mov": FormatKind(
        ".mov", "mov", "prores_ks", "yuv422p10le", "pcm_s24le", {"profile": "2"}, audio_format="s32"
    ),
    "dnxhr_mov": FormatKind(".mov", "mov", "dnxhd", "yuv422p", "pcm_s16le", {"profile": "dnxhr_lb"}, "s16"),
    "hevc_mp4": FormatKind(
        ".mp4", "mp4", "libx265", "yuv420p", "aac", {"preset": "ultrafast", "x265-params": "log-level=none"}
    ),
    "vp9_opus_webm": FormatKind(
        ".webm", "webm", "libvpx-vp9", "yuv420p", "libopus", {"deadline": "realtime", "cpu-used": "8"}
    ),
    "h264_10bit_mp4": FormatKind(".mp4", "mp4", "libx264", "yuv420p10le", "aac", {"preset": "ultrafast"}),
    "h264_422_mp4": FormatKind(".mp4", "mp4", "libx264", "yuv422p", "aac", {"preset": "ultrafast"}),
    "h264_interlaced_mp4": FormatKind(
        ".mp4", "mp4", "libx264", "yuv420p", "aac", {"preset": "ultrafast", "x264-params": "interlaced=1:tff=1"}
    ),
    "h264_vfr_mp4": FormatKind(
        ".mp4", "mp4", "libx264", "yuv420p", "aac", {"preset": "ultrafast"}, frame_ms=(33, 50, 33, 84)
    ),
    "h264_alac_mov": FormatKind(
        ".mov", "mov", "libx264", "yuv420p", "alac", {"preset": "ultrafast"}, audio_format="s16p"
    ),
    "h264_aac_faststart_mp4": FormatKind(
        ".mp4", "mp4", "libx264", "yuv420p", "aac", {"preset": "ultrafast"}, faststart=True
    ),
    "h264_aac_index_last_mp4": FormatKind(".mp4", "mp4", "libx264", "yuv420p", "aac", {"preset": "ultrafast"}),
}


def _pictures(count: int, width: int, height: int) -> Iterator[np.ndarray]:
    """A bright bar that moves one step a frame over a gradient: no two neighbouring frames alike."""
    ys, xs = np.mgrid[0:height, 0:width]
    background = np.stack([xs * 255 // max(1, width - 1), ys * 255 // max(1, height - 1), np.full_like(xs, 96)], -1)
    bar = max(4, width // 16)
    for index in range(count):
        image = background.astype(np.uint8)
        left = (index * bar // 2) % (width - bar)
        image[:, left : left + bar] = (255, 255, 255)
        yield image


def make_format_sample(
    kind: str, path: Path, *, seconds: float = 2.0, width: int = 320, height: int = 240, fps: Fraction = Fraction(25)
) -> Path:
    """`path` written as `kind` (a key of FORMAT_KINDS; its suffix is the kind's): `seconds` of
    `width`×`height` at `fps` (a variable-rate kind's frames last its own durations instead)."""
    spec = FORMAT_KINDS[kind]
    path = path.with_suffix(spec.suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"movflags": "+faststart"} if spec.faststart else {}
    output = av.open(str(path), "w", format=spec.container, options=options)
    try:
        video = cast(av.VideoStream, output.add_stream(spec.codec, rate=fps, options=dict(spec.options)))
        video.width, video.height, video.pix_fmt = width, height, spec.pix_fmt
        video.codec_context.gop_size = int(fps)
        time_base = Fraction(1, 1000) if spec.frame_ms else 1 / fps
        if spec.frame_ms:
            video.codec_context.time_base = time_base
        audio = None
        if spec.audio_codec:
            audio = cast(av.AudioStream, output.add_stream(spec.audio_codec, rate=SAMPLE_RATE, layout="stereo"))
        starts = _frame_starts(spec, seconds, fps)
        for index, image in enumerate(_pictures(len(starts), width, height)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=spec.pix_fmt)
            frame.pts, frame.time_base = starts[index], time_base
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        if audio is not None:
            _write_tone(output, audio, seconds, spec.audio_format or "fltp")
    finally:
        output.close()
    return path


def _frame_starts(spec: FormatKind, seconds: float, fps: Fraction) -> list[int]:
    if not spec.frame_ms:
        return list(range(round(seconds * fps)))
    starts, at, step = [], 0, 0
    while at < seconds * 1000:
        starts.append(at)
        at += spec.frame_ms[step % len(spec.frame_ms)]
        step += 1
    return starts


def _write_tone(
    output: av.container.OutputContainer, audio: av.AudioStream, seconds: float, sample_format: str
) -> None:
    total = round(seconds * SAMPLE_RATE)
    block = 1024 if audio.codec_context.frame_size in (0, None) else audio.codec_context.frame_size
    times = np.arange(total) / SAMPLE_RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * times)).astype(np.float32)
    for start in range(0, total, block):
        piece = np.ascontiguousarray(np.stack([tone[start : start + block]] * 2))
        frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        if sample_format != "fltp":
            frame = av.AudioResampler(format=sample_format, layout="stereo", rate=SAMPLE_RATE).resample(frame)[0]
            frame.pts = start
        output.mux(audio.encode(frame))
    output.mux(audio.encode(None))


def make_streams_apart_sample(path: Path, *, picture_from: float, tone_from: float) -> Path:
    """A 2 s MJPEG + PCM .mov (re-encoded for players) whose picture starts `picture_from` seconds
    after its sound (negative: before) and whose sound is silent until `tone_from` on its own clock,
    then a tone: as a camera or an editor writes streams that do not start together. Frame n is a
    flat grey of level 5n, so a still tells which frame it shows."""
    rate, sound_rate = 25, 48_000
    picture_shift, sound_shift = max(0.0, picture_from), max(0.0, -picture_from)
    with av.open(str(path), "w") as container:
        video = container.add_stream("mjpeg", rate=rate)
        video.width, video.height, video.pix_fmt = 160, 120, "yuvj420p"
        sound = container.add_stream("pcm_s16le", rate=sound_rate, layout="mono")
        for index in range(2 * rate):
            picture = av.VideoFrame.from_ndarray(np.full((120, 160, 3), index * 5, np.uint8), format="rgb24")
            picture.pts, picture.time_base = index + round(picture_shift * rate), Fraction(1, rate)
            container.mux(video.encode(picture))
        total = 2 * sound_rate
        for first in range(0, total, 1024):
            seconds = (np.arange(first, min(total, first + 1024))) / sound_rate
            wave = np.sin(2 * np.pi * 440 * seconds) * 10_000 * (seconds >= tone_from)
            frame = av.AudioFrame.from_ndarray(wave.astype(np.int16).reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = sound_rate
            frame.pts, frame.time_base = first + round(sound_shift * sound_rate), Fraction(1, sound_rate)
            container.mux(sound.encode(frame))
        container.mux(video.encode(None))
        container.mux(sound.encode(None))
    return path
