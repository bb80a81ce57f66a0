"""The child side of `videos.probe`: opens ONE untrusted file with PyAV and prints a JSON verdict.

Run as a script (`python -I videos/probe_worker.py PATH --max-seconds N --memory-bytes M --cpu-seconds C`),
never imported by the web or worker processes except for its constants. It imports only the
standard library and `av` (no Django: a fast start, and none of the site's code or secrets within
reach of a hostile file), and limits itself before `av` is even imported.

What an untrusted file may make FFmpeg do is narrowed three times over:
1. the first bytes are sniffed here, and playlists / ffconcat scripts / SDP / known non-allowed
   containers are refused before FFmpeg sees the file at all;
2. `av.open` gets `format_whitelist=mov,matroska` (FFmpeg refuses any other demuxer after probing,
   before the demuxer reads a header), `protocol_whitelist=file` and `enable_drefs=0` (MOV data
   references to other files stay off);
3. an `io_open` callback lets FFmpeg open the upload itself and nothing else, so no demuxer can
   reach a second file or a URL whatever it finds inside.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import stat
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

# FFmpeg's names for the demuxers we accept: the MP4 family (mp4, mov, m4v; also m4a/3gp, which the
# stream checks then judge) and Matroska (mkv, webm).
ALLOWED_FORMATS = ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm")
FORMAT_WHITELIST = "mov,matroska"
MAX_WIDTH, MAX_HEIGHT = 7680, 4320  # 8K UHD, either orientation
MAX_FPS = 240.0
FRAMES_TO_DECODE = 3
MAX_PACKETS_TO_DEMUX = 600  # give up looking for decodable frames after this many video packets
HEAD_BYTES = 4096

MESSAGES = {
    "missing": "The file could not be found.",
    "not_a_video": "This file is not a video we can read.",
    "empty": "The file is empty.",
    "damaged": "The file is cut short or damaged.",
    "audio_only": "This file has sound but no picture.",
    "undecodable": "The video's frames cannot be decoded.",
    "too_large_dimensions": "The picture size is larger than we support (max 7680×4320).",
    "too_long": "This video is longer than your plan allows.",
    "too_many_frames": "This video has more frames than we support.",
    "remote_reference": "Playlists and files that point to other files are not accepted.",
    "format_not_allowed": "This container format is not accepted: upload MP4, MOV, M4V, WebM or MKV.",
    "timeout": "Probing took too long.",
    "out_of_memory": "The file needs too much memory to read.",
    "crashed": "The file could not be read (the reader stopped unexpectedly).",
}


class Refusal(Exception):
    """The file is refused: `code` is stable (for code and tests), `message` is for a person."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or MESSAGES[code]
        super().__init__(f"{code}: {self.message}")


@dataclass
class Probed:
    duration: float
    width: int
    height: int
    fps: float
    video_codec: str
    audio_codec: str | None
    has_audio: bool
    frame_count: int
    container: str  # short name: mp4, mov, m4v, webm, mkv (or m4a / 3gp, members of the MP4 family)
    format_name: str  # FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    subtitle_streams: list[dict[str, Any]] = field(default_factory=list)  # index, codec, language
    # What decides whether a browser plays the file as it is (videos.playback):
    rate: str = ""  # the frame rate as a rational, "30000/1001"
    pix_fmt: str = ""  # e.g. yuv420p, yuv420p10le, yuv422p
    profile: str = ""  # e.g. High, High 10, Main
    interlaced: bool = False  # the first decoded frames are interlaced
    variable_rate: bool = False  # frame durations differ (judged on the MP4/MOV index; Matroska: False)
    index_first: bool | None = None  # MP4/MOV: the moov box comes before the media data
    rotation: int = 0  # degrees counter-clockwise the picture is shown turned (a phone held upright)
    start_timecode: str = ""  # the timecode of the first frame the file carries ("01:00:00:00"), "" if none


# --- helpers that both sides use --------------------------------------------------------------


def format_length(seconds: float) -> str:
    """'2 h 05 min', '15 min', '45 s' — how long a video is, for messages."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min" if not secs else f"{minutes} min {secs:02d} s"
    return f"{secs} s"


# --- limits -----------------------------------------------------------------------------------


def limit_self(*, memory_bytes: int, cpu_seconds: int) -> None:
    """Applied first thing in the child (before FFmpeg is loaded), so every allocation and every
    CPU second FFmpeg spends on the file counts. RLIMIT_AS makes allocations fail (FFmpeg returns
    ENOMEM, Python raises MemoryError) rather than letting the machine swap; RLIMIT_CPU sends
    SIGXCPU, then SIGKILL one second later; the parent's wall-clock timeout covers a child that
    sleeps or blocks."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # the child never writes a file
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _pyav() -> Any:
    """PyAV, for the functions that read the file: imported there, never at the top, so that FFmpeg
    is loaded only after `limit_self` (its allocations and threads count against the limits)."""
    import av  # never before the limits are set

    return av


