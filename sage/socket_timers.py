"""A socket's own deadline: something a consumer does at an instant unless it disconnects first
(a share link's sockets close when the link expires, on its comments and in its live sessions)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

from django.utils import timezone


def call_at(when: datetime | None, then: Callable[[], Awaitable[None]]) -> asyncio.Task[None] | None:
    """Run `then()` at `when` (at once if it has passed; never for None), on this event loop."""
    if when is None:
        return None

    async def wait_then() -> None:
        await asyncio.sleep(max(0.0, (when - timezone.now()).total_seconds()))
        await then()

    return asyncio.ensure_future(wait_then())


async def cancel_timer(timer: asyncio.Task[None] | None) -> None:
    """Cancel a `call_at` that has not run, and wait until it has stopped (not from inside it: its
    own `then()` may end in the disconnect that calls this)."""
    if timer is None or timer is asyncio.current_task():
        return
    timer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await timer
