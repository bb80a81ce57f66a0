"""The library inserts videos added elsewhere (another tab's uploads, the API) live, in its own order."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.browser.threads import in_worker_thread
from tests.factories import UserFactory, VideoFactory
from videos.models import Video
from videos.pipeline.progress import push_video

pytestmark = pytest.mark.browser


def test_two_new_videos_appear_newest_first_whichever_is_announced_first(site_url: str, page: Page) -> None:
    person = UserFactory()
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/")
    expect(page.get_by_text("You have no videos yet")).to_be_visible()
    page.evaluate("window.__notReloaded = true")
    # Two uploads finish in the other order than they began (seen in CI: the older one's card never came).
    older = VideoFactory(owner=person, title="Older trip", status=Video.Status.QUEUED)
    newer = VideoFactory(owner=person, title="Newer trip", status=Video.Status.QUEUED)
    cards = page.locator(".video-card")

    in_worker_thread(push_video, newer)
    expect(cards).to_have_count(1)
    in_worker_thread(push_video, older)

    expect(cards).to_have_count(2)
    expect(cards.locator(".video-card-title")).to_have_text(["Newer trip", "Older trip"])
    assert page.evaluate("window.__notReloaded") is True
