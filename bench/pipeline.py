"""Processing speed: the clip-embedding stage (fingerprints included) against a full decode of the
same file, and a 10-minute spoken video from upload to ready through the real pipeline.

    .venv/bin/python bench/pipeline.py [--seconds 600] [--rounds 2] [--video PATH] [--cache DIR] [--record]
                                       [--only embedding|pipeline|renditions] [--rendition-seconds 12]

The video: 1280×720 30 fps H.264 + AAC, 10 minutes by default (x264 "veryfast", CRF 23, its default
GOP and B-frames — what a screen recorder or a streaming upload looks like). Scenes of 10 s pan
across a textured background with a few moving blocks and film grain; the sound is the spoken
corpus (sage/synthetic_media/speech_corpus.py) read one passage after another by espeak-ng, each in the next
of its conditions (voices, rates, clean or over noise or music), cut at `--seconds`. It is made
twice, the pictures cut into slices two ways (SLICES: two slices a picture, as PyAV's x264 encodes
on two cores, and one, as ffmpeg's command line does), once each into `--cache` (default
.sage/bench/) under a name that hashes the generator's code, the length, the slices and PyAV's
and espeak-ng's versions, and reused after; `--video PATH` uses that file instead.

1. **Embedding stage**, on each file. In alternation, `--rounds` times: PyAV decoding every video
   frame as it comes (`container.decode(video=0)`: slice threads, the codec threads the embedding
   uses), the decode the samples need (`videos.embeddings.local.decode_needed_frames`: the very
   packets the embedding decodes, with its decoder settings, the frames dropped unmeasured, no
   sound),
   `LocalClipEmbedder.embed_clips_and_fingerprint` (what the pipeline's clips step runs: the clip
   vectors and the comparison fingerprint from one pass over the picture, the sound decoded
   beside it), and the full decode with frame threads as well (what the embedding used before).
   The embedding runs with NumPy's BLAS on one thread, as a worker runs it (`sage.blas`), and once
   more with BLAS's own threads, as before that, for the ratio the change made.
   The best run of each counts; CPU time (all threads) is printed beside wall time: other
   processes inflate wall time, CPU time much less.
   Goals, on each file: embedding ≥ 15× real time (issue 13: fingerprints included) and ≤ 1.25×
   the decode the samples need (issue 18). The decoder runs slice threads alone, so on the
   two-slice file the decode keeps both cores busy and the stage's own work must fit between
   (the harder case for that ratio, the faster in seconds); on the one-slice file it has a core.
   Issue 4's "≤ 0.6 of a full decode" is printed, not judged: since
   issue 13 the stage also makes the fingerprint, which needs the picture on screen ten times a
   second, and an H.264 picture cannot be made without every reference frame before it; so
   the pass must decode every reference frame and a third of the others, and that decode alone is
   about 0.6 of a full one in wall time (0.6–0.7 in CPU time on the bench's file). The ratio
   that is left to the stage's own code is what it adds on top of that decode: measuring the
   pictures, scaling them, the sound.

2. **Upload to ready.** A throwaway database (made on the embedded Postgres, or on `DATABASE_URL`'s
   server, migrated, dropped at the end), Redis database 15, a temporary MEDIA_ROOT (local storage)
   and no `GEMINI_API_KEY` or `TWELVELABS_API_KEY`: the real local backends (clips and fingerprint,
   Whisper tiny.en, MiniLM, the extractive summary). A Celery worker is started as the Procfile
   starts it (prefork, two processes). A 20-second spoken video goes through first, so the worker
   has loaded its models as a long-running worker has (its time is printed too). Then the first
   file (two slices a picture) is uploaded through the upload services (create, every part,
   complete), and the clock runs from `complete` returning — the file is stored and the task
   queued — until the video's row says ready. The row is read every 0.1 s: a stage's time runs
   from its first appearance to the next one's, and a stage shorter than that may not be seen
   (with the `local` backend the thumbnails come out of the clips step's decode pass: their own
   stage lasts a moment). Speech is recognised beside the picture steps, so "transcript" is only
   the wait after them. Also printed: the worker's CPU seconds over the run, and the ratio against
   the full decode of part 1.
   Goal (issue 14): ≥ 10× real time on two cores.

3. **Renditions** (bench/renditions.py): the browser-playable rendition of 1080p ProRes and HEVC
   against real time (goal ≥ 2×), and what a file that already plays costs before ready (nothing)
   and after (its 360p copy).

Exits with 1 when a goal is not met.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import io
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit, urlunsplit

import av
import numpy as np
import psutil
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.databases import throwaway_database
from bench.renditions import bench_renditions
from bench.results import Row, add_record_option, record
from sage.synthetic_media import content, speech_corpus
from sage.synthetic_media.speech_corpus import PASSAGES, SPOKEN_CONDITIONS, condition_passage
from videos.embeddings.local import LocalClipEmbedder, decode_needed_frames

if TYPE_CHECKING:
    from accounts.models import User

T = TypeVar("T")

WIDTH, HEIGHT, FPS = 1280, 720, 30
AUDIO_RATE = content.SAMPLE_RATE  # 48 kHz, as the spoken corpus makes it
SCENE_SECONDS = 10
WARM_UP_SECONDS = 20.0
DEFAULT_CACHE = Path(__file__).resolve().parent.parent / ".sage" / "bench"
GOAL_REAL_TIME = 15.0
GOAL_DECODE_RATIO = 0.6  # issue 4's, printed for the record
GOAL_NEEDED_DECODE_RATIO = 1.25
GOAL_READY_REAL_TIME = 10.0
# The stage is measured on the same video cut into slices two ways. The decoder runs slice threads
# only (videos.embeddings.local), so how a picture is sliced decides how much of the second core
# the decode takes, and so how much is left for the stage's own work beside it:
# 2 — PyAV's default on two cores (slice threads, a slice per encoder thread): the decode keeps
#     both cores busy, and the stage's work has to squeeze in between;
# 1 — ffmpeg's command-line default (frame threads, one slice a picture): the decode runs on one
#     core, slower, and the stage's work has the other.
SLICES = (2, 1)
# Redis database for the bench's worker (tests use 1, `make run` 0): its queue is the bench's own.
BENCH_REDIS_DB = 15
POLL_SECONDS = 0.1
READY_TIMEOUT_SECONDS = 1800.0


# --- the video ----------------------------------------------------------------------------------


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


def spoken_sound(seconds: float) -> np.ndarray:
    """The spoken corpus's passages read one after another, each in the next of its conditions
    (voice, rate, background), to `seconds` (the last one cut and faded out): mono at AUDIO_RATE."""
    total = round(seconds * AUDIO_RATE)
    pieces: list[np.ndarray] = []
    count = number = 0
    while count < total:
        condition = SPOKEN_CONDITIONS[number % len(SPOKEN_CONDITIONS)]
        passage = PASSAGES[(number + number // len(PASSAGES)) % len(PASSAGES)]  # a new pairing each round
        samples = condition_passage(condition, passage, seed=number).samples
        pieces.append(samples)
        count += len(samples)
        number += 1
    sound = np.concatenate(pieces)[:total]
    fade = min(total, AUDIO_RATE // 2)
    sound[total - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return sound


def make_video(path: Path, seconds: float, *, slices: int = 2) -> None:
    """Scenes of SCENE_SECONDS: a panning textured background with a few moving blocks and film
    grain; `spoken_sound` as stereo AAC. Each picture in `slices` slices (see SLICES)."""
    frame_count = round(seconds * FPS)
    scene_frames = SCENE_SECONDS * FPS
    pan = 3  # pixels per frame
    grain = np.random.default_rng(99).integers(-3, 4, size=(8, HEIGHT, WIDTH), dtype=np.int16)
    sound = spoken_sound(seconds)
    with av.open(str(path), mode="w") as output:
        video = output.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "23"}
        if slices == 1:
            video.thread_type = "FRAME"  # x264's frame threads, as ffmpeg's command line encodes
        else:
            video.thread_type, video.thread_count = "SLICE", slices  # a slice per encoder thread
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

        chunk = AUDIO_RATE  # one second at a time
        for start in range(0, len(sound), chunk):
            mono = sound[start : start + chunk]
            stereo = np.stack([mono, mono])
            samples = av.AudioFrame.from_ndarray(np.ascontiguousarray(stereo), format="fltp", layout="stereo")
            samples.sample_rate = AUDIO_RATE
            samples.pts = start
            output.mux(audio.encode(samples))
        output.mux(audio.encode(None))


def _espeak_version() -> str:
    return subprocess.run([content.ESPEAK, "--version"], capture_output=True, text=True, check=True).stdout


def video_key(seconds: float, slices: int = 2) -> str:
    """What the made file depends on, hashed: a change to any of it makes a new file."""
    digest = hashlib.sha256(f"{av.__version__}|{_espeak_version()}|{seconds:.3f}|{slices}".encode())
    for function in (_smooth_noise, _scene_planes, spoken_sound, make_video):
        digest.update(inspect.getsource(function).encode())
    for module in (content, speech_corpus):
        digest.update(Path(inspect.getfile(module)).read_bytes())
    return digest.hexdigest()[:20]


def cached_video(cache: Path, seconds: float, slices: int = 2) -> tuple[Path, float | None]:
    """The video of `seconds` (pictures in `slices` slices), made into `cache` unless already
    there; and how long making it took."""
    path = cache / f"pipeline-{seconds:g}s-{slices}slice-{video_key(seconds, slices)}.mp4"
    if path.exists():
        return path, None
    cache.mkdir(parents=True, exist_ok=True)
    # Made under another name, then renamed: a file under the final name is always whole.
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.mp4")
    started = time.perf_counter()
    try:
        make_video(partial, seconds, slices=slices)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path, time.perf_counter() - started


def made_video(cache: Path, seconds: float, slices: int) -> Path:
    """`cached_video`, saying so when the file had to be made."""
    path, made_in = cached_video(cache, seconds, slices)
    if made_in is not None:
        print(
            f"video made: {path.name}, {seconds:.0f} s of {WIDTH}×{HEIGHT} {FPS} fps H.264 + AAC, "
            f"{slices} slice(s) a picture, in {made_in:.1f} s"
        )
    return path


# --- part 1: the embedding stage ----------------------------------------------------------------


def full_decode(path: Path, *, frame_threads: bool = False) -> int:
    """Decode every video frame. By default PyAV as it comes (`container.decode(video=0)`: slice
    threads, the codec threads the embedding uses); `frame_threads=True` turns on frame threads
    as well (AUTO), which the embedding used before issue 18."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if frame_threads:
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

    def best(self) -> float:
        return min(self.wall)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


