"""Encoding frames, sound and subtitle cues into a container file with PyAV: :func:`make_video`."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np
from av.subtitles.stream import SubtitleStream
from av.subtitles.subtitle import SubtitleSet

from .content import SAMPLE_RATE, AudioSpec, Cue, Scene, ToneAudio, audio_samples, scene_frames

# The muxer each file suffix selects. ".m4v" is spelled out because FFmpeg's own "m4v" muxer writes a
# raw MPEG-4 elementary stream, not an MP4 file.
CONTAINER_BY_SUFFIX = {
    ".mp4": "mp4",
    ".m4v": "ipod",
    ".mov": "mov",
    ".mkv": "matroska",
    ".webm": "webm",
    ".m4a": "ipod",
    ".avi": "avi",
    ".flv": "flv",
}
VIDEO_CODEC_BY_CONTAINER = {"webm": "libvpx-vp9", "avi": "mpeg4"}  # otherwise libx264
AUDIO_CODEC_BY_CONTAINER = {"webm": "libopus", "avi": "pcm_s16le"}  # otherwise aac
SUBTITLE_CODEC_BY_CONTAINER = {"mp4": "mov_text", "mov": "mov_text", "ipod": "mov_text", "webm": "webvtt"}
# otherwise (matroska) subrip


_ASS_HEADER = b"""[Script Info]
ScriptType: v4.00+
PlayResX: 384
PlayResY: 288

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


def container_for(path: Path, container: str | None = None) -> str:
    if container:
        return container
    try:
        return CONTAINER_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"no container known for {path.name}: pass container=") from None


