"""Small test videos made on the fly with PyAV, so no binary fixtures are committed.

Everything here is deterministic: frames are drawn from seeded parameters, never from the clock,
and with the default single encoder thread the same arguments write the same bytes.

Making videos::

    make_video(tmp_path / "a.mp4")                                   # 6 s, 320×240, 15 fps, H.264 + AAC tone
    make_video(tmp_path / "a.webm")                                  # VP9 + Opus (codecs follow the container)
    make_video(tmp_path / "a.mkv", subtitles=[Cue(0.5, 2.0, "Hello")])  # + a subrip subtitle stream
    make_video(tmp_path / "talk.mp4", seconds=4, audio=SpeechAudio("the quick brown fox"))
    make_video(tmp_path / "mute.mp4", audio=None)                    # video only

Edited copies for comparison tests — build both versions from scene lists, changing one entry::

    A, B, C = Scene(4, "shapes", seed=1), Scene(4, "bars", seed=2), Scene(4, "gradient", seed=3)
    make_video(original, scenes=[A, B, C])
    make_video(replaced, scenes=[A, Scene(4, "noise", seed=9), C])     # 4–8 s is different content
    make_video(inserted, scenes=[A, Scene(2, "noise", seed=9), B, C])  # 2 s inserted at 4 s
    make_video(new_sound, scenes=[A, B, C], audio=ToneAudio(segments=[Tone(4, 440), Tone(4, 880), Tone(4, 440)]))

or edit a file that already exists (say, a re-encoded copy) with :func:`edited_copy`. Same content at a
different resolution, codec or bitrate: :func:`reencode`. Sidecar subtitles: :func:`write_srt` and
:func:`write_vtt`. Files that the upload probe must refuse: :func:`make_bad_file`.
"""

from __future__ import annotations

import functools
import math
import subprocess
import tempfile
import wave
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Literal, cast

import av
import numpy as np
from av.subtitles.stream import SubtitleStream
from av.subtitles.subtitle import SubtitleSet

SceneKind = Literal["shapes", "bars", "noise", "gradient"]

SAMPLE_RATE = 48_000  # Opus only takes 48 kHz (among others); AAC is happy with it too.
ESPEAK = "/usr/bin/espeak-ng"

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


