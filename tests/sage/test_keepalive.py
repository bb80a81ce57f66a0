"""A kept-alive connection waits for a client's next request longer than a head may take to arrive.

With one timeout for both, a script pausing about that long between calls sent its next POST just
as the server closed the connection, and got no answer at all (one in an hour's soak). Driven on
the web process's own HTTP channel with a fake clock, so no server is started.
"""

from __future__ import annotations

from typing import Any

from django.test import override_settings
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web import http

from sage.daphne_connections import LimitedHTTPChannel

HEAD_SECONDS = 30
KEEPALIVE_SECONDS = 75
REQUEST = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"


class Answered(http.Request):
    def process(self) -> None:
        self.setHeader(b"content-length", b"2")
        self.write(b"ok")
        self.finish()


def channel() -> tuple[LimitedHTTPChannel, StringTransport, Clock]:
    clock = Clock()
    made: Any = LimitedHTTPChannel()
    made.requestFactory = Answered
    made.callLater = clock.callLater
    made.timeOut = HEAD_SECONDS
    transport = StringTransport()
    made.makeConnection(transport)
    return made, transport, clock


@override_settings(HTTP_CLIENT_TIMEOUT_SECONDS=HEAD_SECONDS, HTTP_KEEPALIVE_SECONDS=KEEPALIVE_SECONDS)
def test_a_client_pausing_longer_than_a_head_may_take_is_answered_on_the_same_connection() -> None:
    served, transport, clock = channel()
    served.dataReceived(REQUEST)
    assert transport.value().endswith(b"ok")

    clock.advance(HEAD_SECONDS + 10)  # a script's pause between two calls
    assert not transport.disconnecting
    transport.clear()
    served.dataReceived(REQUEST)
    assert transport.value().startswith(b"HTTP/1.1 200")


@override_settings(HTTP_CLIENT_TIMEOUT_SECONDS=HEAD_SECONDS, HTTP_KEEPALIVE_SECONDS=KEEPALIVE_SECONDS)
def test_an_idle_kept_alive_connection_closes_and_a_trickled_head_still_times_out() -> None:
    idle, idle_transport, clock = channel()
    idle.dataReceived(REQUEST)
    clock.advance(KEEPALIVE_SECONDS + 1)
    assert idle_transport.disconnecting

    trickling, transport, clock = channel()
    trickling.dataReceived(REQUEST)
    clock.advance(HEAD_SECONDS + 10)
    for byte in REQUEST[:-4]:  # a slowloris on a kept-alive connection: a byte every 2 s
        trickling.dataReceived(bytes([byte]))
        clock.advance(2)
        if transport.disconnecting:
            break
    assert transport.disconnecting
