"""Real processes and local stubs for tests: daphne, a Celery worker, moto's S3, localstripe, and small
HTTP stubs.

Subprocess servers connect to the *test* database (pytest-django's `test_…`) and the suite's Redis,
so what a test writes with the ORM is what the server sees. Every process started here is stopped
by PID when its fixture ends.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_database_url() -> str:
    """A URL for the database the tests are using right now (after pytest-django renamed it)."""
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
        "DATABASE_URL": test_database_url(),
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


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
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
    env: Mapping[str, str] | None = None, *, stdout: Output = None, stderr: Output = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """daphne serving the real ASGI app (HTTP + WebSockets), as the Procfile's `web` does, with `env`
    added to the servers' environment; yields its base URL and its process."""
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "daphne"), "--bind", "127.0.0.1", "--port", str(port), "sage.asgi:application"],
        cwd=BASE_DIR,
        env=server_env(**(env or {})),
        stdout=stdout,
        stderr=stderr,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop_process(process)


@contextmanager
def daphne_server(**env: str) -> Iterator[str]:
    """Serve the real ASGI app with daphne; yields its base URL."""
    with daphne_process(env) as (url, _process):
        yield url


@contextmanager
def moto_server() -> Iterator[str]:
    """A local S3 (moto's server, which speaks the S3 protocol over HTTP); yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


# localstripe's own command listens on every interface (`::`) and writes its whole state to
# /tmp/localstripe.pickle on every change; this runs the same app on 127.0.0.1, in memory only.
_LOCALSTRIPE_MAIN = """
import sys
from aiohttp import web
from localstripe import resources
from localstripe.server import app
resources.Store.dump_to_disk = lambda self: None
if sys.argv[2] == "accept-proration-behavior":
    # Subscription updates with `proration_behavior`, which localstripe lacks: accepted and ignored.
    _update = resources.Subscription._update
    def _update_ignoring_proration_behavior(self, proration_behavior=None, **data):
        assert proration_behavior in (None, "create_prorations", "none", "always_invoice")
        return _update(self, **data)
    resources.Subscription._update = _update_ignoring_proration_behavior
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


@contextmanager
def localstripe_server(*, accept_proration_behavior: bool = False) -> Iterator[str]:
    """localstripe, a stateful fake Stripe API (customers, payment intents, refunds, signed
    webhooks…), on 127.0.0.1; yields its base URL for the SDK (STRIPE_API_BASE). With
    `accept_proration_behavior`, plan switches (which send that parameter) work on it too."""
    port = free_port()
    mode = "accept-proration-behavior" if accept_proration_behavior else "as-is"
    process = subprocess.Popen(
        [sys.executable, "-c", _LOCALSTRIPE_MAIN, str(port), mode],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


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
        env=server_env(**env),
        stderr=stderr,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None:
                raise RuntimeError(f"celery worker exited early with code {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("celery worker did not answer a ping within 60s")
        yield process
    finally:
        stop_process(process)
        app.conf.task_always_eager = eager_before


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[RecordedRequest], tuple[int, dict[str, str], bytes]]


@dataclass
class StubServer:
    """A local HTTP server answering with test-defined handlers; records every request."""

    routes: Mapping[tuple[str, str], Handler]
    requests: list[RecordedRequest] = field(default_factory=list)
    url: str = ""

    def reply_json(self, status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


@contextmanager
def stub_server(routes: Mapping[tuple[str, str], Handler]) -> Iterator[StubServer]:
    stub = StubServer(routes=routes)

    class _Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            path = self.path.split("?", 1)[0]
            recorded = RecordedRequest(self.command, self.path, dict(self.headers), self.rfile.read(length))
            stub.requests.append(recorded)
            handler = stub.routes.get((self.command, path))
            if handler is None:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"no such stub route"
            else:
                status, headers, body = handler(recorded)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