# --- what goes into a video -------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """A stretch of picture. Different kinds or seeds give clearly different content (background,
    colours, shapes and their motion); the same kind and seed always give the same frames."""

    seconds: float
    kind: SceneKind = "shapes"
    seed: int = 0


@dataclass(frozen=True)
class Tone:
    """`seconds` of a sine at `freq_hz` (0 is silence)."""

    seconds: float
    freq_hz: float


@dataclass(frozen=True)
class ToneAudio:
    """Sine tones: one `freq_hz` for the whole video, or `segments` played in turn (the last one is
    held to the end of the video)."""

    freq_hz: float = 440.0
    segments: Sequence[Tone] = ()
    amplitude: float = 0.3


@dataclass(frozen=True)
class SpeechAudio:
    """Speech from espeak-ng: `text` spoken from `start` seconds, or `lines` of (start seconds, text).
    Silence elsewhere. A line that would run past the end of the video is an error (a truncated
    phrase would make transcript tests lie)."""

    text: str = ""
    start: float = 0.0
    lines: Sequence[tuple[float, str]] = ()
    voice: str = "en-us"
    words_per_minute: int = 150

    def spoken_lines(self) -> list[tuple[float, str]]:
        return [(self.start, self.text), *self.lines] if self.text else list(self.lines)


AudioSpec = ToneAudio | SpeechAudio


@dataclass(frozen=True)
class Cue:
    """A subtitle: `text` shown from `start` to `end` seconds."""

    start: float
    end: float
    text: str


# --- pictures ---------------------------------------------------------------------------------


@dataclass
class _Shape:
    circle: bool
    colour: np.ndarray
    size: float  # fraction of the frame height
    x0: float
    y0: float
    vx: float  # fractions of the frame per second
    vy: float


@dataclass
class _SceneDrawing:
    """A scene's seeded parameters, drawn once; `frame(t)` renders time t (seconds into the scene)."""

    scene: Scene
    width: int
    height: int
    shapes: list[_Shape] = field(default_factory=list)

    def __post_init__(self) -> None:
        kind_number = ("shapes", "bars", "noise", "gradient").index(self.scene.kind)
        rng = np.random.default_rng([self.scene.seed, kind_number])
        self.background = rng.integers(0, 256, size=3)
        self.bar_colours = rng.integers(0, 256, size=(int(rng.integers(4, 9)), 3))
        self.bar_speed = float(rng.uniform(0.05, 0.2)) * (1 if rng.random() < 0.5 else -1)
        self.noise = rng.integers(0, 256, size=(9, 12, 3))
        self.noise_speed = float(rng.uniform(0.5, 1.5))
        self.gradient_from = rng.integers(0, 256, size=3)
        self.gradient_to = rng.integers(0, 256, size=3)
        self.gradient_angle = float(rng.uniform(0, math.pi))
        shape_count = int(rng.integers(4, 7)) if self.scene.kind == "shapes" else int(rng.integers(1, 3))
        for _ in range(shape_count):
            self.shapes.append(
                _Shape(
                    circle=bool(rng.random() < 0.5),
                    colour=rng.integers(0, 256, size=3),
                    size=float(rng.uniform(0.12, 0.3)),
                    x0=float(rng.random()),
                    y0=float(rng.random()),
                    vx=float(rng.uniform(-0.35, 0.35)),
                    vy=float(rng.uniform(-0.35, 0.35)),
                )
            )
        self.ys, self.xs = np.mgrid[0 : self.height, 0 : self.width]
        self.xs_unit = self.xs / self.width
        self.ys_unit = self.ys / self.height

    def frame(self, t: float) -> np.ndarray:
        image = self._background(t)
        for shape in self.shapes:
            self._draw(image, shape, t)
        return image

    def _background(self, t: float) -> np.ndarray:
        kind = self.scene.kind
        if kind == "bars":
            bar = ((self.xs_unit[0] + self.bar_speed * t) % 1.0 * len(self.bar_colours)).astype(int)
            row = self.bar_colours[bar].astype(np.uint8)
            return np.broadcast_to(row, (self.height, self.width, 3)).copy()
        if kind == "noise":
            grid_h, grid_w = self.noise.shape[:2]
            shift = self.noise_speed * t
            rows = (self.ys_unit[:, 0] * grid_h + shift).astype(int) % grid_h
            cols = (self.xs_unit[0] * grid_w + shift / 2).astype(int) % grid_w
            return self.noise[rows[:, None], cols[None, :]].astype(np.uint8)
        if kind == "gradient":
            angle = self.gradient_angle + 0.3 * t
            along = (self.xs_unit * math.cos(angle) + self.ys_unit * math.sin(angle) + 1.5) / 3.0
            mixed = self.gradient_from * (1 - along[..., None]) + self.gradient_to * along[..., None]
            return mixed.astype(np.uint8)
        image = np.empty((self.height, self.width, 3), np.uint8)
        image[:] = self.background
        return image

    def _draw(self, image: np.ndarray, shape: _Shape, t: float) -> None:
        # Shapes bounce off the edges: a triangle wave of the unbounded position.
        def bounce(position: float) -> float:
            return 1 - abs(position % 2 - 1)

        size = max(2, int(shape.size * self.height))
        left = int(bounce(shape.x0 + shape.vx * t) * (self.width - size))
        top = int(bounce(shape.y0 + shape.vy * t) * (self.height - size))
        region = image[top : top + size, left : left + size]
        if shape.circle:
            ys, xs = np.ogrid[0:size, 0:size]
            radius = (size - 1) / 2
            region[(ys - radius) ** 2 + (xs - radius) ** 2 <= radius**2] = shape.colour
        else:
            region[:] = shape.colour


