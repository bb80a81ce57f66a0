"""Safe probing of untrusted media: `probe_media(path, max_seconds=...)`.

Every file is read by a separate, short-lived child process (`videos/probe_worker.py`) with a memory
limit (RLIMIT_AS), a CPU limit (RLIMIT_CPU) and a wall-clock timeout after which it is killed. The
child opens the file with PyAV restricted to the MP4 family and Matroska/WebM demuxers and to the
upload itself (no protocols but `file`, no second file), and prints a JSON verdict on stdout.

Why `subprocess.run([sys.executable, "-I", worker.py, ...])` and not `multiprocessing`: a spawned
multiprocessing child re-imports the parent's `__main__` (the Celery worker or manage.py, hence
Django and every setting) before it runs anything, while a plain interpreter in isolated mode
(`-I`: no PYTHON* variables, no user site, no script directory on sys.path) with an empty
environment starts in ~0.1 s, has no secrets in reach, and speaks to us only through stdout —
JSON we validate. A crash in FFmpeg kills the child and nothing else. The limits are set by the
child itself as its first act (not in `preexec_fn`, which is unsafe in a threaded parent such as a
Celery worker), before `av` and FFmpeg are loaded.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from videos import probe_worker
from videos.probe_worker import MESSAGES, format_length

WORKER = Path(probe_worker.__file__)
__all__ = ["ProbeError", "ProbeResult", "SubtitleStream", "format_length", "probe_media"]


class ProbeError(Exception):
    """A file we will not process. `code` is stable (see `probe_worker.MESSAGES`); `message` is for
    the person who uploaded it; `detail` is for logs (the child's stderr, an exit status)."""

    def __init__(self, code: str, message: str | None = None, *, detail: str = "") -> None:
        self.code = code
        self.message = message or MESSAGES[code]
        self.detail = detail
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"ProbeError({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class SubtitleStream:
    index: int
    codec: str
    language: str | None


@dataclass(frozen=True)
class ProbeResult:
    duration: float  # seconds
    width: int
    height: int
    fps: float
    video_codec: str
    audio_codec: str | None
    has_audio: bool
    frame_count: int  # from the container's index when it has one, else duration × fps
    container: str  # mp4, mov, m4v, webm or mkv (m4a / 3gp: other members of the MP4 family)
    format_name: str  # FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm"
    subtitle_streams: tuple[SubtitleStream, ...] = ()
    # What decides whether a browser plays the file as it is (videos.playback); see probe_worker.Probed.
    rate: Fraction = Fraction(0)
    pix_fmt: str = ""
    profile: str = ""
    interlaced: bool = False
    variable_rate: bool = False
    index_first: bool | None = None
    rotation: int = 0
    start_timecode: str = ""  # the first frame's timecode the file carries, "" if none


def probe_media(
    path: Path,
    *,
    max_seconds: float,
    timeout: float = 20.0,
    memory_bytes: int = 1 << 30,
) -> ProbeResult:
    """Probe `path` in a limited child process; raise `ProbeError` for anything we will not process.

    `max_seconds` is the longest video the owner's plan allows; `timeout` is wall-clock seconds for
    the whole child (also its CPU limit, rounded up); `memory_bytes` caps its address space.
    """
    try:
        if not path.is_file():
            raise ProbeError("not_a_video" if path.exists() else "missing", detail=f"{path} is not a regular file")
        if path.stat().st_size == 0:
            raise ProbeError("empty")
    except OSError as error:
        raise ProbeError("missing", detail=str(error)) from error

    command = [
        sys.executable,
        "-I",
        str(WORKER),
        str(path.resolve()),
        "--max-seconds",
        repr(float(max_seconds)),
        "--memory-bytes",
        str(int(memory_bytes)),
        "--cpu-seconds",
        str(max(1, math.ceil(timeout))),
    ]
    try:
        # An empty environment: nothing of the site's configuration (keys, database URLs) is
        # visible to code that parses hostile input.
        completed = subprocess.run(command, capture_output=True, timeout=timeout, env={}, check=False)
    except subprocess.TimeoutExpired as expired:  # subprocess.run has already killed and reaped the child
        raise ProbeError("timeout", detail=f"killed after {timeout} s") from expired
    return probe_verdict(completed)


def probe_verdict(completed: subprocess.CompletedProcess[bytes]) -> ProbeResult:
    stderr_tail = completed.stderr[-2000:].decode("utf-8", "replace")
    if completed.returncode < 0:
        killed_by = -completed.returncode
        if killed_by in (signal.SIGXCPU, signal.SIGKILL):  # RLIMIT_CPU: SIGXCPU, then SIGKILL
            raise ProbeError("timeout", detail=f"CPU limit (signal {killed_by})")
        raise ProbeError("crashed", detail=f"signal {killed_by}: {stderr_tail}")
    try:
        verdict = json.loads(completed.stdout)
    except ValueError:
        if "MemoryError" in stderr_tail or "Cannot allocate memory" in stderr_tail or "failed to map" in stderr_tail:
            raise ProbeError("out_of_memory", detail=stderr_tail) from None
        raise ProbeError("crashed", detail=f"exit {completed.returncode}: {stderr_tail}") from None
    if not verdict.get("ok"):
        code = str(verdict.get("code"))
        if code not in MESSAGES:
            raise ProbeError("crashed", detail=f"unknown verdict {verdict!r}")
        raise ProbeError(code, str(verdict.get("message") or MESSAGES[code]), detail=stderr_tail)
    result = verdict["result"]
    return ProbeResult(
        duration=float(result["duration"]),
        width=int(result["width"]),
        height=int(result["height"]),
        fps=float(result["fps"]),
        video_codec=str(result["video_codec"]),
        audio_codec=None if result["audio_codec"] is None else str(result["audio_codec"]),
        has_audio=bool(result["has_audio"]),
        frame_count=int(result["frame_count"]),
        container=str(result["container"]),
        format_name=str(result["format_name"]),
        subtitle_streams=tuple(
            SubtitleStream(index=int(stream["index"]), codec=str(stream["codec"]), language=stream["language"])
            for stream in result["subtitle_streams"]
        ),
        rate=Fraction(str(result["rate"])) if result["rate"] else Fraction(0),
        pix_fmt=str(result["pix_fmt"]),
        profile=str(result["profile"]),
        interlaced=bool(result["interlaced"]),
        variable_rate=bool(result["variable_rate"]),
        index_first=None if result["index_first"] is None else bool(result["index_first"]),
        rotation=int(result["rotation"]),
        start_timecode=str(result.get("start_timecode", "")),
    )
