"""The embedded Postgres and Redis: shared by processes, stopped by the last one, recovered after crashes."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
import redis

from devtools.processes import BASE_DIR
from sage.services import embedded

# A process that acquires the servers, prints their URLs, and holds them until its stdin closes.
_USER_SCRIPT = """
import json, sys
from pathlib import Path
from sage.services.embedded import acquire
urls = acquire(Path(sys.argv[1]), postgres=True, redis=True)
print(json.dumps({"database": urls.database_url, "redis": urls.redis_url}), flush=True)
sys.stdin.read()
"""


class ServiceUser:
    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _USER_SCRIPT, str(data_dir)],
            cwd=BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"service user exited with {self.process.wait()}")
        urls = json.loads(line)
        self.database_url: str = urls["database"]
        self.redis_url: str = urls["redis"] + "0"

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_normally(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(30) == 0

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


def database_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.OperationalError:
        return False


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def wait_until_gone(pid: int, timeout: float = 15) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).wait(timeout)


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    # Short path: Unix socket paths are limited to ~100 bytes.
    path = Path(tempfile.mkdtemp(prefix="sage-emb-", dir="/tmp"))
    yield path
    embedded.stop_servers(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _servers_stopped_after(data_dir: Path) -> Iterator[None]:
    yield
    embedded.stop_servers(data_dir)


def test_two_processes_share_one_set_of_servers_and_the_last_one_stops_them(data_dir: Path) -> None:
    first = ServiceUser(data_dir)
    second = ServiceUser(data_dir)
    state = embedded.status(data_dir)

    assert (second.database_url, second.redis_url) == (first.database_url, first.redis_url)
    assert state["users"] == [first.pid, second.pid]
    assert database_answers(first.database_url)
    assert redis_answers(first.redis_url)

    first.exit_normally()
    assert database_answers(second.database_url), "servers must outlive a user while another remains"
    assert redis_answers(second.redis_url)

    second.exit_normally()
    assert embedded.status(data_dir) == {"users": [], "postgres_pid": None, "redis_pid": None}
    assert not database_answers(first.database_url)
    assert not redis_answers(first.redis_url)


def test_a_killed_user_is_forgotten_so_the_next_last_user_still_stops_the_servers(data_dir: Path) -> None:
    victim = ServiceUser(data_dir)
    postgres_pid = embedded.status(data_dir)["postgres_pid"]
    victim.kill()  # no atexit: its pid stays in the users file

    survivor = ServiceUser(data_dir)
    assert embedded.status(data_dir)["users"] == [survivor.pid]
    assert embedded.status(data_dir)["postgres_pid"] == postgres_pid, "joins the running server"
    assert database_answers(survivor.database_url)

    survivor.exit_normally()
    assert embedded.status(data_dir)["postgres_pid"] is None
    assert embedded.status(data_dir)["redis_pid"] is None


def test_servers_killed_in_a_crash_are_restarted_from_their_stale_pid_files(data_dir: Path) -> None:
    crashed = ServiceUser(data_dir)
    state = embedded.status(data_dir)
    old_postgres, old_redis = state["postgres_pid"], state["redis_pid"]
    assert isinstance(old_postgres, int) and isinstance(old_redis, int)
    crashed.kill()
    for pid in (old_postgres, old_redis):
        psutil.Process(pid).send_signal(signal.SIGKILL)
        wait_until_gone(pid)
    # Postgres' own children notice the dead postmaster and exit; wait so its shared memory is free.
    deadline = time.monotonic() + 15
    while any(str(data_dir) in " ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])):
        assert time.monotonic() < deadline, "postgres children did not exit"
        time.sleep(0.2)
    assert (data_dir / "pgdata" / "postmaster.pid").exists(), "the crash leaves a stale pid file"
    assert (data_dir / "redis" / "redis.pid").exists()

    recovered = ServiceUser(data_dir)
    state = embedded.status(data_dir)
    assert state["postgres_pid"] not in (None, old_postgres)
    assert state["redis_pid"] not in (None, old_redis)
    assert database_answers(recovered.database_url)
    assert redis_answers(recovered.redis_url)
    # Redis is back where the processes that were running (`make run`'s) were told it is.
    assert recovered.redis_url == crashed.redis_url
    recovered.exit_normally()


def test_a_process_that_acquires_again_after_the_servers_stopped_gets_running_servers(data_dir: Path) -> None:
    script = """
import json, sys
from pathlib import Path
from sage.services import embedded
data_dir = Path(sys.argv[1])
embedded.acquire(data_dir, postgres=True, redis=True)
embedded.release(data_dir)  # last user: both servers stop
urls = embedded.acquire(data_dir, postgres=True, redis=True)
print(json.dumps({"database": urls.database_url, "redis": urls.redis_url, **embedded.status(data_dir)}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script, str(data_dir)], cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.splitlines()[-1])
    assert state["postgres_pid"] is not None
    assert state["redis_pid"] is not None