def scene_frames(scenes: Sequence[Scene], *, width: int, height: int, fps: int) -> Iterator[np.ndarray]:
    """RGB frames (height×width×3 uint8) of `scenes` played in turn at `fps`."""
    total_frames = round(sum(scene.seconds for scene in scenes) * fps)
    boundaries = np.cumsum([0.0, *(scene.seconds for scene in scenes)])
    drawings: dict[int, _SceneDrawing] = {}
    for index in range(total_frames):
        t = index / fps
        number = min(int(np.searchsorted(boundaries, t, side="right")) - 1, len(scenes) - 1)
        if number not in drawings:
            drawings.clear()  # scenes play in order: only the current one is kept
            drawings[number] = _SceneDrawing(scenes[number], width, height)
        yield drawings[number].frame(t - boundaries[number])


# --- sound ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def speak(text: str, *, voice: str = "en-us", words_per_minute: int = 150) -> np.ndarray:
    """`text` spoken by espeak-ng, as float32 mono samples at SAMPLE_RATE."""
    with tempfile.TemporaryDirectory() as directory:
        wav_path = Path(directory) / "speech.wav"
        # -w writes a proper WAV header (--stdout leaves the sizes as 0x7fffffff).
        subprocess.run(
            [ESPEAK, "-v", voice, "-s", str(words_per_minute), "-w", str(wav_path), "--", text],
            check=True,
            capture_output=True,
            timeout=60,
        )
        with wave.open(str(wav_path)) as wav:
            rate, channels = wav.getframerate(), wav.getnchannels()
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = pcm.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32768
    resampled_length = round(len(samples) * SAMPLE_RATE / rate)
    positions = np.arange(resampled_length) * (rate / SAMPLE_RATE)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def speech_seconds(text: str, *, voice: str = "en-us", words_per_minute: int = 150) -> float:
    """How long espeak-ng takes to say `text` (to size a video around it)."""
    return len(speak(text, voice=voice, words_per_minute=words_per_minute)) / SAMPLE_RATE


def audio_samples(audio: AudioSpec, *, seconds: float) -> np.ndarray:
    """Float32 mono samples at SAMPLE_RATE for `seconds` of `audio`."""
    total = round(seconds * SAMPLE_RATE)
    if isinstance(audio, ToneAudio):
        segments = list(audio.segments) or [Tone(seconds, audio.freq_hz)]
        frequencies = np.empty(total, np.float64)
        position = 0
        for number, segment in enumerate(segments):
            end = total if number == len(segments) - 1 else min(total, position + round(segment.seconds * SAMPLE_RATE))
            frequencies[position:end] = segment.freq_hz
            position = end
        # Integrating the frequency keeps the phase continuous where the tone changes (no clicks).
        phase = 2 * np.pi * np.cumsum(frequencies) / SAMPLE_RATE
        return (audio.amplitude * np.sin(phase)).astype(np.float32)
    samples = np.zeros(total, np.float32)
    for start, text in audio.spoken_lines():
        speech = speak(text, voice=audio.voice, words_per_minute=audio.words_per_minute)
        first = round(start * SAMPLE_RATE)
        if first + len(speech) > total:
            lasts = len(speech) / SAMPLE_RATE
            raise ValueError(f"speech {text!r} from {start} s lasts {lasts:.2f} s: past the video's end at {seconds} s")
        samples[first : first + len(speech)] += speech
    return samples


# --- writing ----------------------------------------------------------------------------------

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