@dataclass(frozen=True)
class EmbeddingFigures:
    """Part 1's figures on one file (best of the rounds): what `--record` writes."""

    met: bool  # both goals: × real time and the ratio to the decode the samples need
    embedding_seconds: float
    full_decode_seconds: float
    real_time: float
    needed_ratio: float  # the stage / the decode the samples need
    floor: float  # the decode the samples need / a full decode
    full_ratio: float  # the stage / a full decode (issue 4's measure, printed)


def slices_label(slices: int) -> str:
    return {1: "one slice a picture", 2: "two slices a picture"}.get(slices, f"{slices} slices a picture")


def bench_embedding(path: Path, duration: float, rounds: int) -> EmbeddingFigures:
    """Part 1 on `path`: prints its figures and returns them."""
    backend = LocalClipEmbedder()
    default, frame_threaded, needed, embedding = Timings(), Timings(), Timings(), Timings()
    spinning = Timings()  # the stage with BLAS's own threads, as before sage.blas
    frames = needed_frames = clips = 0
    fingerprint = None
    for round_number in range(1, rounds + 1):
        # Alternated, so a burst of load from another process hurts every side alike.
        frames = default.measure(lambda: full_decode(path))
        needed_frames = needed.measure(lambda: decode_needed_frames(path))
        with threadpool_limits(limits=1, user_api="blas"):  # as a worker runs it (sage.blas)
            clip_list, fingerprint = embedding.measure(lambda: backend.embed_clips_and_fingerprint(path))
        clips = len(clip_list)
        frame_threaded.measure(lambda: full_decode(path, frame_threads=True))
        spinning.measure(lambda: backend.embed_clips_and_fingerprint(path))
        print(
            f"round {round_number}: full decode {default.last()}, with frame threads {frame_threaded.last()}, "
            f"the decode the samples need {needed.last()}, embedding + fingerprint {embedding.last()}, "
            f"the same with BLAS's own threads {spinning.last()}"
        )
    assert fingerprint is not None
    sound_frames = 0 if fingerprint.audio is None else len(fingerprint.audio)
    embed_time = embedding.best()
    real_time = duration / embed_time
    for label, timings, count in (
        ("full decode (PyAV defaults: slice threads)", default, frames),
        ("full decode with frame threads", frame_threaded, frames),
        ("the decode the samples need", needed, needed_frames),
    ):
        print(f"{label}: {timings.best():.2f} s (CPU {min(timings.cpu):.2f} s), {count} frames")
    print(
        f"embedding + fingerprint: {embed_time:.2f} s (CPU {min(embedding.cpu):.2f} s) for {clips} clips = "
        f"{clips / embed_time:.1f} clips/s; fingerprint of {len(fingerprint.visual)} picture samples and "
        f"{sound_frames} sound frames"
    )
    met = real_time >= GOAL_REAL_TIME
    print(f"× real time: {real_time:.1f} (goal ≥ {GOAL_REAL_TIME:.0f}): {verdict(met)}")

    def ratios(numerator: Timings, denominator: Timings) -> tuple[float, float]:
        return numerator.best() / denominator.best(), min(numerator.cpu) / min(denominator.cpu)

    # Against the full decode (issue 4's measure), for the record: the decode the fingerprint's
    # pictures need is itself most of a full decode (see the module's docstring), so no pass that
    # shows them can come under 0.6 of one.
    for label, timings in (("full decode", default), ("full decode with frame threads", frame_threaded)):
        wall, cpu = ratios(embedding, timings)
        old_met = verdict(wall <= GOAL_DECODE_RATIO)
        print(f"embedding / {label}: {wall:.2f} (CPU {cpu:.2f}); issue 4's ≤ {GOAL_DECODE_RATIO}: {old_met}")
    floor, cpu = ratios(needed, default)
    print(f"the decode the samples need / full decode: {floor:.2f} (CPU {cpu:.2f}): the floor of that ratio")
    needed_ratio, cpu = ratios(embedding, needed)
    needed_met = needed_ratio <= GOAL_NEEDED_DECODE_RATIO
    print(
        f"embedding / the decode the samples need: {needed_ratio:.2f} (CPU {cpu:.2f}) "
        f"(goal ≤ {GOAL_NEEDED_DECODE_RATIO}): {verdict(needed_met)}"
    )
    wall, cpu = ratios(spinning, needed)
    print(
        f"the same with BLAS's own threads (before sage.blas) / the decode the samples need: {wall:.2f} (CPU {cpu:.2f})"
    )
    print(f"(best of {rounds} runs each)")
    return EmbeddingFigures(
        met=met and needed_met,
        embedding_seconds=embed_time,
        full_decode_seconds=default.best(),
        real_time=real_time,
        needed_ratio=needed_ratio,
        floor=floor,
        full_ratio=embed_time / default.best(),
    )


