"""A video's page, open while the video's processing run dies and is taken over, says so live:
"Resuming after a crash (attempt 2 of 3)" appears without a reload, from the takeover's own push."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.browser.test_video_pages import page_errors
from tests.factories import UserFactory, VideoFactory
from videos.models import Video
from videos.services import videos_take_over_lapsed
from videos.tasks import process_video

pytestmark = pytest.mark.browser


def _sweep() -> tuple[int, int]:
    try:
        return videos_take_over_lapsed(max_attempts=3)
    finally:
        connections.close_all()  # this thread's own connection


def test_the_video_page_says_live_that_the_video_resumes_after_a_crash(
    site_url: str, page: Page, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.VIDEO_MAX_ATTEMPTS = 3
    # The requeued task is not run here (the suite runs tasks inline): only the page is looked at.
    monkeypatch.setattr(process_video, "apply_async", lambda *args, **kwargs: None)
    user = UserFactory()
    video = VideoFactory(
        owner=user, title="Lecture", status=Video.Status.PROCESSING, stage="clips", storage_key="videos/x/original.mp4"
    )
    errors = page_errors(page)
    log_in(page, site_url, user.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    note = page.locator('[data-field="resume-note"]')
    expect(note).to_be_hidden()
    page.wait_for_timeout(500)  # the page's socket is open

    Video.objects.filter(pk=video.pk).update(
        lease_owner="a-run-whose-worker-died", lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    # Off this thread: Playwright's event loop runs here, and the push goes out through async_to_sync.
    with ThreadPoolExecutor(max_workers=1) as sweeper:
        assert sweeper.submit(_sweep).result() == (1, 0)

    expect(note).to_have_text("Resuming after a crash (attempt 2 of 3)")
    expect(note).to_be_visible()
    assert not errors
