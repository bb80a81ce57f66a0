"""The owner's Share panel on the comparison page, in a real browser: make a link, copy it, give it a
new URL, revoke it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from reviews.models import ShareLink
from reviews.selectors import share_link_resolve
from sage.errors import NotFound
from tests.browser.signing_in import log_in
from tests.browser.test_video_pages import page_errors
from tests.factories import ComparisonFactory

pytestmark = pytest.mark.browser


def test_the_owner_creates_copies_and_revokes_a_share_link(site_url: str, page: Page) -> None:
    comparison = ComparisonFactory(refined=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
    errors = page_errors(page)
    log_in(page, site_url, comparison.owner.email)
    page.goto(f"{site_url}/compare/{comparison.pk}/")

    panel = page.locator("#share-links")
    panel.locator("summary").click()
    expect(panel.get_by_text("No links yet.")).to_be_visible()
    panel.get_by_label("Name").fill("Client, round 2")
    panel.get_by_label("Reviewers may").select_option("comment")
    panel.get_by_label("Password").fill("open sesame")
    panel.get_by_role("button", name="Create link").click()

    row = panel.locator("[data-share-link]").first
    expect(row).to_contain_text("Client, round 2")
    expect(row).to_contain_text("View and comment")
    expect(row).to_contain_text("Not opened yet")
    expect(panel.get_by_text("No links yet.")).to_be_hidden()
    # Made through the API, without leaving the page.
    assert page.url == f"{site_url}/compare/{comparison.pk}/"
    link = ShareLink.objects.get()
    assert link.permission == "comment" and link.has_password

    row.get_by_role("button", name="Copy share link").click()
    expect(row.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"{site_url}/s/")
    token = copied.removeprefix(f"{site_url}/s/").removesuffix("/")
    assert share_link_resolve(token, "open sesame") == link

    # A new URL for the row the script made: the page reloads and says so; the old URL opens nothing.
    row.get_by_role("button", name="New URL").click()
    expect(page.get_by_text("has a new URL")).to_be_visible()
    with pytest.raises(NotFound):
        share_link_resolve(token, "open sesame")
    row = page.locator("#share-links [data-share-link]").first
    token = row.locator("[data-field=url]").input_value().removeprefix(f"{site_url}/s/").removesuffix("/")
    assert share_link_resolve(token, "open sesame") == link

    row.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)
    with pytest.raises(NotFound):
        share_link_resolve(token, "open sesame")

    # After a reload the list says the same, from the server.
    page.reload()
    expect(page.locator("#share-links [data-share-link]").first).to_contain_text("Revoked")
    assert errors == []