# --- part 2: upload to ready --------------------------------------------------------------------


def _with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def configure_django(media_root: Path) -> None:
    """Settings for the bench's run (and its worker's, which inherits the environment)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["MEDIA_ROOT"] = str(media_root)
    # The name Django's test-database machinery gives the throwaway database.
    os.environ["TEST_DATABASE_NAME"] = f"bench_pipeline_{os.getpid()}"
    for name in ("GEMINI_API_KEY", "TWELVELABS_API_KEY"):  # the local backends are what is measured
        os.environ.pop(name, None)
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = _with_redis_db(os.environ["REDIS_URL"], BENCH_REDIS_DB)
    else:
        os.environ["EMBEDDED_REDIS_DB"] = str(BENCH_REDIS_DB)
    import django

    from sage.services.startup import start_embedded_services

    start_embedded_services()  # this script is an entry point: the embedded servers when no URLs are set
    django.setup()


def bench_user(size: int, seconds: float) -> User:
    """Someone on the smallest plan that takes the file, with tokens for every video the bench sends."""
    from accounts.models import User
    from billing.ledger import ledger_grant
    from billing.models import Plan, Wallet
    from billing.wallets import wallet_change_plan

    plan = (
        Plan.objects.filter(
            max_upload_bytes__gte=size, storage_quota_bytes__gte=2 * size, max_video_seconds__gte=seconds
        )
        .order_by("max_upload_bytes")
        .first()
    )
    if plan is None:
        raise SystemExit(f"No plan accepts a video of {seconds:.0f} s and {size} bytes.")
    user = User.objects.create_user(email="bench-pipeline@example.com")
    wallet_change_plan(wallet=Wallet.objects.get(user=user), plan=plan)
    ledger_grant(user=user, amount=round(2 * seconds) + 1000, key="bench-pipeline", memo="bench")
    return user


@dataclass
class Processed:
    """One video from `complete` to ready: seconds, and when each stage was first seen."""

    title: str
    duration: float
    complete: float  # seconds `complete` took (joining the parts into the file)
    claimed: float | None = None  # the worker took the task (the row says processing)
    stages: list[tuple[str, float]] = field(default_factory=list)
    total: float = 0.0
    status: str = ""
    error: str = ""
    worker_cpu: float = 0.0

    @property
    def real_time(self) -> float:
        return self.duration / self.total if self.total else 0.0


def upload(user: User, path: Path) -> tuple[int, float]:
    """The file sent through the upload services as the API sends it, part by part; returns the
    video's id and how long `complete` took. The task is queued when `complete` returns."""
    from videos.uploads.services import upload_complete, upload_create, upload_receive_part
    from workspaces.current import personal_membership

    member = personal_membership(user)
    created = upload_create(member=member, filename=path.name, size=path.stat().st_size, title=path.stem)
    with path.open("rb") as source:
        for number in range(1, created.part_count + 1):
            upload_receive_part(upload=created, number=number, stream=io.BytesIO(source.read(created.part_size)))
    started = time.perf_counter()
    video = upload_complete(upload=created)
    return video.pk, time.perf_counter() - started


