"""A project's share link in a real browser with no account: the guest opens one of its videos from
the project's page, comments and approves it there, and another guest on the same video sees both
live; every request stays under the link."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from reviews.models import ShareLink
from tests.browser.test_compare_page import (  # noqa: F401  # fixtures: two real files
    refined_files,
    script_errors,
    stored_video,
)
from tests.browser.test_review_comments import comment_items, guest_context, post_comment, unexpected
from tests.browser.test_shared_page import outside, record_requests
from tests.factories import ProjectFactory, ShareLinkFactory, UserFactory
from videos.models import Video

pytestmark = pytest.mark.browser


def open_video_from_project(page: Page, url: str, title: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour ad")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator('[data-comments-list][aria-busy="false"]')).to_be_attached()


def test_a_guest_comments_and_approves_a_video_of_a_shared_project_and_another_guest_sees_it_live(
    site_url: str,
    browser: Any,
    refined_files,  # noqa: F811
    settings,
    transactional_db,
) -> None:
    owner = UserFactory()
    project = ProjectFactory(created_by=owner, name="Harbour ad")
    intro = stored_video(owner, refined_files[0], "Harbour intro", 14.0, 15, settings)
    outro = stored_video(owner, refined_files[1], "Harbour outro", 14.0, 15, settings)
    Video.objects.filter(pk__in=[intro.pk, outro.pk]).update(project=project)
    link: ShareLink = ShareLinkFactory(project=project, permission="comment", allow_status=True)
    url = f"{site_url}/s/{link.token}/"  # type: ignore[attr-defined]  # the factory keeps it
    ana_context, bea_context = guest_context(browser), guest_context(browser)
    try:
        ana, bea = ana_context.new_page(), bea_context.new_page()
        errors = script_errors(ana)
        seen = record_requests(ana)
        open_video_from_project(ana, url, "Harbour intro")
        open_video_from_project(bea, url, "Harbour intro")

        post_comment(ana, side=None, body="The logo is too big", name="Ana")
        expect(comment_items(ana)).to_have_count(1)
        expect(comment_items(bea)).to_have_count(1)
        expect(comment_items(bea).locator(".comment-body")).to_have_text("The logo is too big")

        card = ana.locator("[data-review-status-card]")
        card.get_by_label("Your name").fill("Ana")
        card.get_by_label("Review status").select_option("approved")
        card.get_by_role("button", name="Set status").click()
        expect(ana.get_by_text("Review status set to “Approved”")).to_be_visible()
        expect(ana).to_have_url(f"{url}v/{intro.pk}/")
        bea_badge = bea.locator(f'[data-review-status-card] [data-review-status-of="video:{intro.pk}"]')
        expect(bea_badge).to_have_text("Review status: Approved")
        expect(bea.locator("[data-review-status-who]")).to_have_text("Approved by Ana, just now")

        # The project's page shows each video's status; the other video has none of this.
        ana.goto(url)
        expect(ana.locator(f'[data-review-status-of="video:{intro.pk}"]')).to_have_text("Review status: Approved")
        expect(ana.locator(f'[data-review-status-of="video:{outro.pk}"]')).to_have_text("Review status: In progress")
        ana.get_by_role("link", name="Harbour outro").click()
        expect(ana.locator('[data-comments-list][aria-busy="false"]')).to_be_attached()
        expect(comment_items(ana)).to_have_count(0)
        assert outside(seen, link.token) == []  # type: ignore[attr-defined]
        assert unexpected(errors) == []
    finally:
        ana_context.close()
        bea_context.close()
