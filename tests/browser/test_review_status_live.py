"""Review statuses, live, with two browsers (issue 52, approvals): the owner shares a version with a
link that lets reviewers set the status, requests changes on its page, and the guest's shared page
shows it without a reload; the guest approves it there and the owner's open library shows it
without a reload."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.conf import settings
from playwright.sync_api import Page, expect

from reviews.live import link_group
from reviews.models import ShareLink
from sage.realtime import user_group
from tests.browser.signing_in import log_in
from tests.browser.test_compare_page import wait_until
from tests.browser.test_review_comments import guest_context
from tests.factories import UserFactory, VideoFactory
from videos.models import ReviewStatus, Video

pytestmark = pytest.mark.browser


def listened(group: str) -> bool:
    """Whether a socket of the site has joined `group`: the pub/sub channel layer subscribes its
    process to the group's Redis channel when the first socket joins. Waiting for it, rather than
    for a page to look loaded, makes sure an event sent next reaches the page."""
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]  # type: ignore[index]  # a dict
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return any(count > 0 for _, count in client.pubsub_numsub(f"{prefix}__group__{group}"))
    finally:
        client.close()


def badge(page: Page, video: Video) -> Any:
    return page.locator(f'[data-review-status-of="video:{video.pk}"]').first


def test_a_status_set_in_one_browser_shows_in_the_other_without_a_reload(
    site_url: str, page: Page, browser: Any
) -> None:
    owner = UserFactory(display_name="Ana")
    video = VideoFactory(owner=owner, ready=True, title="Cut 3")

    # The owner shares the video from its page, letting reviewers set the status (share_links.js).
    log_in(page, site_url, owner.email)
    video_tab = page.context.new_page()
    video_tab.goto(f"{site_url}/videos/{video.pk}/")
    panel = video_tab.locator("#share-links")
    panel.locator("summary").click()
    panel.get_by_label("Name").fill("Client")
    panel.get_by_label("Reviewers may").select_option("comment")
    panel.get_by_label("Let reviewers set the review status").check()
    panel.get_by_role("button", name="Create link").click()
    row = panel.locator("[data-share-link]").filter(has_text="Client")
    expect(row.locator('[data-field="allow-status"]')).to_have_text("Sets status")
    url = row.locator('[data-field="url"]').input_value()
    link = ShareLink.objects.get(video=video)
    assert link.allow_status is True

    # The owner's library, left open, and the guest's shared page, each marked to tell a reload.
    page.goto(f"{site_url}/videos/")
    expect(badge(page, video)).to_have_text("Review status: In progress")
    guest = guest_context(browser).new_page()
    guest.goto(url)
    expect(badge(guest, video)).to_have_text("Review status: In progress")
    for each in (page, guest):
        each.evaluate("window.__notReloaded = true")
    wait_until(lambda: listened(user_group(owner.pk)) and listened(link_group(link.pk)), page)

    # The owner requests changes from the video's page, in the other tab: the guest sees it at once.
    video_tab.reload()
    card = video_tab.locator("#review-status")
    card.get_by_label("Review status of Cut 3").select_option("changes_requested")
    card.get_by_role("button", name="Set status").click()
    expect(video_tab.get_by_text("Review status set to “Changes requested”.")).to_be_visible()

    expect(badge(guest, video)).to_have_text("Review status: Changes requested")
    guests_card = guest.locator("#review-status")
    expect(guests_card.locator("[data-review-status-who]")).to_have_text("Changes requested by Ana, just now")
    expect(guests_card.locator("[data-review-status-history] li").first).to_contain_text("Changes requested by Ana")
    assert guest.evaluate("window.__notReloaded") is True

    # The guest approves it under their name: the owner's library shows it at once.
    guests_card.get_by_label("Your name").fill("Bea")
    guests_card.get_by_label("Review status").select_option("approved")
    guests_card.get_by_role("button", name="Set status").click()
    expect(guest.get_by_text("Review status set to “Approved”.")).to_be_visible()

    expect(badge(page, video)).to_have_text("Review status: Approved")
    assert page.evaluate("window.__notReloaded") is True
    video.refresh_from_db()
    assert video.review_status == ReviewStatus.APPROVED
    assert list(video.status_changes.values_list("by_name", "to_status")) == [
        ("Bea", "approved"),
        ("Ana", "changes_requested"),
    ]
    guest.context.close()