def worker_cpu_seconds(worker: psutil.Process) -> float:
    """CPU seconds the worker and its pool processes have spent (their finished children too)."""
    total = 0.0
    for process in [worker, *worker.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def process_through_worker(user: User, path: Path, duration: float, worker: psutil.Process) -> Processed:
    from videos.models import Video

    cpu_before = worker_cpu_seconds(worker)
    video_id, complete_seconds = upload(user, path)
    started = time.perf_counter()
    processed = Processed(title=path.name, duration=duration, complete=complete_seconds)
    done = (Video.Status.READY, Video.Status.FAILED, Video.Status.CANCELLED)
    while True:
        row = Video.objects.filter(pk=video_id).values("status", "stage", "error_message").get()
        now = time.perf_counter() - started
        if processed.claimed is None and row["status"] != Video.Status.QUEUED:
            processed.claimed = now
        if row["stage"] and (not processed.stages or processed.stages[-1][0] != row["stage"]):
            processed.stages.append((row["stage"], now))
        if row["status"] in done:
            processed.total, processed.status, processed.error = now, row["status"], row["error_message"]
            break
        if now > READY_TIMEOUT_SECONDS:
            raise SystemExit(f"{path.name} was not ready after {READY_TIMEOUT_SECONDS:.0f} s")
        time.sleep(POLL_SECONDS)
    processed.worker_cpu = worker_cpu_seconds(worker) - cpu_before
    return processed


def print_processed(processed: Processed) -> None:
    print(
        f"{processed.title}: {processed.duration:.1f} s of video, complete (joining the parts) "
        f"{processed.complete:.2f} s, then ready in {processed.total:.2f} s = {processed.real_time:.1f}× real time "
        f"({processed.status}{': ' + processed.error if processed.error else ''})"
    )
    claimed = processed.claimed or 0.0
    print(f"  queued, until the worker took it: {claimed:.2f} s")
    marks = [*processed.stages, ("ready", processed.total)]
    for (stage, at), (_, until) in itertools.pairwise(marks):
        print(f"  {stage:<12} {until - at:7.2f} s  (from {at:6.2f} s)")
    cores = processed.worker_cpu / processed.total if processed.total else 0.0
    print(f"  worker CPU: {processed.worker_cpu:.1f} s = {cores:.2f} cores busy on average")


def bench_upload_to_ready(path: Path, duration: float, warm_up: Path, decode_seconds: float) -> tuple[bool, Processed]:
    """Part 2; whether its goal is met, and the video's figures."""
    with tempfile.TemporaryDirectory(prefix="sage-bench-pipeline-") as directory:
        configure_django(Path(directory) / "media")
        from devtools.processes import celery_worker

        with throwaway_database(announce=True):
            user = bench_user(path.stat().st_size, duration)
            with celery_worker(concurrency=2) as worker_process:
                worker = psutil.Process(worker_process.pid)
                first = process_through_worker(user, warm_up, _duration(warm_up), worker)
                print("first video after the worker started (it loads its models):")
                print_processed(first)
                processed = process_through_worker(user, path, duration, worker)
                print_processed(processed)
    met = processed.status == "ready" and processed.real_time >= GOAL_READY_REAL_TIME
    print(
        f"upload to ready: {processed.real_time:.1f}× real time (goal ≥ {GOAL_READY_REAL_TIME:.0f}): {verdict(met)}; "
        f"{processed.total / decode_seconds:.2f}× the full decode of the same file ({decode_seconds:.2f} s)"
    )
    return met, processed


def _duration(path: Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration or 0) / av.time_base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the made video")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--video", type=Path, help="use this file instead of the made one")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where made videos are kept")
    parser.add_argument("--only", choices=("embedding", "pipeline", "renditions"), help="run one part")
    parser.add_argument("--rendition-seconds", type=float, default=12.0, help="length of part 3's 1080p sources")
    add_record_option(parser)
    arguments = parser.parse_args()
    if arguments.only == "renditions":
        print(f"load before the run: {', '.join(f'{load:.2f}' for load in os.getloadavg())} (1, 5, 15 min)")
        renditions_met, rendition_rows = bench_renditions(arguments.rendition_seconds)
        if arguments.record:
            record(bench="pipeline", rows=rendition_rows, path=arguments.record, partial=True)
        return 0 if renditions_met else 1

    if arguments.video:
        files = {"the given file": arguments.video}
    else:
        files = {slices_label(slices): made_video(arguments.cache, arguments.seconds, slices) for slices in SLICES}
    path = next(iter(files.values()))  # upload to ready: the first
    warm_up = made_video(arguments.cache, WARM_UP_SECONDS, SLICES[0])
    duration = _duration(path)
    for label, each in files.items():
        size = each.stat().st_size
        print(
            f"file, {label}: {each}: {size / 2**20:.1f} MiB, {duration:.1f} s, {size * 8 / duration / 1e6:.2f} Mbit/s"
        )
    print(f"load before the run: {', '.join(f'{load:.2f}' for load in os.getloadavg())} (1, 5, 15 min)")

    met = True
    rows: list[Row] = []
    if arguments.only in (None, "embedding"):
        stages = {}
        for label, each in files.items():
            print(f"\n1. the embedding stage, {label}")
            stages[label] = bench_embedding(each, duration, arguments.rounds)
            met = met and stages[label].met
        decode_seconds = stages[next(iter(files))].full_decode_seconds
        rows = embedding_rows(stages, duration)
    else:
        timings = Timings()  # the baseline alone
        timings.measure(lambda: full_decode(path))
        decode_seconds = timings.best()
    if arguments.only in (None, "pipeline"):
        print("\n2. upload to ready")
        ready_met, processed = bench_upload_to_ready(path, duration, warm_up, decode_seconds)
        met = ready_met and met
        rows.append(
            Row(
                f"a spoken {duration / 60:g}-minute video from upload to ready ≥ {GOAL_READY_REAL_TIME:g}× real time",
                f"{processed.total:.1f} s, {processed.real_time:.1f}×",
                ready_met,
            )
        )
    if arguments.only is None:
        renditions_met, rendition_rows = bench_renditions(arguments.rendition_seconds)
        met = renditions_met and met
        rows.extend(rendition_rows)
    print(f"load after the run: {', '.join(f'{load:.2f}' for load in os.getloadavg())} (1, 5, 15 min)")
    if arguments.record:
        # --only runs one part: the other part's rows stay as they were.
        record(bench="pipeline", rows=rows, path=arguments.record, partial=arguments.only is not None)
    return 0 if met else 1


