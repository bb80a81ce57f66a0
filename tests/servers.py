"""Local stand-ins for outside services in tests: moto's S3, localstripe, and small HTTP stubs.

The project's own processes (daphne, a Celery worker) start from devtools.processes, which the
benches share. Every process started here is stopped by PID when its fixture ends.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devtools.processes import VENV_BIN, free_port, stop_process, wait_for_port


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
# /tmp/localstripe.pickle on every change; this runs the same app on 127.0.0.1, in memory only, with
# Prices (tests/localstripe_prices.py: localstripe has none), loaded from this file's folder.
_LOCALSTRIPE_MAIN = """
import runpy
import sys
from aiohttp import web
from localstripe import resources
from localstripe.server import app
resources.Store.dump_to_disk = lambda self: None
runpy.run_path(sys.argv[3])
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
    prices = Path(__file__).with_name("localstripe_prices.py")
    process = subprocess.Popen(
        [sys.executable, "-c", _LOCALSTRIPE_MAIN, str(port), mode, str(prices)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


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
