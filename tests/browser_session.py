"""Chromium, driven by Playwright's sync API, for the browser tests of one test process: started by the
first test that asks for it, stopped as soon as the tests that use it are done.

While Playwright's sync API runs, it keeps its event loop marked as running on the main thread, and
the ORM code of browser tests needs `DJANGO_ALLOW_ASYNC_UNSAFE`. Neither may outlive the browser
tests: an async test after them would find the loop ("Runner.run() cannot be called from a running
event loop") and Django's guard against sync ORM calls in async code switched off. Stopping closes the
loop and puts the variable back, so tests may run in any order (pytest-xdist hands files to a process
in an order of its own)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, Playwright, sync_playwright

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


class BrowserSession:
    def __init__(self, executable: Path, args: list[str]) -> None:
        self._executable = executable
        self._args = args
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._async_unsafe_before: str | None = None

    @property
    def running(self) -> bool:
        return self._playwright is not None

    def browser(self) -> Browser:
        """The running browser, started first if it is not."""
        if self._browser is None:
            self._playwright = sync_playwright().start()
            # Browser tests' ORM calls are synchronous and safe, though a loop now runs in this thread.
            self._async_unsafe_before = os.environ.get(ASYNC_UNSAFE)
            os.environ[ASYNC_UNSAFE] = "true"
            self._browser = self._playwright.chromium.launch(executable_path=str(self._executable), args=self._args)
        return self._browser

    def stop(self) -> None:
        """Close the browser and Playwright's loop, and give the thread back as it was before."""
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
            if self._async_unsafe_before is None:
                os.environ.pop(ASYNC_UNSAFE, None)
            else:
                os.environ[ASYNC_UNSAFE] = self._async_unsafe_before