def _write(
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
) -> Path:
    """Encode RGB `frames` (resized to width×height when they differ), mono float `samples` at
    SAMPLE_RATE and subtitle `cues` into `path`."""
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
            options["preset"] = "superfast"
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
            audio = cast(av.AudioStream, output.add_stream(audio_codec, rate=SAMPLE_RATE))
            audio.layout = "mono"
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
            for start in range(0, len(samples), chunk):
                piece = samples[start : start + chunk]
                audio_frame = av.AudioFrame.from_ndarray(piece[np.newaxis, :], format="flt", layout="mono")
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
    audio: AudioSpec | None = ToneAudio(),
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
    return _write(
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


# --- copies of an existing video -------------------------------------------------------------


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
    samples = None
    with av.open(str(path)) as source:
        if source.streams.audio:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            pieces = [
                resampled.to_ndarray().reshape(-1)
                for frame in source.decode(source.streams.audio[0])
                for resampled in resampler.resample(frame)
            ]
            pieces += [resampled.to_ndarray().reshape(-1) for resampled in resampler.resample(None)]
            samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    height, width = frames[0].shape[:2]
    return DecodedVideo(frames=frames, fps=fps, width=width, height=height, samples=samples)


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
    return _write(
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
    with_scene: Scene = Scene(0, "noise", seed=99),
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
    return _write(
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


# --- sidecar subtitles -----------------------------------------------------------------------


def _timestamp(seconds: float, separator: str) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}{separator}{millis:03d}"


def write_srt(path: Path, cues: Sequence[Cue]) -> Path:
    """A SubRip (.srt) file of `cues`."""
    blocks = [
        f"{number}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n{cue.text}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def write_vtt(path: Path, cues: Sequence[Cue]) -> Path:
    """A WebVTT (.vtt) file of `cues`."""
    blocks = [f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{cue.text}\n" for cue in cues]
    path.write_text("WEBVTT\n\n" + "\n".join(blocks), encoding="utf-8")
    return path


# --- the bad-file corpus ---------------------------------------------------------------------

BAD_FILE_KINDS = (
    "not_a_video",
    "zero_length",
    "truncated",
    "truncated_faststart",
    "audio_only",
    "no_decodable_frames",
    "absurd_dimensions",
    "absurd_dimensions_header",
    "too_long",
    "huge_frame_count",
    "playlist",
    "playlist_local",
    "concat_reference",
    "wrong_extension",
    "image",
    "not_allowed_container",
    "flv",
)


def make_bad_file(kind: str, directory: Path, *, seconds: float = 2 * 3600 + 5 * 60) -> Path:
    """Write a file of `kind` (one of BAD_FILE_KINDS) that the upload probe must refuse, in `directory`.

    - not_a_video: an English text file (notes.txt); wrong_extension: the same text named .mp4;
      image: a PNG named .mp4; zero_length: an empty .mp4.
    - truncated: a real MP4 (index at the end, as FFmpeg writes by default) cut in half: no index.
      truncated_faststart: the index at the front, the media data cut in half.
    - audio_only: an .m4a with only an AAC stream.
    - no_decodable_frames: a real MP4 whose media data (every packet) is overwritten with seeded noise.
    - absurd_dimensions: a real 160×128 H.264 MP4 whose sequence parameter set is patched to claim
      16384×8192 (FFmpeg accepts it and decodes garbage at that size: the probe must refuse from the
      header). absurd_dimensions_header: the SPS patched to 100000×100000 and the MP4 headers (tkhd,
      avc1) to 65535×65535, their largest value — FFmpeg's own decoder refuses such an SPS, so this
      one cannot be decoded at all.
    - too_long: a real 64×64 H.264 MP4 lasting `seconds` (default 2 h 05 min), one frame per 30 s.
    - huge_frame_count: a real 64×64 MP4 at 1000 frames per second (1 s).
    - playlist: an HLS playlist (.m3u8) whose segments are at http://example.invalid/;
      playlist_local: an HLS playlist named .mp4 whose segments are file:///etc/passwd and a path.
    - concat_reference: an ffconcat script, named .mp4, listing other files.
    - not_allowed_container: a real AVI (MPEG-4 part 2 + PCM); flv: a real FLV (H.264 + AAC).
    """
    directory.mkdir(parents=True, exist_ok=True)
    text = "Meeting notes\n\nThis is not a video. It is plain text that someone uploaded by mistake.\n"
    if kind == "not_a_video":
        return _write_bytes(directory / "notes.txt", text.encode())
    if kind == "wrong_extension":
        return _write_bytes(directory / "wrong_extension.mp4", text.encode())
    if kind == "zero_length":
        return _write_bytes(directory / "zero_length.mp4", b"")
    if kind == "image":
        image = next(scene_frames([Scene(1, "gradient", seed=5)], width=64, height=48, fps=1))
        return _write_bytes(directory / "image.mp4", png_bytes(image))
    if kind == "truncated":
        whole = make_video(directory / "whole.mp4", seconds=2, width=160, height=120, audio=ToneAudio())
        data = whole.read_bytes()
        whole.unlink()
        return _write_bytes(directory / "truncated.mp4", data[: len(data) // 2])
    if kind == "truncated_faststart":
        whole = directory / "whole_faststart.mp4"
        make_video(whole, seconds=2, width=160, height=120)
        data = _faststart(whole.read_bytes())
        whole.unlink()
        return _write_bytes(directory / "truncated_faststart.mp4", data[: len(data) // 2])
    if kind == "audio_only":
        samples = audio_samples(ToneAudio(330), seconds=2)
        return _write_audio_only(directory / "audio_only.m4a", samples)
    if kind == "no_decodable_frames":
        path = make_video(directory / "no_decodable_frames.mp4", seconds=2, width=160, height=120, audio=None)
        garbled = bytearray(path.read_bytes())
        mdat = next(box for box in _mp4_boxes(garbled) if box.kind == b"mdat")
        noise = np.random.default_rng(7).integers(0, 256, size=mdat.end - mdat.body, dtype=np.uint8)
        garbled[mdat.body : mdat.end] = noise.tobytes()
        return _write_bytes(path, bytes(garbled))
    if kind == "absurd_dimensions":
        path = make_video(directory / "absurd_dimensions.mp4", seconds=1, width=160, height=128, audio=None)
        return _write_bytes(path, _patch_h264_size(path.read_bytes(), width=16384, height=8192))
    if kind == "absurd_dimensions_header":
        path = make_video(directory / "absurd_dimensions_header.mp4", seconds=1, width=160, height=128, audio=None)
        data = _patch_h264_size(path.read_bytes(), width=100_000, height=100_000, header_size=(65535, 65535))
        return _write_bytes(path, data)
    if kind == "too_long":
        interval = 30
        frames = max(2, math.ceil(seconds / interval))
        return _write(
            directory / "too_long.mp4",
            frames=scene_frames([Scene(frames, "shapes", seed=3)], width=64, height=64, fps=1),
            width=64,
            height=64,
            fps=Fraction(1, interval),
            container="mp4",
            codec=None,
            crf=None,
            bitrate=None,
            samples=None,
        )
    if kind == "huge_frame_count":
        return make_video(directory / "huge_frame_count.mp4", seconds=1, width=64, height=64, fps=1000, audio=None)
    if kind == "playlist":
        return _write_bytes(directory / "playlist.m3u8", _hls(["http://example.invalid/segment0.ts"]).encode())
    if kind == "playlist_local":
        segments = ["file:///etc/passwd", "../../../../etc/passwd", str(directory / "elsewhere.ts")]
        return _write_bytes(directory / "playlist_local.mp4", _hls(segments).encode())
    if kind == "concat_reference":
        script = "ffconcat version 1.0\nfile /etc/passwd\nfile 'other.mp4'\nfile 'http://example.invalid/x.mp4'\n"
        return _write_bytes(directory / "concat_reference.mp4", script.encode())
    if kind == "not_allowed_container":
        return make_video(directory / "not_allowed_container.avi", seconds=2, width=160, height=120)
    if kind == "flv":
        return make_video(directory / "not_allowed_container.flv", seconds=2, width=160, height=120)
    raise ValueError(f"unknown bad-file kind {kind!r}; known: {', '.join(BAD_FILE_KINDS)}")


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _hls(segments: Sequence[str]) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:10", "#EXT-X-MEDIA-SEQUENCE:0"]
    for segment in segments:
        lines += ["#EXTINF:10.0,", segment]
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])


def _write_audio_only(path: Path, samples: np.ndarray) -> Path:
    with av.open(str(path), mode="w", format=container_for(path)) as output:
        stream = output.add_stream("aac", rate=SAMPLE_RATE)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="flt", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = 0
        frame.time_base = Fraction(1, SAMPLE_RATE)
        output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path


# MP4 boxes, just enough to find and patch a few of them.

_MP4_PARENTS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}


@dataclass(frozen=True)
class _Box:
    kind: bytes
    start: int  # where its size field is
    body: int  # where its contents start
    end: int
    depth: int


def _mp4_boxes(data: bytes | bytearray, start: int = 0, end: int | None = None, depth: int = 0) -> list[_Box]:
    """Every box in `data`, parents before their children."""
    end = len(data) if end is None else end
    boxes: list[_Box] = []
    position = start
    while position + 8 <= end:
        size = int.from_bytes(data[position : position + 4], "big")
        kind = bytes(data[position + 4 : position + 8])
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[position + 8 : position + 16], "big"), 16
        elif size == 0:
            size = end - position
        box = _Box(kind, position, position + header, position + size, depth)
        boxes.append(box)
        if kind in _MP4_PARENTS:
            boxes += _mp4_boxes(data, box.body, box.end, depth + 1)
        elif kind == b"stsd":  # version/flags and an entry count, then sample entries
            boxes += _mp4_boxes(data, box.body + 8, box.end, depth + 1)
        elif kind in (b"avc1", b"avc3"):  # a visual sample entry's 78 bytes of fields, then boxes
            boxes += _mp4_boxes(data, box.body + 78, box.end, depth + 1)
        position += size
    return boxes


def _faststart(data: bytes) -> bytes:
    """Move the moov box in front of mdat (what `-movflags +faststart` does), fixing chunk offsets."""
    boxes = _mp4_boxes(data)
    top = [box for box in boxes if box.depth == 0]
    moov = next(box for box in top if box.kind == b"moov")
    moov_bytes = bytearray(data[moov.start : moov.end])
    shift = moov.end - moov.start
    for box in _mp4_boxes(moov_bytes):
        if box.kind in (b"stco", b"co64"):
            width = 4 if box.kind == b"stco" else 8
            count = int.from_bytes(moov_bytes[box.body + 4 : box.body + 8], "big")
            for number in range(count):
                at = box.body + 8 + number * width
                offset = int.from_bytes(moov_bytes[at : at + width], "big")
                moov_bytes[at : at + width] = (offset + shift).to_bytes(width, "big")
    rest = b"".join(bytes(data[box.start : box.end]) for box in top if box.kind not in (b"ftyp", b"moov"))
    ftyp = next(box for box in top if box.kind == b"ftyp")
    return bytes(data[ftyp.start : ftyp.end]) + bytes(moov_bytes) + rest


def _rbsp(nal: bytes) -> bytes:
    """Remove H.264 emulation-prevention bytes (00 00 03 → 00 00)."""
    out, zeros = bytearray(), 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _escape(rbsp: bytes) -> bytes:
    out, zeros = bytearray(), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.bits = "".join(f"{byte:08b}" for byte in data)
        self.position = 0

    def u(self, count: int) -> int:
        value = int(self.bits[self.position : self.position + count], 2) if count else 0
        self.position += count
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bits[self.position] == "0":
            zeros += 1
            self.position += 1
        self.position += 1
        return (1 << zeros) - 1 + self.u(zeros)


def _ue_bits(value: int) -> str:
    code = value + 1
    return "0" * (code.bit_length() - 1) + format(code, "b")


def _patch_sps(sps: bytes, *, width: int, height: int) -> bytes:
    """An H.264 SPS NAL unit (as x264 writes it) rewritten to claim width×height (multiples of 16)."""
    reader = _BitReader(_rbsp(sps[1:]))
    profile = reader.u(8)
    reader.u(16)  # constraint flags, level
    reader.ue()  # seq_parameter_set_id
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        if reader.ue() == 3:  # chroma_format_idc
            reader.u(1)
        reader.ue()  # bit depths
        reader.ue()
        reader.u(1)
        if reader.u(1):
            raise ValueError("SPS with scaling matrices: not handled")
    reader.ue()  # log2_max_frame_num_minus4
    order_type = reader.ue()
    if order_type == 0:
        reader.ue()
    elif order_type == 1:
        raise ValueError("SPS with pic_order_cnt_type 1: not handled")
    reader.ue()  # max_num_ref_frames
    reader.u(1)
    before = reader.position
    reader.ue()  # pic_width_in_mbs_minus1
    reader.ue()  # pic_height_in_map_units_minus1 (frame_mbs_only for x264's progressive output)
    bits = (
        reader.bits[:before] + _ue_bits(width // 16 - 1) + _ue_bits(height // 16 - 1) + reader.bits[reader.position :]
    )
    bits = bits.rstrip("0")  # the rbsp stop bit is now last; pad it to a byte again
    bits += "0" * (-len(bits) % 8)
    rbsp = bytes(int(bits[at : at + 8], 2) for at in range(0, len(bits), 8))
    return sps[:1] + _escape(rbsp)


def _patch_h264_size(data: bytes, *, width: int, height: int, header_size: tuple[int, int] | None = None) -> bytes:
    """An MP4 (index at the end) whose avcC SPS claims width×height, and optionally whose tkhd and
    avc1 boxes claim header_size. Growing the avcC box grows its parents; the media data before the
    index does not move, so no chunk offset changes."""
    patched = bytearray(data)
    boxes = _mp4_boxes(patched)
    avcc = next(box for box in boxes if box.kind == b"avcC")
    mdat = next(box for box in boxes if box.kind == b"mdat")
    if mdat.start > avcc.start:
        raise ValueError("expects the index after the media data")
    config = bytes(patched[avcc.body : avcc.end])
    if config[5] & 0x1F != 1:
        raise ValueError("expects one SPS")
    sps_length = int.from_bytes(config[6:8], "big")
    sps = _patch_sps(config[8 : 8 + sps_length], width=width, height=height)
    new_config = config[:6] + len(sps).to_bytes(2, "big") + sps + config[8 + sps_length :]
    growth = len(new_config) - len(config)
    if header_size is not None:
        header_width, header_height = header_size
        avc1 = next(box for box in boxes if box.kind == b"avc1")
        patched[avc1.body + 24 : avc1.body + 28] = header_width.to_bytes(2, "big") + header_height.to_bytes(2, "big")
        tkhd = next(box for box in boxes if box.kind == b"tkhd")  # 16.16 fixed point, last 8 bytes
        patched[tkhd.end - 8 : tkhd.end] = (header_width << 16).to_bytes(4, "big") + (header_height << 16).to_bytes(
            4, "big"
        )
    for box in boxes:
        if box.start <= avcc.start and avcc.end <= box.end:  # avcC and every box that holds it
            if box.body - box.start != 8:
                raise ValueError("64-bit box sizes not handled")
            patched[box.start : box.start + 4] = (box.end - box.start + growth).to_bytes(4, "big")
    patched[avcc.body : avcc.end] = new_config
    return bytes(patched)
