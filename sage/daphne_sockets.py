"""What daphne's WebSocket connections do with a message larger than they read.

daphne caps a WebSocket message at 1 MiB (its `--websocket_max_message_size`), and autobahn, under
it, fails the connection on a larger one (close 1009): the page or script loses its socket with no
error frame, though every refused frame is documented to get one on a connection that stays open
(docs/api.md). Here such a message is read as it arrives and thrown away (memory does not grow with
it, as it would if the cap were lifted), and the consumer is handed a marker in its place: a
`websocket.receive` with `FRAME_TOO_LARGE` set to the cap, which `sage.consumers.JsonSocket` answers
with its `too_large` error frame. Smaller messages go through untouched.
"""

from __future__ import annotations

import time

from daphne import server as daphne_server
from daphne import ws_protocol

from sage.consumers import FRAME_TOO_LARGE


class BoundedWebSocketProtocol(ws_protocol.WebSocketProtocol):
    """daphne's WebSocket protocol, discarding a message over the cap instead of failing the
    connection (autobahn's hooks: a message begins, its frames begin, carry data and end, it ends)."""

    oversized = False

    def _over_the_cap(self, frame_length: int) -> bool:
        limit: int = self.maxMessagePayloadSize
        frame_limit: int = self.maxFramePayloadSize
        total: int = self.message_data_total_length
        return 0 < limit < total or 0 < frame_limit < frame_length

    def onMessageBegin(self, isBinary: bool) -> None:
        super().onMessageBegin(isBinary)
        self.oversized = False

    def onMessageFrameBegin(self, length: int) -> None:
        # autobahn's own, without the failing: its checks of the cap moved to `_over_the_cap`.
        self.frame_length = length
        self.frame_data: list[bytes] | None = []
        self.message_data_total_length += length
        self.oversized = self.oversized or self._over_the_cap(length)

    def onMessageFrameData(self, payload: bytes) -> None:
        if not self.oversized:
            super().onMessageFrameData(payload)

    def onMessageFrameEnd(self) -> None:
        if not self.oversized:
            super().onMessageFrameEnd()
            return
        self.frame_data = None

    def onMessageEnd(self) -> None:
        if not self.oversized:
            super().onMessageEnd()
            return
        self.message_data = None
        self.oversized = False
        if self.muted or not hasattr(self, "application_queue"):
            return
        self.last_ping = time.time()
        limit = self.maxMessagePayloadSize or self.maxFramePayloadSize
        self.application_queue.put_nowait(
            {"type": "websocket.receive", "text": None, "bytes": None, FRAME_TOO_LARGE: limit}
        )


class BoundedWebSocketFactory(ws_protocol.WebSocketFactory):
    protocol = BoundedWebSocketProtocol


def answer_oversized_socket_messages() -> None:
    """Called as the ASGI app loads, before daphne serves: `Server.run` builds its WebSocket factory
    from `daphne.server.WebSocketFactory`, looked up when it runs."""
    daphne_server.WebSocketFactory = BoundedWebSocketFactory
