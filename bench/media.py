"""A crowd watching one large video served by one daphne (issue 61: serving costs the same for one
viewer or 500).

    .venv/bin/python bench/media.py [--viewers 200] [--seconds 60] [--size-gb 2] [--folder DIR]
                                    [--baseline-viewers 8] [--record]

Makes (once, kept in `--folder`, default `.sage/bench/media`, git-ignored) a sparse marked file of
`--size-gb` GB (devtools/marked_file.py: every byte range can be checked without a copy), fills a
throwaway database (and Redis database 9) with an owner and a ready video whose file it is, and
serves the real app with one daphne as production does (DEBUG off, the Procfile's backlog) and a
Celery worker (`/healthz` asks for one). Then:

- warm (5 s): nothing but the probe (its p95 there is the baseline);
- crowd (`--seconds`): `--viewers` viewers, arriving over its first 10 s, then all at once, in a
  process of their own. Half are slow: each
  asks for the file from a random position and reads it at 200–400 KB/s, now and then taking
  nothing for 2–10 s (a browser whose buffer is full). The others play and seek as a browser does:
  an open-ended range at a random position, a few MB read at full speed, a pause of 1–3 s with the
  connection open, a little more, then a seek (a new connection elsewhere) or more of the same;
- after (5 s): the probe again.

A probe signed in as the owner asks `/healthz` and the library page `/videos/` every 0.2 s from this
process throughout. The web process's RSS is read every 0.5 s; its growth is the highest reading
during the crowd and after it, less the last one before it. Every byte a viewer receives is compared
with the file's; each answer's status and Content-Range are checked.

Baseline in the same run, then: the same site restarted with `HTTP_RESPONSE_BACKPRESSURE=false` (the
server before issue 61) and `--baseline-viewers` viewers that ask for 64 MB each and stall: its RSS
growth, bounded by what they ask for (a crowd reading the whole file would take the machine's
memory), against the same viewers on the paced server.

Goals (printed met/missed, `--record`ed): web RSS growth ≤ 64 MB; probe p95 ≤ 300 ms during the
crowd; every range's bytes correct; no 5xx. Exits 1 when one is missed. Every process started here is
stopped by PID at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import h11
import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.django_env import setup_django
from bench.results import Row, add_record_option, record  # found through the path above
from devtools.marked_file import expected, make_marked_file

BENCH_REDIS_DB = 9
KEY = "videos/bench/master.mp4"
DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / ".sage" / "bench" / "media"
PROBE_ROUTES = ("/healthz", "/videos/")
PROBE_EVERY_S = 0.2
PROBE_TIMEOUT_S = 10.0
RSS_EVERY_S = 0.5
WARM_S = 5.0
AFTER_S = 5.0
GOAL_GROWTH_MB = 64.0
GOAL_PROBE_P95_MS = 300.0
READ_BYTES = 64 * 1024
# Viewers arrive over this many seconds, as people open a review link, not in one millisecond (a
# crowd that does is answered 503 busy past the database pool's queue, sage/availability.py).
RAMP_S = 10.0
BASELINE_RANGE = 64 * 2**20
BASELINE_STALL_S = 6.0
# No question is asked here: the web process need not load the text model at start.
WEB_ENV = {
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "DB_CONN_MAX_AGE": "60",
    "TEXT_EMBEDDING_WARM_AT_START": "false",
}
START_TIMEOUT_S = 120.0  # a loaded machine starts daphne slowly


def marked_file(folder: Path, size: int) -> Path:
    """The bench's file, made unless one of that size is there already."""
    path = folder / KEY
    if not path.exists() or path.stat().st_size != size:
        started = time.perf_counter()
        make_marked_file(path, size)
        print(f"made {path} ({size / 1e9:.1f} GB, sparse) in {time.perf_counter() - started:.1f} s")
    return path


def fill() -> tuple[str, str]:
    """An owner and a ready video whose file is the bench's: the file's URL path and a session cookie."""
    from django.test import Client

    from accounts.models import User
    from videos.models import Video
    from workspaces.selectors import personal_workspace_of

    owner = User.objects.create_user(email="bench-media-owner@example.com", display_name="Director")
    video = Video.objects.create(
        owner=owner,
        workspace=personal_workspace_of(owner),
        title="Master",
        status=Video.Status.READY,
        duration=3600.0,
        fps=25.0,
        storage_key=KEY,
    )
    browser = Client()
    browser.force_login(owner)
    return f"/videos/{video.pk}/file", browser.cookies["sessionid"].value


# --- the viewers (a process of their own, so that their work does not delay the probe) -----------