def embedding_rows(stages: dict[str, EmbeddingFigures], duration: float) -> list[Row]:
    """Part 1's rows of bench/RESULTS.md: the first file's × real time (the others' beside it), the
    ratio to the decode the samples need on each file, and issue 4's ratio to a full decode."""
    (_, first), *others = stages.items()
    minutes = f"{duration / 60:g} min"
    beside = "".join(f" ({label}: {each.embedding_seconds:.2f} s, ~{each.real_time:.0f}×)" for label, each in others)
    rows = [
        Row(
            f"clip embedding ≥ {GOAL_REAL_TIME:g}× real time",
            f"{first.embedding_seconds:.2f} s for {minutes}, ~{first.real_time:.0f}×{beside}",
            all(each.real_time >= GOAL_REAL_TIME for each in stages.values()),
        )
    ]
    for number, (label, each) in enumerate(stages.items()):
        goal = (
            f"stage ≤ {GOAL_NEEDED_DECODE_RATIO:g}× the decode the samples need, {label}"
            if number == 0
            else f"the same, {label}"
        )
        rows.append(
            Row(
                goal, f"{each.needed_ratio:.2f} (floor {each.floor:.2f})", each.needed_ratio <= GOAL_NEEDED_DECODE_RATIO
            )
        )
    rows.append(
        Row(
            f"stage ≤ {GOAL_DECODE_RATIO:g} of a full decode "
            "(printed, not judged: the fingerprint needs every reference frame)",
            f"{first.full_ratio:.2f} ({first.embedding_seconds:.2f} s against {first.full_decode_seconds:.2f} s)",
            None,
        )
    )
    return rows


if __name__ == "__main__":
    sys.exit(main())
