"""A large upload through the local-storage path: throughput, and the web process's peak memory growth.

    .venv/bin/python bench/upload.py [--size 2GiB] [--record]

Starts daphne serving the real app (as the Procfile's `web` does) on a throwaway database — created
on the embedded Postgres (or `DATABASE_URL`'s server) with the migrations applied, dropped at the
end — and a temporary MEDIA_ROOT. Makes a user on the smallest plan that accepts the file, and an
API token; then sends the file through the upload protocol over HTTP with httpx, as a script or a
browser extension does: create → PUT every part → complete. The bytes are made part by part, never
held whole. The server's RSS is sampled every 5 ms from before the first request to the end of
`complete` (which joins the parts into the video's file); a small upload sent first warms the
server up, so modules loaded on first use do not count as growth.

Baseline, in the same run: writing the same bytes, made the same way, straight to a file in the same
directory (no HTTP, no Django). Both start after `sync`, so neither pays for the other's writes.

Goal (issue 4): the web process grows by ≤ 64 MiB while receiving the upload.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.results import Row, add_record_option, record  # found through the path above

MIB = 2**20
GOAL_GROWTH_MIB = 64
# Redis database for the bench's server (tests use 1, `make run` 0): the video queued by `complete`
# must never reach a development worker, which would look it up in another database.
BENCH_REDIS_DB = 15
POOL_EXTRA = 16 * MIB
SIZE_UNITS = {"": 1, "B": 1, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "KB": 10**3, "MB": 10**6, "GB": 10**9}


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).upper() not in SIZE_UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 2GiB, 500MiB, 1000000)")
    size = int(float(match.group(1)) * SIZE_UNITS[match.group(2).upper()])
    if size <= 0:
        raise argparse.ArgumentTypeError("the size must be positive")
    return size


class PartMaker:
    """Each part's bytes, made on demand: a slice, at an offset of its own, of a fixed pool of random
    bytes (nothing on the way can compress them; generating them afresh would cost more than
    sending them). Deterministic, so the baseline writes exactly the bytes that were uploaded."""

    def __init__(self, part_size: int) -> None:
        self.pool = np.random.default_rng(0).bytes(part_size + POOL_EXTRA)

    def part(self, number: int, size: int) -> bytes:
        offset = (number * 4_099_997) % POOL_EXTRA  # a prime stride: neighbouring parts differ
        return self.pool[offset : offset + size]


def parts_of(total: int, part_size: int) -> Iterator[tuple[int, int]]:
    """(number, size) of each part: every part is `part_size` bytes except the last."""
    for number, start in enumerate(range(0, total, part_size), start=1):
        yield number, min(part_size, total - start)


def with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def configure_django(media_root: Path) -> None:
    """Settings for a bench run; called before Django reads them."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ["MEDIA_ROOT"] = str(media_root)
    # The name Django's test-database machinery gives the throwaway database.
    os.environ["TEST_DATABASE_NAME"] = f"bench_upload_{os.getpid()}"
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = with_redis_db(os.environ["REDIS_URL"], BENCH_REDIS_DB)
    else:
        os.environ["EMBEDDED_REDIS_DB"] = str(BENCH_REDIS_DB)
    import django

    django.setup()


