"""daphne sends a response body no faster than its client reads it.

daphne writes each body chunk the app sends straight to Twisted's transport, and the app's `send`
returns at once: a client reading slower than the disk (a reviewer on a slow link, a browser whose
video buffer is full and stops reading) makes the transport buffer the rest of the file in the web
process's memory. Ten slow viewers of one video cost hundreds of MB; fifty took the process down.

Twisted has the answer built in, its producer/consumer API: a transport pauses the producer
registered with it when its buffer passes `bufferSize` (64 KiB) and resumes it once the buffer has
drained; `HTTPChannel` forwards both to the producer its current request registered. Here each
request registers itself as that producer when its body starts streaming, and the server's ASGI
`send` of a body chunk awaits until the request is resumed. A streamed body then holds about one
chunk plus Twisted's buffer per connection, however many clients and however slow; a client that
goes away wakes the waiting `send`, and daphne's disconnect message ends the app's task (Django
cancels the response and closes its file). WebSockets are left as they are (django/daphne#170).
"""

from __future__ import annotations

import asyncio
from typing import Any

from daphne import cli as daphne_cli
from daphne import http_protocol
from daphne import server as daphne_server
from django.conf import settings
from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer  # type: ignore[import-untyped]  # Twisted depends on it; no stubs

from sage.daphne_requests import DjangoParsesForms


@implementer(IPushProducer)
class PacedRequest(DjangoParsesForms):
    """A daphne request that is the push producer of its own response body (above)."""

    _paused = False
    _drained: asyncio.Future[None] | None = None

    def handle_reply(self, message: dict[str, Any]) -> None:
        if (
            message.get("type") == "http.response.body"
            and message.get("more_body", False)
            and self.producer is None
            and not self.finished
            and self.channel is not None
        ):
            self.registerProducer(self, True)
            # HTTPChannel pauses a producer only when its transport fills from now on: one whose
            # buffer is already full (a response before this one left it so) says so only here.
            if self.channel._waitingForTransport:
                self.pauseProducing()
        super().handle_reply(message)

    def finish(self) -> None:
        # Twisted logs a producer still registered when a response ends as an error.
        if self.producer is self and self.channel is not None:
            self.unregisterProducer()
        self._wake()
        super().finish()

    def connectionLost(self, reason: Any) -> None:
        self._wake()  # the `send` waiting returns; daphne's disconnect message ends the app's task
        super().connectionLost(reason)

    # IPushProducer, called by HTTPChannel for its transport

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._wake()

    def stopProducing(self) -> None:
        self._wake()

    def _wake(self) -> None:
        self._paused = False
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    async def until_drained(self) -> None:
        """Returns once the transport has room for more of the body (at once if it has). A client
        that takes nothing for `HTTP_CLIENT_TIMEOUT_SECONDS` is dropped, as nginx's `send_timeout`
        does: a stalled one would hold its file and its share of memory for ever, and a player that
        comes back asks again for the range it needs."""
        while self._paused:
            if self._drained is None:
                self._drained = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._drained), settings.HTTP_CLIENT_TIMEOUT_SECONDS)
            except TimeoutError:
                self._drop_stalled_client()
                return

    def _drop_stalled_client(self) -> None:
        # Aborted, not closed: a close would wait for the buffer the client is not reading to drain.
        # Twisted then calls connectionLost, which ends the app's task as any disconnect does.
        if self.channel is not None and self.channel.transport is not None:
            self.channel.transport.abortConnection()


class PacedServer(daphne_server.Server):
    """daphne's server whose ASGI `send` of a body chunk returns when the client has taken it."""

    async def handle_reply(self, protocol: Any, message: dict[str, Any]) -> None:
        await super().handle_reply(protocol, message)
        if isinstance(protocol, PacedRequest) and message.get("type") == "http.response.body":
            await protocol.until_drained()


def pace_response_bodies() -> None:
    """Called as the ASGI app loads, before daphne serves: its factory builds each request from
    `http_protocol.WebRequest`, looked up when a connection opens, and its command line makes its
    server from `CommandLineInterface.server_class` once it has loaded the app. Off only where a bench
    or test measures what it saves (`HTTP_RESPONSE_BACKPRESSURE`)."""
    if not settings.HTTP_RESPONSE_BACKPRESSURE:
        return
    http_protocol.WebRequest = PacedRequest
    daphne_cli.CommandLineInterface.server_class = PacedServer