# --- sniffing ---------------------------------------------------------------------------------


def sniff(head: bytes) -> None:
    """Refuse by the first bytes what must never reach a demuxer, and name what we recognise."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"#extm3u", b"#ext-x-", b"[playlist]", b"ffconcat version", b"v=0")) or any(
        marker in text[:1024] for marker in (b"<mpd", b"<smil", b"<asx", b"#ext-x-")
    ):
        # HLS / PLS / ffconcat / SDP / DASH / SMIL / ASX all point at other files or URLs.
        raise Refusal("remote_reference")
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff") or head.startswith((b"GIF87a", b"GIF89a")):
        raise Refusal("not_a_video", "This file is a picture, not a video.")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise Refusal("not_a_video", "This file is a picture, not a video.")
    if (head[:4] == b"RIFF" and head[8:12] == b"WAVE") or head.startswith((b"fLaC", b"ID3")):
        raise Refusal("audio_only")
    for name, matches in (
        ("avi", head[:4] == b"RIFF" and head[8:11] == b"AVI"),
        ("flv", head.startswith(b"FLV\x01")),
        ("mpegts", len(head) > 376 and head[0] == head[188] == head[376] == 0x47),
        ("mpeg", head.startswith(b"\x00\x00\x01\xba")),
        ("wmv", head.startswith(bytes.fromhex("3026b2758e66cf11"))),
        ("ogg", head.startswith(b"OggS")),
    ):
        if matches:
            raise Refusal(
                "format_not_allowed",
                f"This container format ({name}) is not accepted: upload MP4, MOV, M4V, WebM or MKV.",
            )


def looks_like_allowed_container(head: bytes) -> bool:
    """The start of an MP4-family or Matroska file: if FFmpeg then cannot read it, it is damaged."""
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip") or head.startswith(b"\x1a\x45\xdf\xa3")


def short_container_name(format_name: str, head: bytes) -> str:
    if format_name.startswith("matroska"):
        return "webm" if b"webm" in head[:64] else "mkv"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return {b"qt  ": "mov", b"M4V ": "m4v", b"M4VP": "m4v", b"M4A ": "m4a", b"3gp4": "3gp", b"3gp5": "3gp"}.get(
            brand, "mp4"
        )
    return "mov"


# --- the probe itself -------------------------------------------------------------------------


def probe(path: str, *, max_seconds: float) -> Probed:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: a FIFO must not hang us
    except FileNotFoundError:
        raise Refusal("missing") from None
    except (IsADirectoryError, PermissionError):
        raise Refusal("not_a_video") from None
    with os.fdopen(fd, "rb") as upload:
        info = os.fstat(upload.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Refusal("not_a_video")
        if info.st_size == 0:
            raise Refusal("empty")
        head = upload.read(HEAD_BYTES)
        sniff(head)
        return _probe_with_av(upload, path, head=head, size=info.st_size, max_seconds=max_seconds)


def open_untrusted(upload: IO[bytes], path: str, *, head: bytes) -> Any:
    """`upload` (the file at `path`, its first bytes `head`) opened by PyAV under the three
    restrictions above; the renderer (videos/render_worker.py) opens what it encodes the same way."""
    av = _pyav()

    url = "file:" + str(Path(path).resolve())
    opened: list[str] = []

    def open_only_the_upload(requested: str, flags: int, options: dict[str, Any]) -> IO[bytes]:
        # FFmpeg asks here for every file or URL it wants to read: the upload once, and anything a
        # demuxer found inside it (segments, references). Only the upload is handed out.
        if requested != url or opened:
            raise PermissionError(f"refused to open {requested!r}")
        opened.append(requested)
        upload.seek(0)
        return upload

    try:
        return av.open(
            url,
            options={"protocol_whitelist": "file", "format_whitelist": FORMAT_WHITELIST, "enable_drefs": "0"},
            io_open=open_only_the_upload,
        )
    except MemoryError:
        raise
    except PermissionError:
        raise Refusal("remote_reference") from None
    except (av.FFmpegError, ValueError, OSError, EOFError):
        # Not on the format whitelist, or a whitelisted demuxer that cannot parse it.
        raise Refusal("damaged" if looks_like_allowed_container(head) else "not_a_video") from None


def _probe_with_av(upload: IO[bytes], path: str, *, head: bytes, size: int, max_seconds: float) -> Probed:
    av = _pyav()

    av.logging.set_level(av.logging.ERROR)
    # Read before FFmpeg is handed the file (it seeks the same handle); only MP4/MOV keep the answer.
    moov_first = _index_first(upload, size)
    container = open_untrusted(upload, path, head=head)

    with container:
        format_name = container.format.name
        if format_name not in ALLOWED_FORMATS:  # cannot happen with format_whitelist; kept as the rule itself
            raise Refusal(
                "format_not_allowed",
                f"This container format ({format_name}) is not accepted: upload MP4, MOV, M4V, WebM or MKV.",
            )
        videos = [
            stream
            for stream in container.streams.video
            if not stream.disposition & av.stream.Disposition.attached_pic  # cover art is not a picture track
        ]
        audios = list(container.streams.audio)
        if not videos:
            raise Refusal("audio_only" if audios else "not_a_video")
        video = videos[0]
        width, height = video.codec_context.width, video.codec_context.height
        if max(width, height) > MAX_WIDTH or min(width, height) > MAX_HEIGHT:
            raise Refusal(
                "too_large_dimensions",
                f"The picture size {width}×{height} is larger than we support (max {MAX_WIDTH}×{MAX_HEIGHT}).",
            )
        if width <= 0 or height <= 0:
            raise Refusal("undecodable")

        rate = video.average_rate or video.guessed_rate or video.base_rate
        fps = float(rate) if rate else 0.0
        if fps > MAX_FPS:
            raise Refusal(
                "too_many_frames",
                f"This video has {fps:.0f} frames per second; we support up to {MAX_FPS:.0f}.",
            )
        duration = _duration(container, video)
        if duration is None or duration <= 0:
            raise Refusal("damaged")
        if duration > max_seconds:
            raise Refusal(
                "too_long",
                f"This video is {format_length(duration)} long; your plan allows up to {format_length(max_seconds)}.",
            )
        frame_count = video.frames or round(duration * fps)
        if frame_count > max_seconds * MAX_FPS:
            raise Refusal(
                "too_many_frames", f"This video has {frame_count} frames; we support up to {max_seconds * MAX_FPS:.0f}."
            )
        if format_name.startswith("mov") and _index_runs_past_end(container, size):
            raise Refusal("damaged")
        if format_name.startswith("matroska") and _segment_runs_past_end(head, size):
            raise Refusal("damaged")
        first_frame = _decode_first_frames(container, video)
        is_mov = format_name.startswith("mov")
        rational = video.average_rate or video.guessed_rate or video.base_rate
        return Probed(
            duration=duration,
            width=width,
            height=height,
            fps=fps,
            video_codec=video.codec_context.name,
            audio_codec=audios[0].codec_context.name if audios else None,
            has_audio=bool(audios),
            frame_count=frame_count,
            container=short_container_name(format_name, head),
            format_name=format_name,
            subtitle_streams=[
                {"index": stream.index, "codec": stream.codec_context.name, "language": stream.language}
                for stream in container.streams.subtitles
            ],
            rate=f"{rational.numerator}/{rational.denominator}" if rational else "",
            pix_fmt=video.codec_context.pix_fmt or "",
            profile=video.codec_context.profile or "",
            interlaced=bool(first_frame.interlaced_frame),
            variable_rate=_variable_rate(video) if is_mov else False,
            index_first=moov_first if is_mov else None,
            rotation=int(first_frame.rotation or 0),
            start_timecode=_start_timecode(container, video),
        )


_TIMECODE = re.compile(r"^\d{2}:[0-5]\d:[0-5]\d[:;.]\d{2,3}$")


def _start_timecode(container: Any, video: Any) -> str:
    """The timecode of the file's first frame, as FFmpeg reads it into a `timecode` tag: on the
    picture stream or a QuickTime/MP4 timecode (tmcd) track, or on the container (MXF, Matroska);
    "" when none is there or it is not HH:MM:SS:FF."""
    tagged = [video, *container.streams.data, container]
    for holder in tagged:
        value = str(holder.metadata.get("timecode", "")).strip()
        if _TIMECODE.match(value):
            return value
    return ""


def _duration(container: Any, video: Any) -> float | None:
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    if container.duration:
        return float(container.duration / 1_000_000)  # AV_TIME_BASE
    return None


def _index_runs_past_end(container: Any, size: int) -> bool:
    """A MOV/MP4 index (the moov box) that places samples beyond the end of the file: the file was
    cut short after its index was written (a 'faststart' file whose upload stopped half way)."""
    for stream in container.streams:
        entries = stream.index_entries
        if len(entries) and entries[len(entries) - 1].pos + entries[len(entries) - 1].size > size:
            return True
    return False


MATROSKA_EBML_ID = 0x1A45DFA3
MATROSKA_SEGMENT_ID = 0x18538067


def _ebml_vint(data: bytes, offset: int, *, keep_marker: bool) -> tuple[int, int, bool] | None:
    """An EBML variable-length integer at `offset`: (value, its length, all value bits set — an
    element of unknown size), or None when `data` ends first or the first byte is not a vint."""
    if offset >= len(data) or data[offset] == 0:
        return None
    length = 9 - data[offset].bit_length()  # the leading zeros say how many bytes follow
    if offset + length > len(data):
        return None
    value = int.from_bytes(data[offset : offset + length], "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
    all_ones = value == (1 << (7 * length)) - 1
    return value, length, all_ones


def _segment_runs_past_end(head: bytes, size: int) -> bool:
    """A Matroska/WebM file whose Segment (everything after the EBML header) says it is longer than
    the file: it was cut short after its header was written. FFmpeg reads the duration from the
    header and the first frames decode, so nothing else notices. A Segment of unknown size (a live
    recording never finalised) has nothing to compare with and passes."""
    offset = 0
    for expected_id in (MATROSKA_EBML_ID, MATROSKA_SEGMENT_ID):
        element = _ebml_vint(head, offset, keep_marker=True)
        if element is None or element[0] != expected_id:
            return False  # not laid out as expected: FFmpeg's own checks judge it
        offset += element[1]
        element_size = _ebml_vint(head, offset, keep_marker=False)
        if element_size is None:
            return False
        offset += element_size[1]
        if expected_id == MATROSKA_SEGMENT_ID:
            return not element_size[2] and offset + element_size[0] > size
        offset += element_size[0]
    return False


def _variable_rate(video: Any) -> bool:
    """Frames whose durations differ (a phone's recording, a screen capture): the MP4/MOV index
    holds every frame's decoding time, so the steps between them say it. One tick of rounding
    either way is still a constant rate (29.97 fps in a 1/90000 time base alternates 3003/3004)."""
    times = sorted({entry.timestamp for entry in video.index_entries})
    steps = {later - earlier for earlier, later in itertools.pairwise(times)}
    return bool(steps) and max(steps) - min(steps) > 1


def _index_first(upload: IO[bytes], size: int) -> bool:
    """Whether the top-level moov box comes before mdat: a browser then starts playing (and seeking)
    after reading the first bytes, not after fetching the index from the end of the file."""
    offset = 0
    while offset + 8 <= size:
        upload.seek(offset)
        header = upload.read(16)
        if len(header) < 8:
            break
        box_size, kind = int.from_bytes(header[:4], "big"), header[4:8]
        if box_size == 1 and len(header) == 16:
            box_size = int.from_bytes(header[8:16], "big")
        if kind == b"moov":
            return True
        if kind == b"mdat" or box_size < 8:
            return False
        offset += box_size
    return False


def _decode_first_frames(container: Any, video: Any) -> Any:
    """The first frame that decodes, after decoding up to FRAMES_TO_DECODE of them."""
    av = _pyav()

    # One decoding thread: frame threads each hold frames, and a handful of frames is all we need.
    video.thread_type = "NONE"
    video.codec_context.thread_count = 1
    decoded = demuxed = 0
    first = None
    try:
        for packet in container.demux(video):
            demuxed += 1
            try:
                frames = packet.decode()
                decoded += len(frames)
                first = first if first is not None or not frames else frames[0]
            except MemoryError:
                raise
            except av.FFmpegError:
                pass  # a damaged packet; the next keyframe may still decode
            if decoded >= FRAMES_TO_DECODE or demuxed >= MAX_PACKETS_TO_DEMUX:
                break
    except MemoryError:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError):
        if not decoded:
            raise Refusal("undecodable") from None
    if first is None:
        raise Refusal("undecodable")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--max-seconds", type=float, required=True)
    parser.add_argument("--memory-bytes", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    args = parser.parse_args(argv)
    limit_self(memory_bytes=args.memory_bytes, cpu_seconds=args.cpu_seconds)
    try:
        verdict: dict[str, Any] = {"ok": True, "result": asdict(probe(args.path, max_seconds=args.max_seconds))}
    except Refusal as refusal:
        verdict = {"ok": False, "code": refusal.code, "message": refusal.message}
    except MemoryError:
        verdict = {"ok": False, "code": "out_of_memory", "message": MESSAGES["out_of_memory"]}
    except ImportError as error:
        if "map" not in str(error) and "memory" not in str(error).lower():
            raise
        # Loading FFmpeg's shared libraries needs address space too: under a tiny limit it fails here.
        verdict = {"ok": False, "code": "out_of_memory", "message": MESSAGES["out_of_memory"]}
    sys.stdout.write(json.dumps(verdict))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
