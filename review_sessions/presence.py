"""Presence frames coalesced per socket.

Every join, leave, follow change and handover pushes the session's whole participant list to every
socket (the contract's `participants` frame): fifty people joining together would make some 2,500
frames, each page redrawing its list for each. A socket sends the first list of a burst at once and
then at most one list per window, the newest: the list is whole, so the latest one says everything
the ones it replaced said, and nothing is lost at the end of a burst."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

# Long enough to fold a meeting joining at once into a few frames, short enough that a person who
# joins shows up in the others' lists before anyone would wonder.
PRESENCE_WINDOW_S = 0.25


class LatestWins:
    """Sends a value at once when none went in the last `window_s`; else keeps it (a newer one
    replaces it) and sends the one kept when the window ends."""

    def __init__(
        self,
        send: Callable[[Any], Awaitable[None]],
        *,
        window_s: float = PRESENCE_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.send = send
        self.window_s = window_s
        self.clock = clock
        self.sent_at = -float("inf")
        self.waiting = False
        self.kept: Any = None
        self.timer: asyncio.Task[None] | None = None

    async def offer(self, value: Any) -> None:
        wait = self.sent_at + self.window_s - self.clock()
        if wait <= 0 and self.timer is None:
            await self._send(value)
            return
        self.kept, self.waiting = value, True
        if self.timer is None:
            self.timer = asyncio.ensure_future(self._at_window_end(max(wait, 0.0)))

    async def flush(self) -> None:
        """Send the value kept now, if any: before a frame that must not overtake it."""
        await self._stop_timer()
        if self.waiting:
            value, self.kept, self.waiting = self.kept, None, False
            await self._send(value)

    async def close(self) -> None:
        """Nothing more goes out (the socket is closing): what is kept is dropped."""
        await self._stop_timer()
        self.kept, self.waiting = None, False

    async def _send(self, value: Any) -> None:
        self.sent_at = self.clock()
        await self.send(value)

    async def _at_window_end(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.timer = None  # this task is ending: flush must not cancel it
        await self.flush()

    async def _stop_timer(self) -> None:
        timer, self.timer = self.timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
