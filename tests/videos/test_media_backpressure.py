"""A video served by a real daphne to slow, stalled and vanishing viewers: the web process's memory
does not grow with them (back-pressure, sage/daphne_backpressure.py) and they hold no database
connection while others are served; ranges and caching answers are right on the wire; a viewer who
leaves or stalls frees its file at once; and a crowd connecting at the same instant is queued, not
refused (the listen backlog)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import DEVNULL, Popen
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
from django.test import Client

from devtools import processes
from devtools.marked_file import expected, make_marked_file
from tests.factories import UserFactory, VideoFactory
from videos.models import Video

KEY = "videos/paced/original.mp4"
SIZE = 200 * 2**20 + 123  # a large master with a ragged end
STALLED = 8  # viewers that read nothing once the headers are in
SLOW = 4  # viewers reading at about SLOW_RATE
SLOW_RATE = 256 * 1024  # bytes a second
WATCH_SECONDS = 4.0
# The web process's growth while they watch. Without back-pressure each stalled viewer makes daphne
# hold the whole 200 MB file: gigabytes within the watch.
GROWTH_BOUND = 32 * 2**20
CLIENT_TIMEOUT_SECONDS = 6  # a viewer that takes nothing for this long is dropped
CROWD = 300  # connections opened at the same instant
WORKER_THREADS = 4  # daphne's pool for sync code (file reads): its threads stay once started
# Fewer database connections than viewers: a stream that held one would starve the library page.
POOL_SIZE = 4


@dataclass(frozen=True)
class Site:
    url: str
    process: Popen[bytes]
    file: Path

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        assert parts.hostname is not None and parts.port is not None
        return parts.hostname, parts.port


@pytest.fixture(scope="module")
def media_site(django_db_setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    media = tmp_path_factory.mktemp("paced") / "media"
    big = make_marked_file(media / KEY, SIZE)
    env = {
        "MEDIA_ROOT": str(media),
        "HTTP_CLIENT_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT_SECONDS),
        "ASGI_THREADS": str(WORKER_THREADS),
        "DB_POOL_MAX_SIZE": str(POOL_SIZE),
    }
    with processes.daphne_process(env, stdout=DEVNULL, start_timeout=120) as (url, process):
        yield Site(url, process, big.resolve())


@dataclass(frozen=True)
class Viewer:
    site: Site
    path: str
    cookie: str


@pytest.fixture
def viewer(transactional_db, media_site: Site) -> Viewer:
    """A signed-in owner of a ready video whose file is the site's large marked file."""
    user = UserFactory()
    video = VideoFactory(owner=user, title="Master", status=Video.Status.READY, storage_key=KEY)
    browser = Client()
    browser.force_login(user)
    return Viewer(media_site, f"/videos/{video.pk}/file", browser.cookies["sessionid"].value)


def open_stream(viewer: Viewer, headers: str = "") -> socket.socket:
    """A connection asking for the whole file, its status line read; the rest is left to the caller.
    A small receive window, as a slow link has: the kernel holds little for a reader that stops."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(30)
    sock.connect(viewer.site.address)
    request = f"GET {viewer.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={viewer.cookie}\r\n{headers}\r\n"
    sock.sendall(request.encode())
    assert sock.recv(12) == b"HTTP/1.1 200", "the file was not served"
    return sock


def read_head(sock: socket.socket) -> bytes:
    """The rest of the response's head (after the status line's first 12 bytes); the body follows."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += sock.recv(1)
    return head