class RssSampler(threading.Thread):
    """The peak resident memory of one process, read every `interval` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.interval = interval
        self.start_rss = self.peak_rss = self.process.memory_info().rss
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
            self.samples += 1

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)

    @property
    def growth_mib(self) -> float:
        return (self.peak_rss - self.start_rss) / MIB


@dataclass
class UploadTimes:
    parts: float  # seconds to create the upload and send every part
    complete: float  # seconds `complete` took
    server_cpu: float  # CPU seconds (user + system) the web process spent on all of it
    client_cpu: float
    video_id: int

    @property
    def total(self) -> float:
        return self.parts + self.complete


@contextmanager
def web_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """daphne on the bench database, as the Procfile starts it; yields its URL and process."""
    from devtools.processes import daphne_process

    with daphne_process(
        # The bench measures throughput, not the API's rate limit (one request per part).
        {"API_RATE_LIMIT": "1000000/min", "DB_CONN_MAX_AGE": "60"},
        stdout=subprocess.DEVNULL,  # its access log: a line per part
    ) as served:
        yield served


def bench_user_token(size: int) -> str:
    """A user on the smallest plan that accepts `size` bytes (twice over: the warm-up upload too),
    and the secret of an API token allowed to upload."""
    from accounts.models import ApiToken, User
    from accounts.services import api_token_create
    from billing.models import Plan, Wallet
    from billing.wallets import wallet_change_plan

    plan = (
        Plan.objects.filter(max_upload_bytes__gte=size, storage_quota_bytes__gte=2 * size)
        .order_by("max_upload_bytes")
        .first()
    )
    if plan is None:
        raise SystemExit(f"No plan accepts an upload of {size} bytes.")
    user = User.objects.create_user(email="bench-upload@example.com")
    wallet_change_plan(wallet=Wallet.objects.get(user=user), plan=plan)
    _, secret = api_token_create(user=user, name="upload bench", scopes=[ApiToken.Scope.VIDEOS_WRITE])
    return secret


def upload(client: httpx.Client, parts: PartMaker, *, size: int, filename: str) -> tuple[dict[str, Any], float]:
    """Create an upload and send every part; returns the upload and the seconds it took."""
    started = time.perf_counter()
    created: dict[str, Any] = client.post("/api/v1/uploads", json={"filename": filename, "size": size}).json()
    if "id" not in created:
        raise SystemExit(f"the server refused the upload: {created}")
    for number, part_size in parts_of(size, created["part_size"]):
        response = client.put(
            f"/api/v1/uploads/{created['id']}/parts/{number}",
            content=parts.part(number, part_size),
            headers={"Content-Type": "application/octet-stream"},
        )
        response.raise_for_status()
    return created, time.perf_counter() - started


def run_upload(url: str, secret: str, parts: PartMaker, size: int, *, server_pid: int) -> UploadTimes:
    server = psutil.Process(server_pid)
    server_cpu, client_cpu = sum(server.cpu_times()[:2]), time.process_time()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=600) as client:
        created, parts_seconds = upload(client, parts, size=size, filename="bench.mp4")
        started = time.perf_counter()
        client.post(f"/api/v1/uploads/{created['id']}/complete").raise_for_status()
        complete_seconds = time.perf_counter() - started
    return UploadTimes(
        parts=parts_seconds,
        complete=complete_seconds,
        server_cpu=sum(server.cpu_times()[:2]) - server_cpu,
        client_cpu=time.process_time() - client_cpu,
        video_id=created["video_id"],
    )


def warm_up(url: str, secret: str, parts: PartMaker) -> None:
    """One small upload sent and aborted: the first request of each kind loads code and opens connections."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=60) as client:
        created, _ = upload(client, parts, size=MIB, filename="warm-up.mp4")
        client.delete(f"/api/v1/uploads/{created['id']}").raise_for_status()


def disk_write_seconds(path: Path, parts: PartMaker, size: int, part_size: int) -> float:
    """The baseline: the same bytes, made the same way, written straight to a file."""
    started = time.perf_counter()
    with path.open("wb") as out:
        for number, length in parts_of(size, part_size):
            out.write(parts.part(number, length))
    seconds = time.perf_counter() - started
    path.unlink()
    return seconds


