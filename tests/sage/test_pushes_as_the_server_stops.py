"""A live event pushed by a request still in flight while the web server stops: it must not keep the
process from exiting (asgiref's async_to_sync waits for ever on a loop that has stopped)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from sage import realtime
from tests.sage.test_channel_layer import heard, layer_from_settings

# Far longer than a push takes; a thread still waiting after this is stuck.
STUCK_AFTER_SECONDS = 20.0


def push_from_a_request_thread(
    before_pushing: Callable[[asyncio.AbstractEventLoop], None], user_id: int
) -> float | None:
    """Runs a push in sync code called from a server's event loop (as daphne calls a sync view),
    after `before_pushing(loop)`; the seconds that code took to get past the push (None: stuck). A
    thread left stuck is released before returning, so the test process can still exit."""
    loop = asyncio.new_event_loop()
    server = threading.Thread(target=loop.run_forever)
    server.start()
    pushed = threading.Event()
    took: list[float] = []

    def view() -> None:
        before_pushing(loop)
        began = time.monotonic()
        realtime.push_to_user(user_id, "balance", {"balance": 3})
        took.append(time.monotonic() - began)
        pushed.set()

    asyncio.run_coroutine_threadsafe(sync_to_async(view, thread_sensitive=False)(), loop)
    got_past = pushed.wait(timeout=STUCK_AFTER_SECONDS)
    server.join(timeout=STUCK_AFTER_SECONDS)
    if not got_past:  # run the loop again: the stuck push gets its turn and the thread ends
        loop.run_until_complete(asyncio.sleep(1))
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    return took[0] if got_past else None


def stop_the_server(loop: asyncio.AbstractEventLoop) -> None:
    loop.call_soon_threadsafe(loop.stop)
    while loop.is_running():
        time.sleep(0.01)


@pytest.mark.django_db(transaction=True)  # pushes wait for the request thread's transaction
async def test_a_push_made_after_the_servers_loop_stopped_is_sent_and_the_request_goes_on(monkeypatch: Any) -> None:
    listener = layer_from_settings(monkeypatch, settings.REDIS_URL)
    user_id = uuid.uuid4().int % 10**9
    channel = await listener.new_channel()
    await listener.group_add(realtime.user_group(user_id), channel)
    try:
        await asyncio.sleep(0.2)  # SUBSCRIBE is sent, not awaited

        took = await asyncio.to_thread(push_from_a_request_thread, stop_the_server, user_id)

        assert took is not None and took < 2
        assert await heard(listener, channel, 5) == {
            "type": "push.event",
            "event": "balance",
            "data": {"balance": 3},
        }
    finally:
        await listener.flush()


@pytest.mark.django_db(transaction=True)
def test_a_push_the_servers_loop_never_runs_is_given_up_after_a_while(monkeypatch: Any) -> None:
    # The loop is still running when handed the push, but stops without running it (here: stuck
    # until it stops): the request thread goes on after PUSH_WAIT_SECONDS.
    wait = 0.5
    monkeypatch.setattr(realtime, "PUSH_WAIT_SECONDS", wait)

    def block_the_loop(loop: asyncio.AbstractEventLoop) -> None:
        started = threading.Event()

        def stuck() -> None:
            started.set()
            time.sleep(wait * 4)
            loop.stop()

        loop.call_soon_threadsafe(stuck)
        started.wait()

    took = push_from_a_request_thread(block_the_loop, uuid.uuid4().int % 10**9)

    assert took is not None and wait <= took < wait * 4