def slow_reader(sock: socket.socket, until: float, received: bytearray) -> None:
    read_head(sock)
    while time.monotonic() < until:
        received += sock.recv(SLOW_RATE // 10)
        time.sleep(0.1)


def files_open_on(site: Site) -> int:
    return sum(Path(opened.path) == site.file for opened in psutil.Process(site.process.pid).open_files())


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_slow_and_stalled_viewers_cost_little_memory_and_others_are_served(viewer: Viewer) -> None:
    site = viewer.site
    web = psutil.Process(site.process.pid)
    cookies = {"sessionid": viewer.cookie}
    with httpx.Client(base_url=site.url, cookies=cookies, timeout=30) as browser:
        warm = browser.get(viewer.path, headers={"Range": "bytes=0-4194303"})  # code paths loaded once
        assert warm.status_code == 206
    rss_before, threads_before = web.memory_info().rss, web.num_threads()

    stalled = [open_stream(viewer) for _ in range(STALLED)]
    slow = [open_stream(viewer) for _ in range(SLOW)]
    until = time.monotonic() + WATCH_SECONDS
    received = [bytearray() for _ in slow]
    readers = [
        threading.Thread(target=slow_reader, args=(sock, until, got)) for sock, got in zip(slow, received, strict=True)
    ]
    for reader in readers:
        reader.start()
    peak = 0
    with httpx.Client(base_url=site.url, cookies=cookies, timeout=30) as browser:
        middle = SIZE // 2 + 777
        started = time.monotonic()
        seek = browser.get(viewer.path, headers={"Range": f"bytes={middle}-{middle + 2**20 - 1}"})
        library = browser.get("/videos/")
        others_waited = time.monotonic() - started
        while time.monotonic() < until:
            peak = max(peak, web.memory_info().rss - rss_before)
            time.sleep(0.2)
    for reader in readers:
        reader.join()

    assert peak <= GROWTH_BOUND, f"the web process grew by {peak / 2**20:.0f} MB"
    assert (seek.status_code, library.status_code) == (206, 200)
    assert seek.content == expected(middle, 2**20)
    assert others_waited < 10, f"others waited {others_waited:.1f} s"
    for got in received:  # slow viewers got the file's first bytes, in order, at about their pace
        assert len(got) > SLOW_RATE, len(got)
        assert bytes(got) == expected(0, len(got))

    # Viewers that leave mid-body free their file at once; those that stall are dropped.
    for sock in slow + stalled[: STALLED // 2]:
        sock.close()
    assert wait_for(lambda: files_open_on(site) == STALLED // 2, 5), files_open_on(site)
    assert wait_for(lambda: files_open_on(site) == 0, CLIENT_TIMEOUT_SECONDS + 5), files_open_on(site)
    for sock in stalled[STALLED // 2 :]:
        sock.settimeout(5)
        with pytest.raises(ConnectionResetError):
            while sock.recv(1 << 20):
                pass
        sock.close()
    # The pool may have started its threads; no thread stays for a viewer (each request's own is gone).
    assert wait_for(lambda: web.num_threads() <= threads_before + WORKER_THREADS, 5), (
        threads_before,
        web.num_threads(),
    )


def test_ranges_validators_and_caching_on_the_wire(viewer: Viewer) -> None:
    with httpx.Client(base_url=viewer.site.url, cookies={"sessionid": viewer.cookie}, timeout=30) as browser:

        def get(range_: str, **headers: str) -> httpx.Response:
            return browser.get(viewer.path, headers={"Range": range_, **headers})

        first, last, suffix = get("bytes=0-0"), get("bytes=-1"), get("bytes=-70000")
        middle = get(f"bytes={SIZE // 3}-{SIZE // 3 + 99_999}")
        assert [(r.status_code, r.content) for r in (first, last, suffix, middle)] == [
            (206, expected(0, 1)),
            (206, expected(SIZE - 1, 1)),
            (206, expected(SIZE - 70_000, 70_000)),
            (206, expected(SIZE // 3, 100_000)),
        ]
        assert middle.headers["Content-Range"] == f"bytes {SIZE // 3}-{SIZE // 3 + 99_999}/{SIZE}"
        assert middle.headers["Accept-Ranges"] == "bytes"
        assert middle.headers["Cache-Control"] == "private, no-cache"
        etag, modified = middle.headers["ETag"], middle.headers["Last-Modified"]

        unsatisfiable = get(f"bytes={SIZE}-")
        assert (unsatisfiable.status_code, unsatisfiable.headers["Content-Range"]) == (416, f"bytes */{SIZE}")

        current = get("bytes=100-199", **{"If-Range": etag})
        assert (current.status_code, current.content) == (206, expected(100, 100))
        # A stale If-Range gets the whole file: read its start, then leave (the server lets go).
        with browser.stream("GET", viewer.path, headers={"Range": "bytes=100-199", "If-Range": '"stale"'}) as whole:
            assert (whole.status_code, whole.headers["Content-Length"]) == (200, str(SIZE))
            assert next(whole.iter_bytes(4096)) == expected(0, 4096)

        for validator in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
            cached = browser.get(viewer.path, headers=validator)
            assert (cached.status_code, cached.content, cached.headers["ETag"]) == (304, b"", etag)

        head = browser.head(viewer.path)
        assert (head.status_code, head.headers["Content-Length"], head.content) == (200, str(SIZE), b"")
    assert wait_for(lambda: files_open_on(viewer.site) == 0, 5)


def test_a_crowd_connecting_at_the_same_instant_is_queued_not_refused(media_site: Site) -> None:
    # While daphne cannot accept (stopped here, busy in life), connections wait in the kernel's
    # queue, which the listen backlog sizes: past it the kernel drops them.
    os.kill(media_site.process.pid, signal.SIGSTOP)
    crowd: list[socket.socket] = []
    try:
        for _ in range(CROWD):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(media_site.address)
            crowd.append(sock)
        time.sleep(0.5)
        connected = sum(_established(sock) for sock in crowd)
    finally:
        os.kill(media_site.process.pid, signal.SIGCONT)
    try:
        assert connected == CROWD
        asking = crowd[::10]  # a sample is answered (all 300 would take seconds of the suite)
        for sock in asking:
            sock.setblocking(True)
            sock.settimeout(30)
            sock.sendall(b"GET /no-such-page HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert [sock.recv(9) for sock in asking] == [b"HTTP/1.1 "] * len(asking)
    finally:
        for sock in crowd:
            sock.close()


def _established(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False  # still waiting for the server's SYN-ACK
    return True
