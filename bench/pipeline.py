"""Clip-embedding speed (pipeline step 3) against a full decode of the same file, in the same run.

    .venv/bin/python bench/pipeline.py [--seconds 300] [--rounds 2] [--video PATH]

Makes a 1280×720 30 fps H.264 + AAC video (5 minutes by default; x264 "veryfast", CRF 23, its
default GOP and B-frames — what a screen recorder or a streaming upload looks like), then times, in
alternation, PyAV decoding every video frame (nothing skipped) and the `local`
backend embedding the file (video and audio). The full decode is timed twice over: with the codec
threads the embedding also uses, and with PyAV's defaults (what `container.decode(video=0)` does).
The best of `--rounds` alternated runs of each is compared, and CPU time (all threads) is printed
beside wall time: other processes on the machine inflate wall time, CPU time much less.
`--video PATH` reuses (or keeps) the made file.

Goals (issue 4): embedding ≥ 15× real time, and ≤ 0.6 of the full decode's time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from videos.embeddings.local import LocalClipEmbedder

T = TypeVar("T")

WIDTH, HEIGHT, FPS = 1280, 720, 30
AUDIO_RATE = 48_000
SCENE_SECONDS = 10
GOAL_REAL_TIME = 15.0
GOAL_DECODE_RATIO = 0.6


def _smooth_noise(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """Values in 0–1 varying smoothly over `cell` pixels (bilinear upsampling of random values)."""
    coarse = rng.random((height // cell + 2, width // cell + 2)).astype(np.float32)
    ys = np.linspace(0, coarse.shape[0] - 1.001, height)
    xs = np.linspace(0, coarse.shape[1] - 1.001, width)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], xs - x0
    rows = coarse[y0] * (1 - fy) + coarse[y0 + 1] * fy
    return np.asarray(rows[:, x0] * (1 - fx) + rows[:, x0 + 1] * fx)


def _scene_planes(number: int, pan_pixels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A scene's Y, U, V textures, wider than the frame so the camera can pan across them."""
    rng = np.random.default_rng(number)
    width = WIDTH + pan_pixels
    detail = rng.integers(-12, 13, size=(HEIGHT, width), dtype=np.int16)  # fine texture: costs bits
    luma = _smooth_noise(rng, HEIGHT, width, 96) * 150 + _smooth_noise(rng, HEIGHT, width, 12) * 50 + 25 + detail
    blue = _smooth_noise(rng, HEIGHT // 2, width // 2, 60) * 110 + 73
    red = _smooth_noise(rng, HEIGHT // 2, width // 2, 60) * 110 + 73
    luma_plane, blue_plane, red_plane = (np.clip(plane, 0, 255).astype(np.uint8) for plane in (luma, blue, red))
    return luma_plane, blue_plane, red_plane


def make_video(path: Path, seconds: float) -> None:
    """Scenes of SCENE_SECONDS: a panning textured background with a few moving blocks, film grain,
    and a different chord per scene with a slow tremolo, as stereo AAC."""
    frame_count = round(seconds * FPS)
    scene_frames = SCENE_SECONDS * FPS
    pan = 3  # pixels per frame
    grain = np.random.default_rng(99).integers(-3, 4, size=(8, HEIGHT, WIDTH), dtype=np.int16)
    with av.open(str(path), mode="w") as output:
        video = output.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "23"}
        audio = output.add_stream("aac", rate=AUDIO_RATE)
        audio.layout = "stereo"
        planes = _scene_planes(0, pan * scene_frames)
        for index in range(frame_count):
            in_scene = index % scene_frames
            if in_scene == 0 and index:
                planes = _scene_planes(index // scene_frames, pan * scene_frames)
            offset = in_scene * pan
            luma = planes[0][:, offset : offset + WIDTH] + grain[index % len(grain)]
            luma = np.clip(luma, 0, 255).astype(np.uint8)
            blue = planes[1][:, offset // 2 : offset // 2 + WIDTH // 2].copy()
            red = planes[2][:, offset // 2 : offset // 2 + WIDTH // 2].copy()
            t = index / FPS
            for block in range(3):
                x = (
                    int((np.sin(t * (0.7 + 0.3 * block) + block + index // scene_frames) * 0.4 + 0.5) * (WIDTH - 200))
                    & ~1
                )
                y = int((np.cos(t * (0.5 + 0.2 * block) + block) * 0.4 + 0.5) * (HEIGHT - 160)) & ~1
                luma[y : y + 140, x : x + 180] = 50 + 70 * block
                blue[y // 2 : y // 2 + 70, x // 2 : x // 2 + 90] = 40 + 80 * block
                red[y // 2 : y // 2 + 70, x // 2 : x // 2 + 90] = 210 - 80 * block
            image = np.concatenate([luma, blue.reshape(HEIGHT // 4, WIDTH), red.reshape(HEIGHT // 4, WIDTH)])
            frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
            frame.pts = index
            output.mux(video.encode(frame))
        output.mux(video.encode(None))

        samples_total = round(seconds * AUDIO_RATE)
        chunk = AUDIO_RATE  # one second at a time
        for start in range(0, samples_total, chunk):
            seconds_in = np.arange(start, min(samples_total, start + chunk)) / AUDIO_RATE
            root = 110.0 * 2.0 ** ((np.floor(seconds_in / SCENE_SECONDS) * 5 % 12) / 12)  # a new chord per scene
            phase = 2 * np.pi * root * seconds_in
            chord = np.sin(phase) + np.sin(1.25 * phase) + np.sin(1.5 * phase)
            tremolo = 0.6 + 0.4 * np.sin(2 * np.pi * 3 * seconds_in)
            left = (0.15 * chord * tremolo).astype(np.float32)
            right = (0.9 * left).astype(np.float32)
            sound = av.AudioFrame.from_ndarray(np.stack([left, right]), format="fltp", layout="stereo")
            sound.sample_rate = AUDIO_RATE
            sound.pts = start
            output.mux(audio.encode(sound))
        output.mux(audio.encode(None))


def full_decode(path: Path, *, threads: bool) -> int:
    """Decode every video frame. `threads=False` is PyAV as it comes (`container.decode(video=0)`:
    slice threading only, which an x264 file with one slice per frame cannot use);
    `threads=True` turns on the same codec threads the embedding uses."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if threads:
            stream.thread_type = "AUTO"
        return sum(1 for _ in container.decode(stream))


@dataclass
class Timings:
    """Wall and CPU seconds (CPU: all of this process's threads) of each run of one contender."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def measure(self, function: Callable[[], T]) -> T:
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        result = function()
        self.wall.append(time.perf_counter() - wall_started)
        self.cpu.append(time.process_time() - cpu_started)
        return result

    def last(self) -> str:
        return f"{self.wall[-1]:.2f} s (CPU {self.cpu[-1]:.2f} s)"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--video", type=Path, help="use this file if it exists, else make it there and keep it")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        path = arguments.video or Path(directory) / "bench.mp4"
        if arguments.video and path.exists():
            print(f"video reused: {path}")
        else:
            started = time.perf_counter()
            make_video(path, arguments.seconds)
            made_in = time.perf_counter() - started
            print(f"video made: {arguments.seconds:.0f} s of {WIDTH}×{HEIGHT} {FPS} fps H.264 + AAC in {made_in:.1f} s")
        with av.open(str(path)) as container:
            duration = float(container.duration or 0) / av.time_base
        size = path.stat().st_size
        print(f"file: {size / 2**20:.1f} MiB, {duration:.1f} s, {size * 8 / duration / 1e6:.2f} Mbit/s")

        backend = LocalClipEmbedder()
        threaded, default, embedding = Timings(), Timings(), Timings()
        frames = clips = 0
        for round_number in range(1, arguments.rounds + 1):
            # Alternated, so a burst of load from another process hurts every side alike.
            frames = threaded.measure(lambda: full_decode(path, threads=True))
            clips = len(embedding.measure(lambda: backend.embed_clips(path)))
            default.measure(lambda: full_decode(path, threads=False))
            print(
                f"round {round_number}: full decode (threads) {threaded.last()}, "
                f"full decode (PyAV defaults) {default.last()}, embedding {embedding.last()}"
            )

        embed_time = min(embedding.wall)
        real_time = duration / embed_time
        for label, timings in (("codec threads on", threaded), ("PyAV defaults", default)):
            print(f"full decode, {label}: {min(timings.wall):.2f} s = {frames / min(timings.wall):.0f} frames/s")
        print(f"embedding: {embed_time:.2f} s for {clips} clips = {clips / embed_time:.1f} clips/s")
        print(f"× real time: {real_time:.1f} (goal ≥ {GOAL_REAL_TIME:.0f}): {verdict(real_time >= GOAL_REAL_TIME)}")
        met = real_time >= GOAL_REAL_TIME
        for label, timings in (("codec threads on", threaded), ("PyAV defaults", default)):
            ratio = embed_time / min(timings.wall)
            cpu_ratio = min(embedding.cpu) / min(timings.cpu)
            met = met and ratio <= GOAL_DECODE_RATIO
            print(
                f"embedding / full decode ({label}): {ratio:.2f} (goal ≤ {GOAL_DECODE_RATIO}): "
                f"{verdict(ratio <= GOAL_DECODE_RATIO)}; in CPU time {cpu_ratio:.2f}"
            )
        print(f"(best of {arguments.rounds} runs each)")
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
