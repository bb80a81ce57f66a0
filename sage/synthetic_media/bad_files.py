"""The bad-file corpus: files that the upload probe must refuse."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .content import SAMPLE_RATE, Scene, ToneAudio, audio_samples, scene_frames
from .mp4 import faststart, mp4_boxes, patch_h264_size
from .writing import container_for, make_video, png_bytes, write_streams

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
        data = faststart(whole.read_bytes())
        whole.unlink()
        return _write_bytes(directory / "truncated_faststart.mp4", data[: len(data) // 2])
    if kind == "audio_only":
        samples = audio_samples(ToneAudio(330), seconds=2)
        return _write_audio_only(directory / "audio_only.m4a", samples)
    if kind == "no_decodable_frames":
        path = make_video(directory / "no_decodable_frames.mp4", seconds=2, width=160, height=120, audio=None)
        garbled = bytearray(path.read_bytes())
        mdat = next(box for box in mp4_boxes(garbled) if box.kind == b"mdat")
        noise = np.random.default_rng(7).integers(0, 256, size=mdat.end - mdat.body, dtype=np.uint8)
        garbled[mdat.body : mdat.end] = noise.tobytes()
        return _write_bytes(path, bytes(garbled))
    if kind == "absurd_dimensions":
        path = make_video(directory / "absurd_dimensions.mp4", seconds=1, width=160, height=128, audio=None)
        return _write_bytes(path, patch_h264_size(path.read_bytes(), width=16384, height=8192))
    if kind == "absurd_dimensions_header":
        path = make_video(directory / "absurd_dimensions_header.mp4", seconds=1, width=160, height=128, audio=None)
        data = patch_h264_size(path.read_bytes(), width=100_000, height=100_000, header_size=(65535, 65535))
        return _write_bytes(path, data)
    if kind == "too_long":
        interval = 30
        frames = max(2, math.ceil(seconds / interval))
        return write_streams(
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