def write_streams(
    path: Path,
    *,
    frames: Iterable[np.ndarray],
    width: int,
    height: int,
    fps: int | Fraction,
    container: str,
    codec: str | None,
    crf: int | None,
    bitrate: int | None,
    samples: np.ndarray | None,
    audio_codec: str | None = None,
    cues: Sequence[Cue] = (),
    subtitle_language: str | None = None,
    threads: int = 1,
    sample_rate: int = SAMPLE_RATE,
    audio_bitrate: int | None = None,
    preset: str = "superfast",
) -> Path:
    """Encode RGB `frames` (resized to width×height when they differ), float `samples` at
    SAMPLE_RATE and subtitle `cues` into `path`.

    `samples` are mono (n,) or one row per channel (2, n): a stereo stream. The audio stream runs at
    `sample_rate` (the encoder resamples: 44100 gives a 44.1 kHz file from the same samples);
    `audio_bitrate` in bits per second, the encoder's default when None. `preset`: x264's (the
    default and "ultrafast" write the same bytes run after run)."""
    codec = codec or VIDEO_CODEC_BY_CONTAINER.get(container, "libx264")
    path.parent.mkdir(parents=True, exist_ok=True)
    # bitexact: no random identifiers (Matroska's segment and track UIDs) or encoder versions in the
    # file, so the same arguments write the same bytes.
    output = av.open(str(path), mode="w", format=container, container_options={"fflags": "+bitexact"})
    try:
        video = cast(av.VideoStream, output.add_stream(codec, rate=fps))
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        options: dict[str, object] = {}
        if codec == "libx264":
            # superfast and ultrafast give the same bytes run after run; veryfast and slower do not
            # (measured with x264 in PyAV 18.1), and tests compare files.
            options["preset"] = preset
        if codec == "libvpx-vp9":
            # Realtime VP9 encoding: the default "good" deadline is ~10× slower for no use to a test.
            options |= {"deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
        if crf is not None:
            options["crf"] = str(crf)
            if codec == "libvpx-vp9" and bitrate is None:
                options["b"] = "0"  # constant quality in VP9 needs the bitrate cap off
        if bitrate is not None:
            video.bit_rate = bitrate
        elif crf is None and codec == "mpeg4":
            options["qscale"] = "4"
        video.options = options
        video.codec_context.gop_size = max(1, round(2 * float(fps)))  # a keyframe every 2 s
        video.codec_context.thread_count = threads
        audio: av.AudioStream | None = None
        if samples is not None:
            audio_codec = audio_codec or AUDIO_CODEC_BY_CONTAINER.get(container, "aac")
            audio = cast(av.AudioStream, output.add_stream(audio_codec, rate=sample_rate))
            audio.layout = "stereo" if samples.ndim == 2 and len(samples) == 2 else "mono"
            if audio_bitrate is not None:
                audio.bit_rate = audio_bitrate
        subtitle: SubtitleStream | None = None
        if cues:
            subtitle = cast(SubtitleStream, output.add_stream(SUBTITLE_CODEC_BY_CONTAINER.get(container, "subrip")))
            subtitle.codec_context.subtitle_header = _ASS_HEADER
            subtitle.time_base = Fraction(1, 1000)
            if subtitle_language:
                subtitle.metadata["language"] = subtitle_language
        output.start_encoding()

        pending_cues = sorted(cues, key=lambda cue: cue.start)
        frame_seconds = 1 / float(fps)
        for index, image in enumerate(frames):
            # Cues are muxed as the video reaches them, so the muxer never buffers a whole file.
            while subtitle is not None and pending_cues and pending_cues[0].start <= index * frame_seconds:
                _mux_cue(output, subtitle, pending_cues.pop(0))
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            if (frame.width, frame.height) != (width, height):
                frame = frame.reformat(width=width, height=height)
            frame.pts = index
            frame.time_base = Fraction(1) / Fraction(fps)
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        while subtitle is not None and pending_cues:
            _mux_cue(output, subtitle, pending_cues.pop(0))

        if audio is not None and samples is not None:
            chunk = 4800
            channels = samples if samples.ndim == 2 else samples[np.newaxis, :]
            layout = "mono" if len(channels) == 1 else "stereo"
            for start in range(0, channels.shape[1], chunk):
                piece = np.ascontiguousarray(channels[:, start : start + chunk], np.float32)
                # Packed "flt" for mono as before (the same bytes as ever); planar for stereo.
                audio_frame = av.AudioFrame.from_ndarray(
                    piece, format="flt" if layout == "mono" else "fltp", layout=layout
                )
                audio_frame.sample_rate = SAMPLE_RATE
                audio_frame.pts = start
                audio_frame.time_base = Fraction(1, SAMPLE_RATE)
                output.mux(audio.encode(audio_frame))
            output.mux(audio.encode(None))
    finally:
        output.close()
    return path


def _mux_cue(output: av.container.OutputContainer, stream: av.stream.Stream, cue: Cue) -> None:
    time_base = stream.time_base
    assert time_base is not None
    start = round(cue.start / time_base)
    duration = round((cue.end - cue.start) / time_base)
    text = cue.text.replace("\n", "\\N")
    subtitle_set = SubtitleSet.create(f"0,0,Default,,0,0,0,,{text}".encode(), 0, duration, start)
    packet = stream.codec_context.encode_subtitle(subtitle_set)  # type: ignore[attr-defined]
    packet.stream = stream
    packet.pts = packet.dts = start
    packet.duration = duration
    output.mux(packet)


def make_video(
    path: Path,
    *,
    seconds: float | None = None,
    width: int = 320,
    height: int = 240,
    fps: int = 15,
    codec: str | None = None,
    container: str | None = None,
    crf: int | None = None,
    bitrate: int | None = None,
    scenes: Sequence[Scene] | None = None,
    audio: AudioSpec | None = ToneAudio(),  # noqa: B008 -- a frozen dataclass, immutable
    audio_codec: str | None = None,
    subtitles: Sequence[Cue] | None = None,
    subtitle_language: str | None = "eng",
    threads: int = 1,
) -> Path:
    """Write a test video to `path` and return `path`.

    - `seconds`: length (default 6.0). With `scenes` the length is the sum of their `seconds`, and a
      `seconds` that disagrees is an error.
    - `container`: the FFmpeg muxer; by default from the suffix (.mp4 .m4v .mov .mkv .webm .m4a .avi .flv).
    - `codec`: the video encoder (libx264, libvpx-vp9, mpeg4); by default libx264, but VP9 in WebM and
      MPEG-4 part 2 in AVI. `crf` / `bitrate` (bits per second) set quality; neither: the encoder's default.
    - `scenes`: the picture (default: one "shapes" scene, seed 0).
    - `audio`: a :class:`ToneAudio` (default 440 Hz), a :class:`SpeechAudio`, or None for no audio
      stream. AAC, but Opus in WebM (`audio_codec` overrides).
    - `subtitles`: cues muxed as a subtitle stream: mov_text in MP4/MOV, WebVTT in WebM, subrip in MKV,
      tagged `subtitle_language` (ISO 639-2, default "eng"; None for untagged).
    - `threads`: encoder threads. 1 (the default) writes the same bytes on every machine; 0 lets the
      encoder pick (faster for long or large videos, e.g. benchmarks).
    """
    if scenes:
        scene_total = sum(scene.seconds for scene in scenes)
        if seconds is not None and not math.isclose(seconds, scene_total):
            raise ValueError(f"seconds={seconds} but the scenes last {scene_total} s")
        seconds = scene_total
    else:
        seconds = 6.0 if seconds is None else seconds
        scenes = [Scene(seconds)]
    if width % 2 or height % 2:
        raise ValueError("width and height must be even (4:2:0 chroma)")
    return write_streams(
        path,
        frames=scene_frames(scenes, width=width, height=height, fps=fps),
        width=width,
        height=height,
        fps=fps,
        container=container_for(path, container),
        codec=codec,
        crf=crf,
        bitrate=bitrate,
        samples=None if audio is None else audio_samples(audio, seconds=seconds),
        audio_codec=audio_codec,
        cues=subtitles or (),
        subtitle_language=subtitle_language,
        threads=threads,
    )


def png_bytes(image: np.ndarray) -> bytes:
    """A PNG of an RGB uint8 image (stdlib only)."""
    height, width = image.shape[:2]
    raw = b"".join(b"\x00" + np.ascontiguousarray(row).tobytes() for row in image)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
