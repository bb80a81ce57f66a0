"""First chunks first: each web process prepares every waiting answer (paying for it, retrieving and
ranking its passages: the CPU work before its first words) before it spends CPU on answers already
under way (their later chunks, completing and settling them, their `done`).

With fifty questions at once and all of that interleaved, every answer's first chunk came near the end
of the whole burst's work, whole answers barely later (bench/chat.py's burst; figures in
bench/RESULTS.md). Preparing is about half of an answer's CPU, so serving it first brings the first chunks forward
and the ends back a little, and the first words are what a person waiting sees. An answer under way
waits at most MAX_WAIT_SECONDS, so a steady stream of questions cannot starve it.

Waiting on something outside (a language model's first token) is not preparing: it costs no CPU here,
and other answers must not wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref

MAX_WAIT_SECONDS = 1.0


class _Waiting:
    """The answers being prepared in one event loop, and an event set while there are none."""

    def __init__(self) -> None:
        self.count = 0
        self.none = asyncio.Event()
        self.none.set()


# One per event loop (an asyncio.Event belongs to the loop it is first awaited in; tests run a loop each).
_waiting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Waiting] = weakref.WeakKeyDictionary()


def _here() -> _Waiting:
    loop = asyncio.get_running_loop()
    waiting = _waiting.get(loop)
    if waiting is None:
        waiting = _waiting[loop] = _Waiting()
    return waiting


class Preparing:
    """One answer being prepared, from the question's arrival until its evidence is ready (or it is
    refused or fails). `done()` may be called any number of times: it counts once."""

    def __init__(self) -> None:
        self._waiting = _here()
        self._waiting.count += 1
        self._waiting.none.clear()
        self._open = True

    def done(self) -> None:
        if not self._open:
            return
        self._open = False
        self._waiting.count -= 1
        if self._waiting.count == 0:
            self._waiting.none.set()


def preparing_count() -> int:
    return _here().count


async def after_answers_being_prepared() -> None:
    """Return once no answer of this process is being prepared, or after MAX_WAIT_SECONDS."""
    waiting = _here()
    if waiting.count:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiting.none.wait(), MAX_WAIT_SECONDS)
