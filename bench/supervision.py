"""`make run`'s processes killed outright: how long until each serves again (issue 61, item 3).

    .venv/bin/python bench/supervision.py [--kills 5] [--record]

Starts `manage.py runsite --no-demo` as `make run` does (its own embedded Postgres and Redis in a
temporary data directory, web's text model loaded as it starts), then kills web, the worker and
beat with SIGKILL, `--kills` times each, one at a time, and times each from the kill until it serves
again: web answers `GET /healthz/live` with 200, the worker answers a Celery ping, beat prints
"beat: Starting...". Each figure is split into supervisord's share (kill to "spawned", its restart)
and the program's own start (spawned to serving); for web, also the time until its readiness passes
(the text model loaded). The baseline, from the same run: each program's
first start, from supervisord's "spawned" to serving, while the other two started beside it.
Goal (issue 61): back within 5 s, median and max, for each of the three. The embedded servers' pids
are checked unchanged at the end, and Ctrl-C (SIGINT to the process group) must leave no process.
Every process started here is stopped by PID at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests
from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.results import Row, add_record_option, record
from sage.services import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
GOAL_SECONDS = 5.0
START_TIMEOUT = 600.0  # a first start migrates a new database: minutes on a busy machine
BACK_TIMEOUT = 180.0
PROGRAMS = ("web", "worker", "beat")
_SPAWNED = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO spawned: '(\w+)' with pid (\d+)")


@dataclass
class Run:
    process: subprocess.Popen[str]
    port: int
    data_dir: Path
    lines: list[tuple[float, str]]  # (monotonic time it was read, line)
    redis_url: str = ""  # the worker's broker, read from its environment once it runs

    def pid(self, name: str) -> int:
        config = self.data_dir / "supervisord.conf"
        answer = subprocess.run(
            [str(VENV_BIN / "supervisorctl"), "-c", str(config), "pid", f"sage:{name}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return int(answer.stdout.strip()) if answer.stdout.strip().isdigit() else 0

    def spawned(self, name: str, since_line: int = 0) -> tuple[float, int] | None:
        """When this process read supervisord's last "spawned" line for `name` after `since_line`, and
        the pid it names (the line is read within a few ms of being written)."""
        found = None
        for read_at, line in self.lines[since_line:]:
            match = _SPAWNED.search(line)
            if match and match[2] == name:
                found = (read_at, int(match[3]))
        return found

    def ready(self) -> bool:
        """Whether web says it is ready (`/healthz/ready`: its database, Redis and text model)."""
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/healthz/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def serves(self, name: str, since_line: int) -> bool:
        if name == "web":
            with contextlib.suppress(requests.RequestException):
                return requests.get(f"http://127.0.0.1:{self.port}/healthz/live", timeout=2).status_code == 200
            return False
        if name == "worker":
            if not self.redis_url:
                worker = self.pid("worker")
                if not worker:
                    return False
                self.redis_url = psutil.Process(worker).environ()["REDIS_URL"]
            client = Celery("bench", broker=self.redis_url, set_as_current=False)
            try:
                return bool(client.control.ping(timeout=0.5))
            finally:
                client.close()
        return any("beat   |" in line and "beat: Starting..." in line for _, line in self.lines[since_line:])


def wait_for(check: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
            if check():
                return True
        time.sleep(0.05)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=5)
    add_record_option(parser)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sage-supervision-") as directory:
        data_dir = Path(directory)
        port = free_port()
        env = {
            **os.environ,
            "DEBUG": "true",
            "SAGE_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
            # The model exported once for this checkout (make run's): a new export would cost a minute.
            "TEXT_MODEL_CACHE_DIR": os.environ.get("TEXT_MODEL_CACHE_DIR", str(BASE_DIR / ".sage" / "models")),
        }
        for name in ("DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runsite", "--port", str(port), "--no-demo"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        run = Run(process, port, data_dir, [])
        threading.Thread(target=read_lines, args=(run,), daemon=True).start()
        try:
            measure(run, args)
        finally:
            if process.poll() is None:
                for child in psutil.Process(process.pid).children(recursive=True):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        child.kill()
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
            embedded.stop_servers(data_dir)


def measure(run: Run, args: argparse.Namespace) -> None:
    load_before = os.getloadavg()
    started = time.monotonic()
    if not wait_for(lambda: all(run.serves(name, 0) for name in PROGRAMS), START_TIMEOUT):
        sys.exit("runsite did not start:\n" + "".join(line for _, line in run.lines[-40:]))
    first_start: dict[str, float] = {}
    for name in PROGRAMS:
        spawned = run.spawned(name)
        first_start[name] = first_serving(run, name) - (spawned[0] if spawned else started)
    servers = embedded.status(run.data_dir)
    print("first start (baseline, all three at once): " + ", ".join(f"{n} {s:.2f} s" for n, s in first_start.items()))

    backs: dict[str, list[float]] = {name: [] for name in PROGRAMS}
    restarts: dict[str, list[float]] = {name: [] for name in PROGRAMS}
    web_ready: list[float] = []  # from the kill until web's readiness passes (its text model loaded)
    for round_number in range(args.kills):
        for name in PROGRAMS:
            killed_at = time.monotonic()
            back, restart = kill_and_time(run, name)
            backs[name].append(back)
            restarts[name].append(restart)
            also = ""
            if name == "web":
                if not wait_for(run.ready, BACK_TIMEOUT):
                    sys.exit(f"web was not ready within {BACK_TIMEOUT:.0f} s")
                web_ready.append(time.monotonic() - killed_at)
                also = f", ready (text model in) in {web_ready[-1]:.2f} s"
            print(f"round {round_number + 1} {name}: back in {back:.2f} s (restarted after {restart:.2f} s){also}")
            time.sleep(1.0)  # let the replaced process settle before the next kill

    same_servers = embedded.status(run.data_dir)
    servers_kept = (same_servers["postgres_pid"], same_servers["redis_pid"]) == (
        servers["postgres_pid"],
        servers["redis_pid"],
    )
    everything = [psutil.Process(run.process.pid), *psutil.Process(run.process.pid).children(recursive=True)]
    embedded_pids = [pid for pid in (servers["postgres_pid"], servers["redis_pid"]) if isinstance(pid, int)]
    everything += [psutil.Process(pid) for pid in embedded_pids]
    os.killpg(run.process.pid, signal.SIGINT)
    stopped_at = time.monotonic()
    _gone, alive = psutil.wait_procs(everything, timeout=120)
    stop_seconds = time.monotonic() - stopped_at
    load_after = os.getloadavg()

    rows: list[Row] = []
    for name in PROGRAMS:
        median, worst = statistics.median(backs[name]), max(backs[name])
        restart = statistics.median(restarts[name])
        met = worst <= GOAL_SECONDS
        figure = (
            f"median {median:.2f} s, max {worst:.2f} s over {len(backs[name])} kills"
            f" (supervisord's restart {restart:.2f} s of it; first start {first_start[name]:.2f} s,"
            f" {median / first_start[name]:.2f}×)"
        )
        print(f"{name}: {figure}: {'met' if met else 'NOT met'}")
        rows.append(Row(goal=f"killed {name} serves again ≤ {GOAL_SECONDS:.0f} s", figure=figure, met=met))
    ready_figure = (
        f"median {statistics.median(web_ready):.2f} s, max {max(web_ready):.2f} s from the kill until"
        " /healthz/ready passes (the text model loaded in its child; questions asked before it wait for it)"
    )
    print(f"web ready: {ready_figure}")
    rows.append(Row(goal="killed web ready for questions (no goal: figure only)", figure=ready_figure, met=True))
    kept = servers_kept and not alive
    summary = (
        f"servers' pids {'unchanged' if servers_kept else 'CHANGED'}; Ctrl-C left {len(alive)} processes"
        f" ({stop_seconds:.1f} s); load {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    print(summary)
    rows.append(Row(goal="embedded servers kept through the kills; Ctrl-C leaves nothing", figure=summary, met=kept))
    if args.record:
        record(bench="supervision", rows=rows, path=args.record)
    if not all(row.met for row in rows):
        sys.exit(1)


def kill_and_time(run: Run, name: str) -> tuple[float, float]:
    """Kill `name` outright; seconds until it serves again, and until supervisord spawned it again."""
    old = run.pid(name)
    since = len(run.lines)
    killed_at = time.monotonic()
    os.kill(old, signal.SIGKILL)

    def respawned_and_serving() -> bool:
        spawned = run.spawned(name, since)
        return spawned is not None and spawned[1] != old and run.serves(name, since)

    if not wait_for(respawned_and_serving, BACK_TIMEOUT):
        sys.exit(f"{name} did not serve again within {BACK_TIMEOUT:.0f} s")
    back_at = time.monotonic()
    spawned = run.spawned(name, since)
    assert spawned is not None
    return back_at - killed_at, spawned[0] - killed_at


def first_serving(run: Run, name: str) -> float:
    """When `name` was first seen serving: web's and the worker's by their own lines (they were
    polled together, so the poll's time is no measure), beat's by its "Starting" line."""
    patterns = {"web": "Listening on TCP address", "worker": "celery@", "beat": "beat: Starting..."}
    marker = patterns[name]
    prefix = f"{name:<6} |"
    for read_at, line in run.lines:
        if prefix in line and marker in line and (name != "worker" or "ready." in line):
            return read_at
    return time.monotonic()


def read_lines(run: Run) -> None:
    assert run.process.stdout is not None
    for line in run.process.stdout:
        run.lines.append((time.monotonic(), line))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