@dataclass
class Tally:
    """What the viewers saw."""

    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    bytes_checked: int = 0
    wrong_bytes: int = 0  # chunks that differed from the file
    wrong_heads: int = 0  # a status or Content-Range not the one asked for
    failures: Counter[str] = field(default_factory=Counter)  # connections that failed, by error


class Stream:
    """One HTTP/1.1 exchange on its own connection, read at the caller's pace; h11 parses it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, start: int) -> None:
        self.reader, self.writer = reader, writer
        self.protocol = h11.Connection(h11.CLIENT)
        self.position = start
        self.ended = False

    @classmethod
    async def open(cls, base: str, path: str, cookie: str, start: int, end: int | None, tally: Tally) -> Stream:
        parts = urlsplit(base)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=READ_BYTES)
        stream = cls(reader, writer, start)
        headers = [
            ("Host", f"{parts.hostname}:{parts.port}"),
            ("Cookie", f"sessionid={cookie}"),
            ("Range", f"bytes={start}-{'' if end is None else end}"),
        ]
        writer.write(stream.protocol.send(h11.Request(method="GET", target=path, headers=headers)))
        writer.write(stream.protocol.send(h11.EndOfMessage()))
        tally.requests += 1
        while True:
            event = await stream._next_event()
            if isinstance(event, h11.Response):
                tally.statuses[str(event.status_code)] += 1
                found = dict(event.headers).get(b"content-range", b"").decode()
                if event.status_code != 206 or not found.startswith(f"bytes {start}-"):
                    tally.wrong_heads += 1
                    stream.ended = True
                return stream

    async def _next_event(self) -> object:
        while True:
            event = self.protocol.next_event()
            if event is not h11.NEED_DATA:
                return event  # an h11 event (a client never sees PAUSED: it sends one request)
            data = await self.reader.read(READ_BYTES)
            self.protocol.receive_data(data)  # b"" is the end of the connection, which h11 reports

    async def read(self, limit: int, tally: Tally) -> int:
        """Up to `limit` bytes of the body, each checked against the file; how many came."""
        got = 0
        while got < limit and not self.ended:
            event = await self._next_event()
            if isinstance(event, h11.Data):
                data = bytes(event.data)
                if data != expected(self.position, len(data)):
                    tally.wrong_bytes += 1
                self.position += len(data)
                tally.bytes_checked += len(data)
                got += len(data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                self.ended = True
        return got

    def close(self) -> None:
        self.writer.close()  # the server sees the connection go mid-body, as when a player seeks


async def slow_viewer(number: int, base: str, path: str, cookie: str, size: int, until: float, tally: Tally) -> None:
    rng = random.Random(number)  # noqa: S311 - positions and pauses, not secrets; seeded so runs compare
    rate = rng.uniform(200e3, 400e3)  # bytes a second
    await asyncio.sleep(rng.uniform(0, RAMP_S))
    while time.monotonic() < until:
        try:
            stream = await Stream.open(base, path, cookie, rng.randrange(size - 2**20), None, tally)
            while time.monotonic() < until and not stream.ended:
                if rng.random() < 0.02:  # a full buffer: nothing taken for a while
                    await asyncio.sleep(rng.uniform(2, 10))
                started = time.monotonic()
                got = await stream.read(READ_BYTES, tally)
                await asyncio.sleep(max(0.0, got / rate - (time.monotonic() - started)))
            stream.close()
        except (OSError, h11.ProtocolError) as error:
            tally.failures[type(error).__name__] += 1
            await asyncio.sleep(1)


async def player(number: int, base: str, path: str, cookie: str, size: int, until: float, tally: Tally) -> None:
    rng = random.Random(number)  # noqa: S311 - positions and pauses, not secrets; seeded so runs compare
    await asyncio.sleep(rng.uniform(0, RAMP_S))
    while time.monotonic() < until:
        try:
            stream = await Stream.open(base, path, cookie, rng.randrange(size - 2**20), None, tally)
            while time.monotonic() < until and not stream.ended:
                await stream.read(rng.randint(2, 8) * 2**20, tally)  # read ahead at full speed
                await asyncio.sleep(rng.uniform(1, 3))  # the buffer is full: the connection waits
                if rng.random() < 0.4:
                    break  # a seek: this connection is dropped and another opened elsewhere
            stream.close()
        except (OSError, h11.ProtocolError) as error:
            tally.failures[type(error).__name__] += 1
            await asyncio.sleep(1)


async def crowd(base: str, path: str, cookie: str, size: int, viewers: int, seconds: float) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    slow = viewers // 2
    await asyncio.gather(
        *(slow_viewer(number, base, path, cookie, size, until, tally) for number in range(slow)),
        *(player(number, base, path, cookie, size, until, tally) for number in range(slow, viewers)),
    )
    return tally


def crowd_process(
    base: str, path: str, cookie: str, size: int, viewers: int, seconds: float, results: multiprocessing.Queue[Tally]
) -> None:
    results.put(asyncio.run(crowd(base, path, cookie, size, viewers, seconds)))


async def stalling(base: str, path: str, cookie: str, viewers: int, seconds: float) -> Tally:
    """`viewers` viewers that each ask for BASELINE_RANGE bytes and read none of the body."""
    tally = Tally()
    streams = [
        await Stream.open(base, path, cookie, n * BASELINE_RANGE, (n + 1) * BASELINE_RANGE - 1, tally)
        for n in range(viewers)
    ]
    await asyncio.sleep(seconds)
    for stream in streams:
        stream.close()
    return tally


# --- the probe and the memory --------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    phase: str
    route: str
    status: str
    ms: float


class Watch:
    """The probe's answers and the web process's RSS, by phase."""

    def __init__(self, base: str, cookie: str, web_pid: int) -> None:
        self.base, self.cookie = base, cookie
        self.web = psutil.Process(web_pid)
        self.phase = "warm"
        self.probes: list[Probe] = []
        self.rss: list[tuple[str, int]] = []

    async def probe(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(
            base_url=self.base, timeout=PROBE_TIMEOUT_S, cookies={"sessionid": self.cookie}
        ) as client:
            while not stop.is_set():
                for route in PROBE_ROUTES:
                    phase, started = self.phase, time.monotonic()
                    try:
                        status = str((await client.get(route)).status_code)
                    except httpx.HTTPError as error:
                        status = f"unanswered: {type(error).__name__}"
                    self.probes.append(Probe(phase, route, status, (time.monotonic() - started) * 1000))
                await asyncio.sleep(PROBE_EVERY_S)

    async def memory(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.rss.append((self.phase, self.web.memory_info().rss))
            await asyncio.sleep(RSS_EVERY_S)

    def growth_mb(self) -> float:
        before = [rss for phase, rss in self.rss if phase == "warm"]
        during = [rss for phase, rss in self.rss if phase != "warm"]
        return (max(during) - before[-1]) / 2**20

    def phase_ms(self, phase: str) -> tuple[float, float, int]:
        times = np.array([probe.ms for probe in self.probes if probe.phase == phase] or [float("nan")])
        return float(np.percentile(times, 50)), float(np.percentile(times, 95)), len(times)


async def watched_crowd(
    base: str, path: str, cookie: str, web_pid: int, size: int, viewers: int, seconds: float
) -> tuple[Watch, Tally]:
    watch = Watch(base, cookie, web_pid)
    stop = asyncio.Event()
    background = [asyncio.ensure_future(watch.probe(stop)), asyncio.ensure_future(watch.memory(stop))]
    await asyncio.sleep(WARM_S)
    watch.phase = "crowd"
    # Spawned, not forked: a fresh interpreter without Django's threads and connections.
    spawning = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[Tally] = spawning.Queue()
    viewing = spawning.Process(target=crowd_process, args=(base, path, cookie, size, viewers, seconds, results))
    viewing.start()
    tally = await asyncio.to_thread(results.get)
    await asyncio.to_thread(viewing.join)
    watch.phase = "after"
    await asyncio.sleep(AFTER_S)
    stop.set()
    await asyncio.gather(*background)
    return watch, tally


async def stalled_growth(base: str, path: str, cookie: str, web_pid: int, viewers: int) -> float:
    """The web process's RSS growth while `viewers` stall on 64 MB each."""
    watch = Watch(base, cookie, web_pid)
    stop = asyncio.Event()
    sampling = asyncio.ensure_future(watch.memory(stop))
    await asyncio.sleep(2 * RSS_EVERY_S)
    watch.phase = "stalled"
    await stalling(base, path, cookie, viewers, BASELINE_STALL_S)
    watch.phase = "after"
    await asyncio.sleep(2 * RSS_EVERY_S)
    stop.set()
    await sampling
    return watch.growth_mb()


