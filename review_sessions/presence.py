"""Presence frames coalesced: at their source (`SessionPresence`) and per socket (`LatestWins`).

Joins and leaves through a web process's sockets are told to their session's group by that process
once per PRESENCE_TICK_S, with the list read once then: a crowd of 300 joining in a second makes
about four lists, not 300 (each one sent to every socket of the session).

Each of those lists, and every follow change and handover, pushes the session's whole participant
list to every socket (the contract's `participants` frame): with several web processes, or people
following and handing over, a socket would still send a burst of them, each page redrawing its list
for each. A socket sends the first list of a burst at once and
then at most one list per window, the newest: the list is whole, so the latest one says everything
the ones it replaced said, and nothing is lost at the end of a burst."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer

from review_sessions import live, services
from review_sessions.offload import off_thread

logger = logging.getLogger(__name__)

# Long enough to fold a meeting joining at once into a few frames, short enough that a person who
# joins shows up in the others' lists before anyone would wonder.
PRESENCE_WINDOW_S = 0.25
# How long a process gathers its sockets' joins and leaves before telling each session's group who is
# in it: no longer than the window above (a page sees a list at most this much later), long enough
# to fold a crowd's joins into a few lists (each list costs every socket of the session a read).
PRESENCE_TICK_S = 0.25


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


class SessionPresence:
    """The sessions whose people changed through this process's sockets, told to their groups once
    a tick, from the event loop (no thread waits on Redis, no connection is held while it sends)."""

    def __init__(self, tick_s: float = PRESENCE_TICK_S) -> None:
        self.tick_s = tick_s
        self.changed_sessions: dict[str, int] = {}  # code -> id
        self.task: asyncio.Task[None] | None = None

    def changed(self, *, code: str, session_id: int) -> None:
        self.changed_sessions[code] = session_id
        task = self.task
        # One task per event loop while there is something to tell (a test's loop ends with its test).
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.ensure_future(self._tell())

    async def _tell(self) -> None:
        while self.changed_sessions:
            await asyncio.sleep(self.tick_s)
            changed, self.changed_sessions = self.changed_sessions, {}
            for code, session_id in changed.items():
                try:
                    people = await off_thread(services.participants_now)(session_id=session_id)
                    if people is not None:
                        message = live.session_message(live.PARTICIPANTS, people)
                        await get_channel_layer().group_send(live.session_group(code), message)
                except Exception:
                    # A list is a convenience (the next change tells again): losing one must never stop
                    # the telling of the others.
                    logger.warning("could not tell session %s who is in it", code, exc_info=True)


this_process = SessionPresence()
