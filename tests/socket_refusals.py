"""How a refused socket looks to its client: accepted, then closed with a code before any frame.

A handshake refused outright is an HTTP 403, which a browser sees only as close code 1006 and
cannot tell from a network drop (the page would retry for ever); so a refusal must be a close."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator


async def refused_with(socket: WebsocketCommunicator, connected: bool) -> int | None:
    """The code `socket` was closed with at once after its handshake was accepted; None when its
    handshake was refused (the browser would see 1006) or when something else came first."""
    if not connected:
        return None
    output = await socket.receive_output(timeout=5)
    return output.get("code") if output["type"] == "websocket.close" else None