def load() -> str:
    """The machine's load averages (1, 5, 15 min): the machine is shared and the figures depend on it."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f} on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=200, help="viewers at once, half of them slow")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the crowd watches")
    parser.add_argument("--size-gb", type=float, default=2.0, help="the video file's size (sparse)")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="where the file is made and kept")
    parser.add_argument("--baseline-viewers", type=int, default=8, help="stalled viewers of the unpaced server")
    add_record_option(parser)
    arguments = parser.parse_args()
    size = int(arguments.size_gb * 1e9)
    assert arguments.baseline_viewers * BASELINE_RANGE <= size, "the baseline's ranges must fit in the file"

    setup_django("media", redis_db=BENCH_REDIS_DB)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    from django.db import connection

    from bench.databases import throwaway_database
    from bench.session import report_server_errors
    from devtools.processes import BASE_DIR, VENV_BIN, celery_worker, daphne_process, server_env

    marked_file(arguments.folder, size)
    env = {**WEB_ENV, "MEDIA_ROOT": str(arguments.folder)}
    with throwaway_database(announce=True):
        # DEBUG off serves pages with hashed static names from a manifest, as a deployment does after
        # collectstatic (the development settings keep no manifest: it is written with DEBUG off).
        subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env=server_env(**env),
            check=True,
        )
        path, cookie = fill()
        connection.close()  # the bench holds no connection while it measures
        with tempfile.TemporaryFile() as server_log, celery_worker(stderr=server_log):
            try:
                with daphne_process(
                    env, stdout=subprocess.DEVNULL, stderr=server_log, start_timeout=START_TIMEOUT_S
                ) as (
                    base,
                    web,
                ):
                    print(f"web process {web.pid} at {base}; {load()}", flush=True)
                    watch, tally = asyncio.run(
                        watched_crowd(base, path, cookie, web.pid, size, arguments.viewers, arguments.seconds)
                    )
                    paced = asyncio.run(stalled_growth(base, path, cookie, web.pid, arguments.baseline_viewers))
                unpaced_env = {**env, "HTTP_RESPONSE_BACKPRESSURE": "false"}
                with daphne_process(
                    unpaced_env, stdout=subprocess.DEVNULL, stderr=server_log, start_timeout=START_TIMEOUT_S
                ) as (
                    base,
                    web,
                ):
                    unpaced = asyncio.run(stalled_growth(base, path, cookie, web.pid, arguments.baseline_viewers))
            finally:
                server_log.seek(0)
                report_server_errors(server_log.read().decode(errors="replace"))

    growth = watch.growth_mb()
    warm, during, after = (watch.phase_ms(phase) for phase in ("warm", "crowd", "after"))
    probe_statuses = Counter(probe.status for probe in watch.probes)
    server_errors = sum(n for status, n in (tally.statuses + probe_statuses).items() if status.startswith("5"))
    unanswered = sum(n for status, n in probe_statuses.items() if status.startswith("unanswered"))
    print(
        f"viewers: {tally.requests} requests ({dict(tally.statuses)}), {tally.bytes_checked / 1e9:.2f} GB checked, "
        f"{tally.wrong_bytes} wrong chunks, {tally.wrong_heads} wrong heads, failures {dict(tally.failures)}"
    )
    for name, (p50, p95, count) in (("warm", warm), ("crowd", during), ("after", after)):
        print(f"probe {name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms ({count} probes)")
    print(f"probe answers: {dict(probe_statuses)}")
    print(f"\n{arguments.viewers} viewers for {arguments.seconds:.0f} s of a {size / 1e9:.1f} GB file; {load()}")
    rows = [
        Row(
            f"web RSS growth ≤ {GOAL_GROWTH_MB:.0f} MB, {arguments.viewers} viewers (half slow)",
            f"{growth:.1f} MB; {arguments.baseline_viewers} viewers stalled on 64 MB each: {paced:.1f} MB paced, "
            f"{unpaced:.1f} MB without back-pressure",
            growth <= GOAL_GROWTH_MB,
        ),
        Row(
            f"probe p95 ≤ {GOAL_PROBE_P95_MS:.0f} ms during the crowd",
            f"p95 {during[1]:.0f} ms, p50 {during[0]:.0f} ms ({during[2]} probes); no viewers: p95 {warm[1]:.0f} ms",
            during[1] <= GOAL_PROBE_P95_MS,
        ),
        Row(
            "every range's bytes correct",
            f"{tally.bytes_checked / 1e9:.2f} GB in {tally.requests} ranges checked: {tally.wrong_bytes} wrong "
            f"chunks, {tally.wrong_heads} wrong statuses or Content-Range, {sum(tally.failures.values())} "
            "connections failed",
            tally.wrong_bytes == 0 and tally.wrong_heads == 0 and not tally.failures and tally.bytes_checked > 0,
        ),
        Row(
            "no 5xx, no probe unanswered",
            f"{server_errors} × 5xx, {unanswered} unanswered",
            not server_errors + unanswered,
        ),
    ]
    for row in rows:
        print(f"{row.goal}: {row.figure} — {'met' if row.met else 'NOT MET'}")
    if arguments.record:
        rows.append(Row("machine load (no goal)", load(), None))
        record(bench="media", path=arguments.record, rows=rows)
    return 0 if all(row.met for row in rows if row.met is not None) else 1


if __name__ == "__main__":
    sys.exit(main())
