"""Clients that send too much, too slowly or nothing at all, against a real daphne: oversized heads
get 414/431 (not a silent close), a head trickled byte by byte is dropped after the client timeout,
and hundreds of idle sockets, slowloris connections and a slow upload leave the site serving
everyone else, with no thread or database connection held for them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
import websockets
from channels.db import database_sync_to_async
from django.test import Client

from devtools import processes
from devtools.pace import slowness
from sage import realtime
from tests.factories import ApiTokenFactory, ConversationFactory, UserFactory

EVENT_SOCKETS = 150
CHAT_SOCKETS = 50
SLOWLORIS = 50
CLIENT_TIMEOUT_SECONDS = 4
WORKER_THREADS = 4
# How long the server may go dropping none of the trickling clients (their heads' deadline is
# CLIENT_TIMEOUT_SECONDS); without that deadline none is ever dropped (each byte restarted Twisted's
# 60 s idle timeout).
DROPPED_WITHIN_SECONDS = 45


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def _reply_to(url: str, request: bytes) -> bytes:
    """What the server sends back to `request` on a fresh connection, until it closes it."""
    received = b""
    with socket.create_connection(_address(url), timeout=30) as sock:
        with contextlib.suppress(ConnectionError):  # closed while we still sent: its reply is read below
            sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:  # a close with our unread bytes left: what came first still counts
            pass
    return received


def test_a_60_kb_request_line_gets_414(site_url: str) -> None:
    request = b"GET /videos/?q=" + b"a" * 60_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    reply = _reply_to(site_url, request)

    assert reply.startswith(b"HTTP/1.1 414 URI Too Long\r\n"), reply[:200]
    assert reply.endswith(b"414 URI Too Long: the address is longer than 16384 bytes.\n")


@pytest.mark.parametrize("target", ["/api/v1/videos?q=", "http://127.0.0.1/api/v1/videos?q="])
def test_a_60_kb_address_under_the_api_gets_414_in_the_api_s_json_error_shape(site_url: str, target: str) -> None:
    request = b"GET " + target.encode() + b"a" * 60_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    reply = _reply_to(site_url, request)

    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long\r\n"), reply[:200]
    assert b"\r\nContent-Type: application/json\r\n" in head + b"\r\n"
    assert json.loads(body) == {
        "error": {"code": "uri_too_long", "message": "The address is longer than 16384 bytes.", "fields": {}}
    }


def test_headers_over_16_kib_under_the_api_get_431_in_the_api_s_json_error_shape(site_url: str) -> None:
    request = b"GET /api/v1/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: a=" + b"x" * 20_000 + b"\r\n\r\n"

    reply = _reply_to(site_url, request)

    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), reply[:200]
    assert json.loads(body)["error"]["code"] == "headers_too_large"


@pytest.mark.parametrize(
    "headers",
    [
        [b"Cookie: a=" + b"x" * 20_000],  # one line over the limit
        [b"X-Padding-%d: %s" % (number, b"x" * 1000) for number in range(20)],  # each fine, 20 KB together
    ],
    ids=["one-long-header", "many-headers"],
)
def test_headers_over_16_kib_get_431(site_url: str, headers: list[bytes]) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n"

    reply = _reply_to(site_url, request)

    assert reply.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), reply[:200]


def test_a_long_address_and_headers_under_the_limits_are_served(site_url: str) -> None:
    response = httpx.get(
        f"{site_url}/videos/?q={'a' * 8000}", headers={"X-Padding": "x" * 6000}, follow_redirects=False, timeout=30
    )

    assert response.status_code == 302  # to the login page: the request reached Django


# --- many hostile clients at once -----------------------------------------------------------------


class Slowloris:
    """Connections that send a request head one byte at a time, never finishing it; a connection
    counts as dropped once the server closes it."""

    def __init__(self, url: str, count: int) -> None:
        self.sockets = [socket.create_connection(_address(url), timeout=10) for _ in range(count)]
        for sock in self.sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sock.setblocking(False)
        self.open = set(self.sockets)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(0.25) and self.open:
            for sock in list(self.open):
                try:
                    if sock.recv(1024) == b"":
                        self.open.discard(sock)
                        continue
                except BlockingIOError:  # nothing from the server: still waiting for our head
                    pass
                except OSError:
                    self.open.discard(sock)
                    continue
                try:
                    sock.send(b"x")
                except OSError:
                    self.open.discard(sock)

    def wait_until_all_dropped(self, within: float) -> int:
        """How many are still open once the server dropped none for `within` seconds: a bound on
        progress, so a busy machine dropping them slowly is waited for, and one that stopped is not."""
        left, deadline = len(self.open), time.monotonic() + within
        while self.open and time.monotonic() < deadline:
            time.sleep(0.2)
            if len(self.open) < left:
                left, deadline = len(self.open), time.monotonic() + within
        return len(self.open)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.sockets:
            sock.close()


@contextmanager
def slowloris(url: str, count: int) -> Iterator[Slowloris]:
    attack = Slowloris(url, count)
    try:
        yield attack
    finally:
        attack.close()


class SlowUpload:
    """One upload part sent over a raw connection: its head and half its body now, the rest later."""

    def __init__(self, url: str, path: str, token: str, body: bytes) -> None:
        self.sock = socket.create_connection(_address(url), timeout=30)
        self.body = body
        head = (
            f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        self.sock.sendall(head.encode() + body[: len(body) // 2])

    def finish(self) -> bytes:
        self.sock.sendall(self.body[len(self.body) // 2 :])
        reply = b""
        while chunk := self.sock.recv(65536):
            reply += chunk
        self.sock.close()
        return reply


def _ordinary_requests(url: str, *, token: str, session_cookie: str) -> dict[str, int]:
    """One fresh connection each, as separate visitors would make them."""
    results: dict[str, int] = {}
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=60, cookies={"sessionid": session_cookie}) as browser:
        results["library page"] = browser.get(f"{url}/videos/").status_code
    results["API list"] = httpx.get(f"{url}/api/v1/videos", headers=bearer, timeout=60).status_code
    health = httpx.get(f"{url}/healthz", timeout=60)
    # No Celery worker runs here (healthz then answers 503 naming it): what matters is the database.
    results["healthz database"] = 200 if health.json()["checks"]["database"]["ok"] else health.status_code
    return results


def test_idle_sockets_slowloris_and_a_slow_upload_leave_the_site_serving(transactional_db) -> None:
    user = UserFactory()
    conversation = ConversationFactory(owner=user)
    token = ApiTokenFactory(user=user).secret
    browser = Client()
    browser.force_login(user)
    session_cookie = browser.cookies["sessionid"].value

    # A pool of four connections and four worker threads: were each idle socket to keep one, the
    # site would run out after four.
    server_env = {
        "HTTP_CLIENT_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT_SECONDS),
        "DB_POOL_MAX_SIZE": "4",
        "ASGI_THREADS": str(WORKER_THREADS),
    }
    with processes.daphne_process(server_env) as (url, server):
        ws_base = url.replace("http://", "ws://")
        headers = {"Cookie": f"sessionid={session_cookie}", "Origin": url}
        started = httpx.post(
            f"{url}/api/v1/uploads",
            json={"filename": "slow.mp4", "size": 200_000},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert started.status_code == 201, started.text
        part_path = f"/api/v1/uploads/{started.json()['id']}/parts/1"
        threads_before = psutil.Process(server.pid).num_threads()

        async def scenario() -> tuple[dict[str, int], bytes, int, int, int]:
            gate = asyncio.Semaphore(25)

            async def open_socket(path: str) -> websockets.ClientConnection:
                async with gate:
                    return await websockets.connect(
                        f"{ws_base}{path}", additional_headers=headers, open_timeout=60 * slowness()
                    )

            sockets = await asyncio.gather(
                *[open_socket("/ws/events/") for _ in range(EVENT_SOCKETS)],
                *[open_socket(f"/ws/chat/{conversation.pk}/") for _ in range(CHAT_SOCKETS)],
            )
            try:
                threads_with_sockets = psutil.Process(server.pid).num_threads()

                def hostile_and_ordinary() -> tuple[dict[str, int], bytes, int]:
                    with ExitStack() as stack:
                        attack = stack.enter_context(slowloris(url, SLOWLORIS))
                        slow_upload = SlowUpload(url, part_path, token, b"\0" * 200_000)
                        served = _ordinary_requests(url, token=token, session_cookie=session_cookie)
                        upload_reply = slow_upload.finish()
                        still_open = attack.wait_until_all_dropped(DROPPED_WITHIN_SECONDS)
                    return served, upload_reply, still_open

                served, upload_reply, still_open = await asyncio.to_thread(hostile_and_ordinary)

                # The idle sockets were kept open and still deliver.
                await database_sync_to_async(realtime.push_to_user)(user.pk, "balance", {"balance": 7})
                delivered = 0
                for events in sockets[:EVENT_SOCKETS]:
                    frame = json.loads(await asyncio.wait_for(events.recv(), timeout=30 * slowness()))
                    delivered += frame == {"type": "balance", "data": {"balance": 7}}
                return served, upload_reply, still_open, delivered, threads_with_sockets
            finally:
                await asyncio.gather(*(sock.close() for sock in sockets))

        served, upload_reply, still_open, delivered, threads_with_sockets = asyncio.run(scenario())

    assert served == {"library page": 200, "API list": 200, "healthz database": 200}
    assert upload_reply.startswith(b"HTTP/1.1 200 "), upload_reply[:300]
    assert still_open == 0, f"{still_open} of {SLOWLORIS} slowloris connections were never dropped"
    assert delivered == EVENT_SOCKETS
    # Connecting 200 sockets may start the worker threads and Channels' one thread for sync code, but
    # no thread stays for a socket.
    assert threads_with_sockets - threads_before <= WORKER_THREADS + 1, (threads_before, threads_with_sockets)