def forget_queued_processing(video_id: int) -> None:
    """`complete` queued the video for processing; no worker serves the bench, so take the task
    back off the queue rather than leave it in Redis."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, decode_responses=True)
    try:
        for queue in ("media", "default"):
            for message in client.lrange(queue, 0, -1):
                assert isinstance(message, str)  # decode_responses
                payload = json.loads(message)
                args = json.loads(base64.b64decode(payload["body"]))[0]
                if payload["headers"].get("task") == "videos.tasks.process_video" and args == [video_id]:
                    client.lrem(queue, 0, message)
    finally:
        client.close()


def mb_per_second(size: int, seconds: float) -> float:
    return size / seconds / 1e6


def report(size: int, part_size: int, times: UploadTimes, disk_seconds: float, sampler: RssSampler) -> bool:
    """Print the figures; True when the goal is met."""
    upload_rate, disk_rate = mb_per_second(size, times.parts), mb_per_second(size, disk_seconds)
    part_count = sum(1 for _ in parts_of(size, part_size))
    print(f"upload: {size / MIB:.0f} MiB in {part_count} parts of {part_size / MIB:.0f} MiB, local storage")
    print(f"parts sent (create + PUTs): {times.parts:.1f} s = {upload_rate:.0f} MB/s")
    print(f"complete (joins the parts): {times.complete:.1f} s")
    print(f"whole upload: {times.total:.1f} s = {mb_per_second(size, times.total):.0f} MB/s")
    print(f"CPU during the upload: web process {times.server_cpu:.1f} s, this client {times.client_cpu:.1f} s")
    print(f"baseline, the same bytes written straight to disk: {disk_seconds:.1f} s = {disk_rate:.0f} MB/s")
    print(f"parts sent / disk write: {upload_rate / disk_rate:.2f}")
    met = sampler.growth_mib <= GOAL_GROWTH_MIB
    print(
        f"web process RSS: {sampler.start_rss / MIB:.0f} MiB before, peak {sampler.peak_rss / MIB:.0f} MiB "
        f"({sampler.samples} samples); growth {sampler.growth_mib:.1f} MiB "
        f"(goal ≤ {GOAL_GROWTH_MIB}): {'met' if met else 'NOT met'}"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=parse_size, default=2 * 2**30, help="bytes to upload (default 2GiB)")
    add_record_option(parser)
    arguments = parser.parse_args()
    size: int = arguments.size

    with tempfile.TemporaryDirectory(prefix="sage-bench-upload-") as directory:
        configure_django(Path(directory) / "media")
        from django.conf import settings
        from django.db import connection
        from django.test.utils import setup_databases, teardown_databases

        logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
        part_size = int(settings.UPLOAD_PART_SIZE)
        parts = PartMaker(part_size)
        started = time.perf_counter()
        databases = setup_databases(verbosity=0, interactive=False)
        try:
            made_in = time.perf_counter() - started
            print(f"database {connection.settings_dict['NAME']} made and migrated in {made_in:.1f} s")
            secret = bench_user_token(size)
            connection.close()  # the server is the database's only user from here on

            os.sync()
            disk_seconds = disk_write_seconds(Path(directory) / "baseline.bin", parts, size, part_size)

            with web_server() as (url, server):
                warm_up(url, secret, parts)
                os.sync()
                time.sleep(0.5)  # let the warm-up's garbage go before the reading starts
                sampler = RssSampler(server.pid)
                sampler.start()
                try:
                    times = run_upload(url, secret, parts, size, server_pid=server.pid)
                finally:
                    sampler.stop()
            forget_queued_processing(times.video_id)
            stored = Path(settings.MEDIA_ROOT) / "videos" / str(times.video_id) / "original.mp4"
            if stored.stat().st_size != size:
                raise SystemExit(f"the stored file has {stored.stat().st_size} bytes, not {size}")
        finally:
            teardown_databases(databases, verbosity=0)

    met = report(size, part_size, times, disk_seconds, sampler)
    if arguments.record:
        record(
            bench="upload",
            path=arguments.record,
            rows=[
                Row(
                    f"{size / 2**30:g} GiB upload: web process RSS growth ≤ {GOAL_GROWTH_MIB} MiB",
                    f"{sampler.growth_mib:.1f} MiB (whole upload {times.total:.1f} s = "
                    f"{mb_per_second(size, times.total):.0f} MB/s; straight to disk {disk_seconds:.1f} s)",
                    met,
                )
            ],
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
