"""The project's processes as development starts them: daphne serving the real ASGI app and a Celery
worker, each with the environment of the process that starts it (its database, Redis and media).

Used by the test suite (tests/servers.py adds the local stubs of outside services) and by the
benches; production never imports it (it starts its processes from the Procfile). Import it once
Django is set up: the servers are pointed at the database this process is connected to right now
(pytest-django's `test_…`, a bench's throwaway one). Every process started here is stopped by PID
when its context ends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.db import connection

from devtools.pace import slowness

BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent


# The Procfile's `web` listens with this backlog: connections a crowd opens at once wait in the
# kernel's queue while daphne accepts them, instead of being reset past daphne's default of 50.
LISTEN_BACKLOG = 1024


def listen_endpoint(port: int) -> str:
    """daphne's endpoint string (a Twisted one) for 127.0.0.1:`port`, as the Procfile's `web` has it."""
    return f"tcp:port={port}:interface=127.0.0.1:backlog={LISTEN_BACKLOG}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    """A URL for the database this process is using right now (after pytest-django or a bench renamed it)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = quote(db["PASSWORD"] or "")
    host = db["HOST"] or ""
    if host.startswith("/"):
        return f"postgresql://{user}:{password}@/{db['NAME']}?host={quote(host)}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgresql://{user}:{password}@{host}{port}/{db['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DEBUG": "true",
        "PYTHONUNBUFFERED": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # A server enqueues tasks as in production (the suite's own default is to run them inline).
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.update(extra)
    return env


# How long a server may take to listen. A start is 2-3 s on an idle machine; on a shared one running
# other suites it passed 30 s, and a session's shared server that failed so failed every test using it.
# A server that exits is reported at once, whatever this is.
START_TIMEOUT = 120.0


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on port {port} within {timeout}s")


def wait_until_ready(url: str, timeout: float = 180.0) -> None:
    """Until the server at `url` says it is ready (`/healthz/ready`), as a load balancer waits before
    sending it traffic: a web process serves before its text model is loaded, and says so there."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} was not ready within {timeout:g} s")
        time.sleep(0.1)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


# Where a server's output goes: inherited (the test's output), a file, or subprocess.DEVNULL.
Output = int | IO[bytes] | None


@contextmanager
def daphne_process(
    env: Mapping[str, str] | None = None,
    *,
    stdout: Output = None,
    stderr: Output = None,
    port: int | None = None,
    wrapper: Sequence[str] = (),
    start_timeout: float = START_TIMEOUT,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """daphne serving the real ASGI app (HTTP + WebSockets), as the Procfile's `web` does, with `env`
    added to the servers' environment; yields its base URL and its process. `port` reuses a port (a
    supervisor restarting a killed process); `wrapper` is a command that execs the rest (the fault
    tests' small filesystem), so the process is still daphne's own."""
    port = port or free_port()
    process = subprocess.Popen(
        [*wrapper, str(VENV_BIN / "daphne"), "-e", listen_endpoint(port), "sage.asgi:application"],
        cwd=BASE_DIR,
        env=server_env(**(env or {})),
        stdout=stdout,
        stderr=stderr,
    )
    try:
        wait_for_port(port, process, timeout=start_timeout)
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop_process(process)


@contextmanager
def daphne_server(**env: str) -> Iterator[str]:
    """Serve the real ASGI app with daphne; yields its base URL."""
    with daphne_process(env) as (url, _process):
        yield url


WORKER_START_SECONDS = 60.0


@contextmanager
def celery_worker(
    queues: str = "default,media", *, concurrency: int | None = None, stderr: Output = None, **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process; yields once it answers a ping. One task at a time in the
    worker's own process (`--pool solo`), or, with `concurrency`, the Procfile's prefork pool of
    that many processes."""
    from sage.celery import app

    hostname = f"test-{os.getpid()}-{free_port()}@localhost"
    eager_before = app.conf.task_always_eager
    app.conf.task_always_eager = False  # the point is to send tasks to the real worker
    app.control.purge()  # tasks earlier tests queued (for rows long gone) must not reach this worker
    pool = ["--pool", "solo"] if concurrency is None else ["--concurrency", str(concurrency)]
    process = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "--app",
            "sage",
            "worker",
            "--queues",
            queues,
            *pool,
            "--hostname",
            hostname,
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=BASE_DIR,
        # As the Procfile's worker: without the web process's pool, which a test that imported
        # sage.asgi would otherwise pass on through the environment.
        env=server_env(**{"DB_POOL": "false", **env}),
        stderr=stderr,
    )
    try:
        # A free machine's minute, stretched by how slow this one is (a worker's start is Django's and
        # Celery's imports: at load 20-26 on two cores it passed the minute).
        within = WORKER_START_SECONDS * slowness()
        deadline = time.monotonic() + within
        while not _answers_ping(hostname, env.get("REDIS_URL")):
            if process.poll() is not None:
                raise RuntimeError(f"celery worker exited early with code {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"celery worker did not answer a ping within {within:.0f} s")
        yield process
    finally:
        stop_process(process)
        app.conf.task_always_eager = eager_before


def _answers_ping(hostname: str, broker_url: str | None) -> bool:
    """Whether the worker answers, asked through its broker (`broker_url`: one other than this
    process's, e.g. a fault test's private Redis)."""
    from sage.celery import app

    if broker_url is None:
        return bool(app.control.ping(destination=[hostname], timeout=0.5))
    return bool(ping_workers(broker_url, destination=[hostname], timeout=0.5))


def ping_workers(broker_url: str, *, destination: list[str] | None = None, timeout: float = 1.0) -> list[Any]:
    """The replies of the workers on `broker_url` to a ping. A Celery app of its own: the site's
    app sends control messages through its own broker's producers whatever connection it is given."""
    from celery import Celery

    # Not the current app: shared tasks sent later by this process (other tests) would otherwise go
    # to this broker, which the caller may be about to stop.
    other = Celery("ping", broker=broker_url, set_as_current=False)
    try:
        return list(other.control.ping(destination=destination, timeout=timeout) or [])
    finally:
        other.close()
