"""The fault tests' traffic judges a hang by progress (issue 65): a request whose answer keeps coming
is slow, not hung, however long it takes in all; one that gets no byte for the bound is a hang."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from devtools.faults import Traffic, hangs

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"


@contextmanager
def raw_server(answer: str) -> Iterator[str]:
    """A server on a free port answering each connection as `answer` says: "silent" reads the request
    and never writes; "trickle" sends a chunked body a byte every 0.3 s for 2 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stopping = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            if answer == "silent":
                stopping.wait()
                return
            conn.sendall(HEAD)
            for _ in range(7):
                if stopping.wait(0.3):
                    return
                conn.sendall(b"1\r\n.\r\n")
            conn.sendall(b"0\r\n\r\n")

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        acceptor.join(5)
        listener.close()


def run_traffic(url: str, *, for_seconds: float) -> Traffic:
    def get(client: httpx.Client) -> httpx.Response:
        return client.get("/")

    with Traffic(url, {"page": get}, timeout=0.8) as traffic:
        time.sleep(for_seconds)
    return traffic


def test_a_server_that_never_answers_is_counted_as_a_hang() -> None:
    with raw_server("silent") as url:
        traffic = run_traffic(url, for_seconds=0.5)
    assert hangs(traffic.outcomes), traffic.outcomes


def test_an_answer_that_keeps_coming_is_not_a_hang_though_it_outlasts_the_bound() -> None:
    with raw_server("trickle") as url:
        traffic = run_traffic(url, for_seconds=0.5)
    assert hangs(traffic.outcomes) == []
    assert [outcome.status for outcome in traffic.outcomes] == [200]
    assert traffic.outcomes[0].ended - traffic.outcomes[0].started > 2 * traffic.timeout
