"""The change list's page in a browser: choosing an event seeks both players to it, v1 to where its
material sat and v2 to where it is now. The row is stored by hand on the refined page's files (A 14 s,
B 19.2 s at 15 fps: B opens with 1.4 s of new material, then A 0–9.6 s, 3.8 s inserted, A 9.6–14 s)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.browser.test_compare_page import (
    REFINED_SPANS,
    comparison_of_refined_files,
    refined_files,  # noqa: F401  # the module's files, shared as a fixture
    times,
    wait_until,
)
from tests.browser.test_team_review_live import signed_in_page
from tests.browser.test_video_pages import page_errors
from videos.models import Comparison

pytestmark = pytest.mark.browser

HALF_FRAME = 1 / 30  # players are sent to a frame's middle (15 fps)


@pytest.fixture
def change_comparison(transactional_db, refined_files, settings) -> Comparison:  # noqa: F811
    return comparison_of_refined_files(refined_files, settings, "Interview, cut again", matched_spans=REFINED_SPANS)


def test_choosing_an_event_seeks_both_players_to_it(site_url: str, page: Page, change_comparison: Comparison) -> None:
    errors = page_errors(page)
    log_in(page, site_url, change_comparison.owner.email)
    page.goto(f"{site_url}/compare/{change_comparison.pk}/changes/")
    page.wait_for_function(
        "() => [...document.querySelectorAll('video[data-player]')].every((video) => video.readyState >= 1)"
    )
    rows = page.locator("tr.change-row")
    expect(rows).to_have_count(4)

    # Event 4: A's last 4.4 s, played from 14.8 s on B.
    rows.nth(3).get_by_role("button").click()
    wait_until(
        lambda: (
            abs(times(page)["a"] - (9.6 + HALF_FRAME)) < 0.01 and abs(times(page)["b"] - (14.8 + HALF_FRAME)) < 0.01
        ),
        page,
    )
    assert "is-current" in (rows.nth(3).get_attribute("class") or "")

    # Event 3, the insertion: B at its start, A at the point it sits in (A's 9.6 s).
    page.locator('[data-event-block="3"]').first.click()
    wait_until(lambda: abs(times(page)["b"] - (11.0 + HALF_FRAME)) < 0.01, page)
    assert abs(times(page)["a"] - (9.6 + HALF_FRAME)) < 0.01
    assert times(page)["aPaused"] and times(page)["bPaused"]
    assert errors == []


def test_an_events_status_is_saved_as_it_is_chosen_and_shows_live_on_another_open_page(
    site_url: str, page: Page, browser, change_comparison: Comparison
) -> None:
    errors = page_errors(page)
    log_in(page, site_url, change_comparison.owner.email)
    page.goto(f"{site_url}/compare/{change_comparison.pk}/changes/")
    other = signed_in_page(browser, site_url, change_comparison.owner.email)  # a teammate's page, say
    other.goto(f"{site_url}/compare/{change_comparison.pk}/changes/")
    other.wait_for_function("() => window.__eventsSocketOpen === true")
    # Without JavaScript each menu has a Save button; with it, choosing saves.
    expect(page.locator("[data-event-status-save]").first).to_be_hidden()

    page.get_by_label("Status of event 3").select_option("Done")

    row = page.locator('tr[data-event="3"]')
    expect(row).to_have_attribute("data-event-status", "done")
    expect(row.locator("[data-event-status-by]")).to_contain_text("by ")
    expect(page.locator("[data-events-done]")).to_have_text("1")
    # The teammate's page, open all along, follows.
    expect(other.get_by_label("Status of event 3")).to_have_value("done")
    expect(other.locator("[data-events-done]")).to_have_text("1")
    page.reload()
    expect(page.get_by_label("Status of event 3")).to_have_value("done")
    # The list's extra column scrolls inside its card: the page is no wider than a laptop's or a phone's window.
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("() => document.documentElement.scrollWidth") == width
    other.context.close()
    assert errors == []
