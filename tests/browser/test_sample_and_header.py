"""A new account reaches the shared sample comparison in one click; the header is one row on a phone.

The sample is the real one: `sample_ensure()` makes the demo pair, the pipeline processes it (Celery
runs eagerly here) and the build adds its comparison, notes and prepared conversation."""

from __future__ import annotations

import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

from billing.models import LedgerEntry, Wallet
from showcase.sample import SAMPLE_NOTES
from showcase.services import sample_ensure
from tests.browser.signing_in import log_in
from tests.browser.test_compare_page import script_errors
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def box(locator: Locator) -> FloatRect:
    found = locator.bounding_box()
    assert found is not None, "not rendered"
    return found


PASSWORD = "a-long-and-unusual-passphrase-71"


def test_a_new_account_opens_the_sample_comparison_in_one_click_for_free(site_url: str, page: Page) -> None:
    sample = sample_ensure()  # processed and built at once (eager tasks run as the transaction commits)
    assert sample.state == "started"
    errors = script_errors(page)

    page.goto(f"{site_url}/accounts/signup/")
    page.get_by_label("Email").fill("first.visit@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{site_url}/")
    balance_before = page.locator("#header-balance .balance-value").inner_text()
    wallet = Wallet.objects.get(user__email="first.visit@example.com")
    entries_before = LedgerEntry.objects.filter(wallet=wallet).count()

    page.get_by_role("link", name="Open the sample comparison").click()

    page.wait_for_url(f"{site_url}/compare/*/")
    expect(page.locator("[data-sample-notice]")).to_contain_text("read-only")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('video[data-player]')].every((video) => video.readyState >= 2)"
    )
    expect(page.locator(".timeline-marker")).not_to_have_count(0)  # its differences, on the timeline
    expect(page.locator(".compare-note")).to_have_count(len(SAMPLE_NOTES))
    expect(page.locator(".compare-notes")).to_contain_text("Only in B: six seconds")
    transcripts = page.locator("[data-sample-transcripts]")
    expect(transcripts).to_contain_text("Welcome to the SAGE demo")
    chat = page.locator("[data-sample-chat]")
    expect(chat).to_contain_text("What was added to the edited version?")
    expect(chat.locator(".chat-chip").first).to_be_visible()
    # Read-only: nothing offers to add a note or keep a threshold.
    expect(page.locator("[data-note-open]")).to_be_hidden()
    expect(page.locator("[data-threshold-save]")).to_be_hidden()

    # A citation opens the sample at that moment of B (?tb=): B's player is there.
    chat.locator(".chat-chip").first.click()
    page.wait_for_url("**tb=*")
    page.wait_for_function("() => document.querySelector('video[data-player=\"b\"]').currentTime > 15")

    # On a phone too, the sample's notice leaves Play and the timeline on the first screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    for element in (page.get_by_role("button", name="Play both"), page.locator("[data-timeline-bar]")):
        expect(element).to_be_visible()
        found = box(element)
        assert found["y"] + found["height"] <= 844 and found["x"] + found["width"] <= 390, found

    assert page.locator("#header-balance .balance-value").inner_text() == balance_before
    assert LedgerEntry.objects.filter(wallet=wallet).count() == entries_before
    assert errors == []


def test_the_header_is_one_row_on_a_phone_and_its_menu_opens_over_the_page(site_url: str, browser) -> None:
    user = UserFactory()
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = context.new_page()
        errors = script_errors(page)
        log_in(page, site_url, user.email)
        header = page.locator(".site-header")
        toggle = page.get_by_role("button", name="Menu")
        videos_link = page.locator(".nav-links").get_by_role("link", name="Videos")
        heading = page.get_by_role("heading", level=1)

        expect(toggle).to_have_attribute("aria-expanded", "false")
        assert box(header)["height"] < 70  # one row (three rows measured 141 px)
        expect(page.locator("#header-balance")).to_be_visible()
        expect(videos_link).to_be_hidden()
        heading_top = box(heading)["y"]

        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(videos_link).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        assert box(heading)["y"] == heading_top  # opened over the page: nothing moved
        assert box(header)["height"] < 70

        page.keyboard.press("Escape")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(videos_link).to_be_hidden()

        toggle.click()
        videos_link.click()
        page.wait_for_url(f"{site_url}/videos/")
        assert errors == []
    finally:
        context.close()


def test_on_a_wide_screen_the_links_show_and_there_is_no_menu_button(site_url: str, page: Page) -> None:
    user = UserFactory()
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, site_url, user.email)
    expect(page.locator(".nav-links").get_by_role("link", name="Compare")).to_be_visible()
    expect(page.locator("[data-nav-toggle]")).to_be_hidden()
    assert box(page.locator(".site-header"))["height"] < 70
