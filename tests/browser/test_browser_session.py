"""The browser tests' Chromium leaves the test process as it found it when it stops, so an async test
may follow a browser test in one process (pytest-xdist chooses the order of files)."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.browser_session import ASYNC_UNSAFE, BrowserSession

pytestmark = pytest.mark.browser


async def answer() -> int:
    await asyncio.sleep(0)
    return 42


def test_a_stopped_browser_gives_async_code_its_thread_back(_browser_session: BrowserSession) -> None:
    _browser_session.stop()  # as after the last browser test in a row
    before = os.environ.get(ASYNC_UNSAFE)

    _browser_session.browser().new_page().close()
    # While it runs, Playwright's loop holds this thread, and Django's guard is off for the ORM calls
    # of browser tests: what an async test after it used to find.
    assert os.environ[ASYNC_UNSAFE] == "true"
    refused = answer()
    with pytest.raises(RuntimeError, match="running event loop"):
        asyncio.run(refused)
    refused.close()

    _browser_session.stop()
    assert asyncio.run(answer()) == 42
    assert os.environ.get(ASYNC_UNSAFE) == before
