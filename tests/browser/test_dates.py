"""Moments read the same way on a page, whoever wrote them (the server, or a script after an action),
in the viewer's own time zone: "28 Nov 2026 18:54" for a viewer in UTC is "29 Nov 2026 03:54" in Tokyo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reviews.models import ShareLink
from tests.browser.signing_in import log_in
from tests.browser.test_video_pages import ready_video
from tests.factories import ShareLinkFactory, UserFactory

pytestmark = pytest.mark.browser

OPENED = dt.datetime(2026, 11, 28, 18, 54, tzinfo=dt.UTC)


def test_share_link_times_written_by_the_server_and_by_the_script_read_alike_in_the_viewers_zone(
    site_url: str, browser, tmp_path: Path, settings
) -> None:
    owner = UserFactory()
    video = ready_video(owner, tmp_path, settings)
    link = ShareLinkFactory(video=video, name="Client")
    ShareLink.objects.filter(pk=link.pk).update(last_opened_at=OPENED)
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
    try:
        page = context.new_page()
        log_in(page, site_url, owner.email)
        page.goto(f"{site_url}/videos/{video.pk}/")
        panel = page.locator("#share-links")

        expect(panel.locator("[data-share-link]", has_text="Client")).to_contain_text("Last opened 29 Nov 2026 03:54")

        panel.get_by_label("Name").fill("Editor")
        panel.get_by_label("Expires").fill("2026-12-01T10:30")
        panel.get_by_role("button", name="Create link").click()
        made = panel.locator("[data-share-link]", has_text="Editor")
        expect(made).to_contain_text("expires 1 Dec 2026 10:30")
        assert ShareLink.objects.get(name="Editor").expires_at == dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)

        # The browser has named its zone: the server writes the page in it (before any script runs).
        page.route("**/static/js/shared/dates.js", lambda route: route.abort())
        page.reload()
        expect(panel.locator("[data-share-link]", has_text="Editor")).to_contain_text("expires 1 Dec 2026 10:30")
        expect(panel.locator("[data-share-link]", has_text="Client")).to_contain_text("Last opened 29 Nov 2026 03:54")
    finally:
        context.close()
