"""Participants kept seen by the web process that holds their sockets.

A participant counts as connected while some process holds one of their sockets. A process that
crashes never counts its sockets out, so each process refreshes `last_seen_at` for every participant
it holds, in one UPDATE every HEARTBEAT_S; rows it stops refreshing go stale after STALE_AFTER and
the sweep (`review_sessions.tasks`) counts them out. The refresh comes from the server, not from the
page's clock pings: a browser slows the timers of a tab left in the background (Chrome to once a
minute after five minutes hidden), which would make a quiet but present person look gone. A client
that vanished without closing its socket is closed by daphne's own WebSocket pings."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from django.db import DatabaseError

from review_sessions import services
from review_sessions.offload import off_thread

logger = logging.getLogger(__name__)

HEARTBEAT_S = 10.0


class Heartbeat:
    """The participants this process holds sockets of (a count each: two tabs, one participant),
    and the task that keeps them seen while there are any."""

    def __init__(self) -> None:
        self.held: Counter[int] = Counter()
        self.task: asyncio.Task[None] | None = None

    def hold(self, participant_id: int) -> None:
        self.held[participant_id] += 1
        task = self.task
        # One task per event loop: a loop that ended (a test's) left its task behind.
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.ensure_future(self._beat())

    def release(self, participant_id: int) -> None:
        self.held[participant_id] -= 1
        if self.held[participant_id] <= 0:
            del self.held[participant_id]
        if not self.held and self.task is not None:
            self.task.cancel()  # nothing to keep seen: no task idles in the process
            self.task = None

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            held = list(self.held)
            if not held:
                continue
            try:
                await off_thread(services.participants_seen)(participant_ids=held)
            except DatabaseError:
                # The database is away: the next beat tries again. (Away for longer than STALE_AFTER,
                # the sweep counts these people out as after a crash, until their pages reconnect.)
                logger.warning("could not refresh %d session participants as seen", len(held), exc_info=True)


this_process = Heartbeat()
