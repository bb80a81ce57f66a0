"""Part 3 of bench/pipeline.py: what the playable renditions cost against real time.

    .venv/bin/python bench/pipeline.py --only renditions [--rendition-seconds 12] [--record]

Three 1080p sources of `--rendition-seconds` at 25 fps, a textured picture panning 4 px a frame
with film grain (x264 spends bits and time on it, as on real footage), and a tone: a ProRes 422
HQ master with 24-bit PCM (.mov), an iPhone-like HEVC + AAC (.mp4), and an H.264 + AAC .mp4 with
its index first (what plays as it is). For each, the baseline is a full decode of the same file
in this process (PyAV, its default threads); then, as the pipeline runs them, in the same limited
child process (videos.render):

- **before ready** (`main=True, small=False`, what a processing run waits for): the H.264/AAC
  rendition for ProRes and HEVC; nothing at all for the file that plays (the judgement is the
  probe's, already made);
- **after ready** (`main=False, small=True`): the 360p copy, made from the rendition where there is
  one (as `videos.pipeline.renditions.renditions_backfill` does), else from the file that plays.

Each is timed once (wall and the child's CPU seconds, all threads); × real time is the source's
length over the wall time. Goal (issue 61): ≥ 2× real time for a 1080p rendition on two cores,
and nothing before ready for a file that plays. Under load the wall time grows; the CPU seconds
say what the work itself costs.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import av
import numpy as np

from bench.results import Row
from videos.playback import Playback, playback_plan
from videos.probe import probe_media
from videos.render import render_renditions

WIDTH, HEIGHT, FPS = 1920, 1080, 25
SAMPLE_RATE = 48_000
GOAL_REAL_TIME = 2.0
PAN = 4  # pixels per frame
CORES = 2  # the goal's machine


@dataclass(frozen=True)
class Source:
    label: str
    suffix: str
    codec: str
    pix_fmt: str
    options: dict[str, str]
    audio_codec: str
    audio_format: str
    faststart: bool = False


QUIET_X265 = {"preset": "ultrafast", "x265-params": "log-level=none"}
SOURCES = (
    Source("ProRes 422 HQ + PCM (.mov)", ".mov", "prores_ks", "yuv422p10le", {"profile": "3"}, "pcm_s24le", "s32"),
    Source("HEVC + AAC (.mp4)", ".mp4", "libx265", "yuv420p", QUIET_X265, "aac", "fltp"),
    Source(
        "H.264 + AAC, index first (.mp4)",
        ".mp4",
        "libx264",
        "yuv420p",
        {"preset": "veryfast", "crf": "20"},
        "aac",
        "fltp",
        faststart=True,
    ),
)


def _smooth(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    coarse = rng.random((height // cell + 2, width // cell + 2)).astype(np.float32)
    return np.kron(coarse, np.ones((cell, cell), np.float32))[:height, :width]


def _pictures(count: int) -> list[np.ndarray]:
    """Luma planes: smooth shapes and fine detail, panning, with grain (made once, shared by the sources)."""
    rng = np.random.default_rng(61)
    width = WIDTH + PAN * count
    texture = _smooth(rng, HEIGHT, width, 120) * 140 + _smooth(rng, HEIGHT, width, 8) * 60 + 30
    grain = rng.integers(-4, 5, size=(6, HEIGHT, WIDTH), dtype=np.int16)
    base = np.clip(texture, 0, 255).astype(np.int16)
    return [
        np.clip(base[:, index * PAN : index * PAN + WIDTH] + grain[index % len(grain)], 0, 255).astype(np.uint8)
        for index in range(count)
    ]


def write_source(source: Source, path: Path, pictures: list[np.ndarray]) -> Path:
    chroma = np.full((HEIGHT // 2, WIDTH), 128, np.uint8)  # U and V planes of a 4:2:0 frame, grey
    options = {"movflags": "+faststart"} if source.faststart else {}
    with av.open(str(path), "w", options=options) as output:
        video = cast(av.VideoStream, output.add_stream(source.codec, rate=FPS, options=dict(source.options)))
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, source.pix_fmt
        audio = cast(av.AudioStream, output.add_stream(source.audio_codec, rate=SAMPLE_RATE, layout="stereo"))
        for index, luma in enumerate(pictures):
            frame = av.VideoFrame.from_ndarray(np.concatenate([luma, chroma]), format="yuv420p")
            frame = frame.reformat(format=source.pix_fmt)
            frame.pts = index
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        total = round(len(pictures) / FPS * SAMPLE_RATE)
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(total) / SAMPLE_RATE)).astype(np.float32)
        resampler = av.AudioResampler(format=source.audio_format, layout="stereo", rate=SAMPLE_RATE)
        for start in range(0, total, 1024):
            block = np.ascontiguousarray(np.stack([tone[start : start + 1024]] * 2))
            samples = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
            samples.sample_rate, samples.pts = SAMPLE_RATE, start
            for converted in resampler.resample(samples):
                output.mux(audio.encode(converted))
        output.mux(audio.encode(None))
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _full_decode(path: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds (all threads) of decoding every frame with frame and slice threads, as
    the renditions' child decodes: the CPU seconds over the two cores bound what any rendition of
    the file can reach."""
    started, cpu_before = time.perf_counter(), time.process_time()
    with av.open(str(path)) as container:
        container.streams.video[0].thread_type = "AUTO"
        container.streams.video[0].codec_context.thread_count = 0
        frames = sum(1 for _ in container.decode(video=0))
    return time.perf_counter() - started, time.process_time() - cpu_before, frames


