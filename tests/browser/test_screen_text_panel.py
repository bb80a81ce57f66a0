"""The video page while its screen is read, in a real browser: the ready player plays throughout, the
transcript panel says "Reading the screen… N%" live, and when the stage ends the panel alone is
swapped for one listing the text shown on screen among the said lines, marked "on screen"; a click on
a shown line seeks the player like a said line."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.browser.test_video_pages import page_errors, playback, ready_video, transcript_line, wait_until
from tests.factories import UserFactory
from videos.screen_text import stage
from videos.screen_text.reading import ShownLine
from videos.screen_text.stage import screen_text_read

pytestmark = pytest.mark.browser

SIGN = "Kitchen rules: wash your hands"


def _read_in_a_worker(video_id: int) -> None:
    try:
        screen_text_read(video_id)
    finally:
        connections.close_all()  # this thread's own connection


def test_the_page_follows_the_reading_live_then_lists_the_shown_lines_marked_and_seeks_them(
    site_url: str, page: Page, tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    halfway_seen = threading.Event()

    def read_screen(path, *, duration, fingerprint=None, on_progress=None):
        on_progress(0.6)
        assert halfway_seen.wait(30), "the page never showed the progress"
        return [ShownLine(start=4.5, end=7.0, text=SIGN, box=(0.1, 0.1, 0.6, 0.08), confidence=0.95)]

    monkeypatch.setattr(stage, "read_screen", read_screen)
    errors = page_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    player = page.locator("video[data-player]")
    expect(player).to_be_visible()
    player.evaluate("(video) => { video.dataset.sameElement = 'yes'; }")
    status = page.locator("[data-screen-text-status]")
    expect(status).to_be_hidden()
    page.wait_for_timeout(500)  # the page's socket is open

    # Off this thread: Playwright's event loop runs here, and the pushes go out through async_to_sync.
    with ThreadPoolExecutor(max_workers=1) as worker:
        reading = worker.submit(_read_in_a_worker, video.pk)
        expect(status).to_have_text("Reading the screen… 60%")
        expect(status).to_be_visible()
        expect(player).to_be_visible()  # the ready video plays meanwhile
        halfway_seen.set()
        reading.result(timeout=60)

    shown = transcript_line(page, SIGN)
    expect(shown).to_contain_text("[00:04]")
    expect(shown).to_contain_text("on screen")
    expect(shown.locator(".visually-hidden")).to_have_text("Shown on screen, not said: ")
    expect(status).to_be_hidden()
    lines = page.locator(".transcript-line .transcript-text").all_text_contents()
    assert lines.index(SIGN) == lines.index("Here is the kitchen where we cook.") + 1  # in time order
    assert player.evaluate("(video) => video.dataset.sameElement") == "yes"  # the player was not replaced

    shown.get_by_role("link").click()
    wait_until(lambda: playback(page)["time"] >= 4.5, page)
    expect(shown).to_have_attribute("aria-current", "true")
    assert page.url == f"{site_url}/videos/{video.pk}/"  # seeked in place, no navigation
    assert errors == []
