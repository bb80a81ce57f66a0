"""Questions asked over HTTP are paid for a few at a time in each web process.

A question's view (`POST /api/v1/conversations/{id}/messages`) is sync code on a thread of its own:
it reads the token, admits and pays for the answer, then returns the stream, whose writing runs on
the event loop. Fifty questions at once were fifty such threads taking turns with every page's for
the interpreter lock, and fifty requests ahead of every page in the database pool's queue: pages
waited until the whole burst was paid for. Here a question waits on the event loop, holding no
thread and no connection, until one of CHAT_QUESTIONS_PAYING_PER_PROCESS places is free, and gives
its place back as its response starts (its stream is then written as before). The burst is paid for
as fast as before, and pages run beside a few of its threads instead of behind all of them.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve

ASKING_URL_NAME = "api-conversation-messages"


def _asks_a_question(scope: dict[str, Any]) -> bool:
    if scope["type"] != "http" or scope.get("method") != "POST":
        return False
    try:
        return resolve(scope["path"]).url_name == ASKING_URL_NAME
    except Resolver404:
        return False


class PaidAFewAtATime:
    """ASGI middleware around Django's app: the place a question waits for before its view runs."""

    def __init__(self, app: Any) -> None:
        self.app = app
        # One semaphore per event loop (asyncio objects belong to the loop that first awaits them).
        self._places: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        places = self._places.get(loop)
        if places is None:
            places = self._places[loop] = asyncio.Semaphore(settings.CHAT_QUESTIONS_PAYING_PER_PROCESS)
        return places

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not _asks_a_question(scope):
            await self.app(scope, receive, send)
            return
        places = self._semaphore()
        await places.acquire()
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                places.release()

        async def send_and_give_back(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                give_back()  # paid for (or refused): the answer's writing needs no place here
            await send(message)

        try:
            await self.app(scope, receive, send_and_give_back)
        finally:
            give_back()