def bench_renditions(seconds: float) -> tuple[bool, list[Row]]:
    """Part 3: prints each source's figures; returns whether the goals were met and the rows."""
    met = True
    rows: list[Row] = []
    pictures = _pictures(round(seconds * FPS))
    with tempfile.TemporaryDirectory(prefix="sage-bench-renditions-") as directory:
        for number, source in enumerate(SOURCES):
            path = write_source(source, Path(directory) / f"source{number}{source.suffix}", pictures)
            probe = probe_media(path, max_seconds=3600)
            plan = playback_plan(probe)
            decode_seconds, decode_cpu, frames = _full_decode(path)
            size = path.stat().st_size
            print(
                f"\n3. renditions, {source.label}: {size / 2**20:.0f} MiB, {probe.duration:.1f} s, "
                f"{plan.playback.value} ({', '.join(plan.reasons) or 'plays as it is'})"
            )
            print(
                f"   baseline, full decode: {decode_seconds:.2f} s, {probe.duration / decode_seconds:.1f}× real time, "
                f"{decode_cpu:.1f} CPU s (on {CORES} idle cores the decode alone allows at most "
                f"{probe.duration * CORES / decode_cpu:.1f}× real time)"
            )
            played = path
            for part, main, small in (("before ready", True, False), ("after ready (small copy)", False, True)):
                out = Path(directory) / f"out{number}-{int(main)}"
                out.mkdir()
                if not main and played != path:  # the small copy comes from the rendition, as the pipeline makes it
                    probe = probe_media(played, max_seconds=3600)
                    plan = playback_plan(probe)
                cpu_before, started = _children_cpu(), time.perf_counter()
                rendered = render_renditions(played, out, probe=probe, plan=plan, main=main, small=small)
                wall, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
                real_time = probe.duration / wall
                made = [name for name, file in (("playable", rendered.playable), ("small", rendered.small)) if file]
                assert rendered.frames in (0, frames), (rendered.frames, frames)
                print(
                    f"   {part}: {', '.join(made) or 'nothing to make'}: {wall:.2f} s wall "
                    f"({real_time:.1f}× real time), {cpu:.1f} CPU s, {wall / decode_seconds:.1f}× the decode"
                )
                played = rendered.playable or played
                if main and plan.playback is Playback.ENCODE:
                    ok = real_time >= GOAL_REAL_TIME
                    met = met and ok
                    rows.append(
                        Row(
                            f"1080p rendition ≥ {GOAL_REAL_TIME:g}× real time, {source.label}",
                            f"{wall:.1f} s for {probe.duration:.0f} s, {real_time:.1f}× ({cpu:.1f} CPU s; "
                            f"full decode {decode_seconds:.1f} s, {decode_cpu:.1f} CPU s)",
                            ok,
                        )
                    )
                elif main:
                    ok = wall < 0.5
                    met = met and ok
                    rows.append(
                        Row(f"before ready, nothing for a file that plays: {source.label}", f"{wall:.2f} s", ok)
                    )
                else:
                    made_from = "from the rendition" if played != path else "from the original"
                    rows.append(
                        Row(
                            f"its 360p copy, after ready, {made_from} (printed): {source.label}",
                            f"{wall:.1f} s, {real_time:.1f}× real time ({cpu:.1f} CPU s)",
                            None,
                        )
                    )
    print(f"   load: {', '.join(f'{load:.2f}' for load in os.getloadavg())} (1, 5, 15 min)")
    return met, rows
