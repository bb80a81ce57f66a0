"""Making the browser-playable renditions of an upload, in a limited child process: `render_renditions`.

The encode reads untrusted media, so it runs as the probe does (videos/probe.py): a plain
interpreter in isolated mode with an empty environment (`videos/render_worker.py`), limited in
address space, CPU seconds and bytes written, killed after a wall-clock deadline, speaking only
JSON lines on stdout. The limits scale with the video's length: a 2-hour master may take a while,
a hostile file that makes FFmpeg spin does not hold a worker for ever.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from videos import render_worker
from videos.playback import Playback, PlaybackPlan
from videos.probe import ProbeResult
from videos.probe_worker import MESSAGES

WORKER = Path(render_worker.__file__)
MEMORY_BYTES = 4 << 30  # 4 GiB of address space: an 8K ProRes frame is ~200 MB, x264 at 4K ~1 GB
# CPU seconds per second of video (all threads together), and a floor for the start-up. A 1080p
# rendition and its small copy use one to two CPU seconds per second of video (ProRes 422 HQ's
# decode alone is most of one; bench/pipeline.py); 4K about four times that.
CPU_SECONDS_PER_SECOND = 12
CPU_SECONDS_FLOOR = 60
# Wall-clock seconds per second of video: the CPU limit over the two cores it may use, and a floor.
WALL_SECONDS_PER_SECOND = 8
WALL_SECONDS_FLOOR = 60
# A rendition may be at most this many times the original's size, and never under the floor.
OUTPUT_BYTES_FLOOR = 1 << 30


class RenderError(Exception):
    """The renditions could not be made: `message` is for the person who uploaded the video,
    `detail` for logs."""

    def __init__(self, code: str, message: str, *, detail: str = "") -> None:
        self.code = code
        self.message = message
        self.detail = detail
        super().__init__(message)


@dataclass(frozen=True)
class Rendered:
    playable: Path | None  # the main rendition (or remux); None when not asked for or the original plays
    small: Path | None  # the small copy; None when not asked for
    frames: int  # of the renditions made (the original's, one for one)


def rendition_rate(probe: ProbeResult) -> Fraction:
    """The renditions' constant frame rate: the original's average rate as a rational. A variable
    rate's average can be an unwieldy ratio (10000/489); one within a millionth is as good and
    keeps the MP4's time scale small."""
    rate = probe.rate if probe.rate > 0 else Fraction(probe.fps).limit_denominator(1001)
    return rate if rate.denominator <= 1001 else rate.limit_denominator(1001)


def render_renditions(
    source: Path,
    out_dir: Path,
    *,
    probe: ProbeResult,
    plan: PlaybackPlan,
    main: bool = True,
    small: bool = True,
    on_progress: Callable[[float], None] | None = None,
) -> Rendered:
    """Write into `out_dir` what players need: with `main`, what `plan` asks for (a new encode or a
    remux; nothing when the original plays as it is); with `small`, the small copy (with a new
    encode, from the same decoded pictures). `on_progress` gets 0..1; an exception it raises (a
    cancel) kills the child and goes up. RenderError for anything that failed."""
    playback = plan.playback.value if main and plan.playback is not Playback.AS_IS else "none"
    if playback == "none" and not small:
        return Rendered(playable=None, small=None, frames=0)
    duration = max(1.0, probe.duration)
    cpu_seconds = int(CPU_SECONDS_FLOOR + CPU_SECONDS_PER_SECOND * duration)
    wall_seconds = WALL_SECONDS_FLOOR + WALL_SECONDS_PER_SECOND * duration
    output_bytes = max(OUTPUT_BYTES_FLOOR, 2 * source.stat().st_size)
    command = [
        sys.executable,
        "-I",
        str(WORKER),
        str(source.resolve()),
        str(out_dir.resolve()),
        "--playback",
        playback,
        "--rate",
        str(rendition_rate(probe)),
        "--frames",
        str(probe.frame_count),
        "--rotation",
        str(probe.rotation),
        "--memory-bytes",
        str(MEMORY_BYTES),
        "--cpu-seconds",
        str(cpu_seconds),
        "--output-bytes",
        str(output_bytes),
    ]
    if probe.interlaced:
        command.append("--deinterlace")
    if small:
        command.append("--small")
    with tempfile.TemporaryFile() as stderr:
        # An empty environment, as for the probe: nothing of the site's configuration is in reach.
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env={})
        timer = threading.Timer(wall_seconds, child.kill)
        timer.start()
        verdict: dict[str, object] | None = None
        try:
            assert child.stdout is not None
            for line in child.stdout:
                message = json.loads(line)
                if "progress" in message:
                    if on_progress is not None:
                        on_progress(float(message["progress"]))
                else:
                    verdict = message
        except BaseException:
            child.kill()
            raise
        finally:
            returncode = child.wait()
            timed_out = not timer.is_alive() and returncode < 0
            timer.cancel()
        stderr.seek(0)
        detail = stderr.read()[-2000:].decode("utf-8", "replace")
    return _rendered(verdict, out_dir, returncode=returncode, timed_out=timed_out, detail=detail)


def _rendered(
    verdict: dict[str, object] | None,
    out_dir: Path,
    *,
    returncode: int,
    timed_out: bool,
    detail: str,
) -> Rendered:
    if timed_out or returncode in (-9, -24):  # SIGKILL (the deadline, RLIMIT_CPU's second signal), SIGXCPU
        raise RenderError("timeout", "Making a playable version took too long.", detail=detail)
    if verdict is None:
        if "MemoryError" in detail or "Cannot allocate memory" in detail:
            raise RenderError("out_of_memory", MESSAGES["out_of_memory"], detail=detail)
        raise RenderError(
            "crashed", "Making a playable version stopped unexpectedly.", detail=f"exit {returncode}: {detail}"
        )
    if not verdict.get("ok"):
        code = str(verdict.get("code"))
        raise RenderError(code, str(verdict.get("message") or MESSAGES.get(code, "")), detail=detail)
    outputs = verdict.get("outputs")
    assert isinstance(outputs, dict)
    frames = verdict.get("frames")
    assert isinstance(frames, int)
    playable = out_dir / str(outputs["playable"]) if "playable" in outputs else None
    small = out_dir / str(outputs["small"]) if "small" in outputs else None
    return Rendered(playable=playable, small=small, frames=frames)
