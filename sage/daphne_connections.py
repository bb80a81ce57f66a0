"""What daphne's HTTP connections take from clients that send too much, or too slowly.

daphne reads requests with Twisted's `HTTPChannel`, which already caps a request's head (one line,
`MAX_LENGTH`, and the request line and headers together, `totalHeadersSize`: 16 KiB each) and closes
a connection left idle (`timeOut`). Two of its answers fit a site badly:

- A line over the cap (a 60 KB address, an enormous cookie) closes the connection with no reply at
  all (`LineReceiver.lineLengthExceeded`), and headers over the total get a bare 400: the browser or
  script is told nothing it can act on. Here they get 414 URI Too Long (the request line) or 431
  Request Header Fields Too Large (RFC 9110 §15.5.15, RFC 6585 §5) with a one-line body, and the
  connection closes, as Twisted's own refusals do. Under `/api/` the body is the API's JSON error
  (`uri_too_long`, `headers_too_large`): every answer there is JSON (docs/api.md).
- Its timeout counts idle time, and every byte starts it again: a client trickling its headers a
  byte at a time (slowloris) holds its connection for ever. Here the head must arrive whole within
  one timeout (`HTTP_CLIENT_TIMEOUT_SECONDS`) of the connection opening, or of its first byte on a
  connection kept alive; a request body still restarts it with each piece, so a slow upload that
  keeps moving goes on. A kept-alive connection waits `HTTP_KEEPALIVE_SECONDS` for its next request:
  with the head's 30 s, a script pausing about that long between calls (an uploader, 15-30 s) sent
  its next POST just as the server closed the connection, and got no answer at all.

Neither kind of client holds a thread or a database connection meanwhile: Twisted reads the head and
the body on the event loop, and daphne hands a request to Django only once all of it has arrived.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from daphne import http_protocol
from daphne import server as daphne_server
from django.conf import settings
from twisted.web import http

from sage.api.errors import error_body


@dataclass(frozen=True)
class _Refusal:
    """One refusal of a head: as text for pages, as the API's JSON error under `/api/`."""

    status: int
    reason: str
    code: str
    explanation: str

    def response(self, *, api: bool) -> bytes:
        if api:
            message = self.explanation[0].upper() + self.explanation[1:]
            body = json.dumps(error_body(self.code, message)).encode()
            content_type = "application/json"
        else:
            body = f"{self.status} {self.reason}: {self.explanation}\n".encode()
            content_type = "text/plain; charset=utf-8"
        head = (
            f"HTTP/1.1 {self.status} {self.reason}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode() + body


_URI_TOO_LONG = _Refusal(
    414, "URI Too Long", "uri_too_long", f"the address is longer than {http.HTTPChannel.MAX_LENGTH} bytes."
)
_HEADERS_TOO_LARGE = _Refusal(
    431,
    "Request Header Fields Too Large",
    "headers_too_large",
    f"the headers are larger than {http.HTTPChannel.totalHeadersSize} bytes.",
)


def _is_api(target: bytes) -> bool:
    """Whether a request target (origin form `/api/…`, or absolute form `http://host/api/…`) is the
    API's: the start of the address is enough, which is all a line too long is known by."""
    if not target.startswith(b"/"):
        scheme, _, rest = target.partition(b"://")
        target = b"/" + rest.partition(b"/")[2] if scheme.isalpha() and rest else target
    return target == b"/api" or target.startswith((b"/api/", b"/api?"))


class LimitedHTTPChannel(http.HTTPChannel):
    """Twisted's HTTP/1.1 channel, answering oversized heads and timing out slow ones (above)."""

    _idle_between_requests = False

    def _reading_head(self) -> bool:
        # Line mode outside a request being handled: the next request line or its headers.
        return bool(self.line_mode) and not self._handlingRequest

    def resetTimeout(self) -> None:
        """Twisted restarts the timeout on every read; not while a head arrives, which gets one
        timeout in all (set when the connection opened, or by the first byte after an idle spell)."""
        if self._idle_between_requests:
            self._idle_between_requests = False
            self.setTimeout(settings.HTTP_CLIENT_TIMEOUT_SECONDS)  # type: ignore[no-untyped-call]
        elif not self._reading_head():
            super().resetTimeout()  # type: ignore[no-untyped-call]  # Twisted's HTTP code is not annotated

    def requestDone(self, request: Any) -> None:
        super().requestDone(request)  # type: ignore[no-untyped-call]
        # Kept alive with nothing of a next request yet (none pipelined behind this one): waiting
        # for it is idleness, not a slow head.
        if self.transport is not None and self._reading_head() and not self.requests and not self._buffer:
            self._idle_between_requests = True
            self.setTimeout(settings.HTTP_KEEPALIVE_SECONDS)  # type: ignore[no-untyped-call]

    def lineReceived(self, line: bytes) -> None:
        # Twisted's own check of the total, made first so that it answers 431 instead of a bare 400.
        if self._receivedHeaderSize + len(line) > self.totalHeadersSize:
            self._refuse_head(line)
            return
        super().lineReceived(line)  # type: ignore[no-untyped-call]

    def lineLengthExceeded(self, line: bytes) -> None:
        self._refuse_head(line)

    def _refuse_head(self, line: bytes = b"") -> None:
        # HTTPChannel makes a request object when a request line arrives, and forgets it once
        # answered: with none, the line that is too long is the request line (`line`, as far as it
        # came), else the request line was read and its target kept (`_path`).
        assert self.transport is not None  # a line arrived on it
        if not self.requests:
            refusal, target = _URI_TOO_LONG, line.lstrip(b"\r\n").split(b" ", 2)[1:2]
        else:
            refusal, target = _HEADERS_TOO_LARGE, [getattr(self, "_path", b"")]
        answer = refusal.response(api=bool(target) and _is_api(target[0]))
        self.transport.write(answer)  # type: ignore[call-arg,misc]  # zope declares methods without `self`
        self.loseConnection()  # type: ignore[no-untyped-call]


class LimitedHTTPFactory(http_protocol.HTTPFactory):
    """daphne's factory building `LimitedHTTPChannel`s with the site's client timeout. Twisted's
    default wraps each channel in a proxy that switches to HTTP/2 when TLS negotiates it (ALPN);
    daphne here serves plain HTTP behind the proxy, so there is nothing to negotiate."""

    protocol = LimitedHTTPChannel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeOut = settings.HTTP_CLIENT_TIMEOUT_SECONDS


def limit_slow_and_oversized_requests() -> None:
    """Called as the ASGI app loads, before daphne serves: `Server.run` builds its factory from
    `daphne.server.HTTPFactory`, looked up when it runs."""
    daphne_server.HTTPFactory = LimitedHTTPFactory
