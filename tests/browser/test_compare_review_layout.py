"""The comparison page and the shared page as a review tool, in Chromium, measured (issue 50): the
comments beside the players at desktop widths and below them on a phone, finger-sized targets and
exports clear of the title on a phone, each paused player showing the frame at its playhead, a move
played side by side, the A/V sync row's label readable, and the owner's comments card there as soon
as the first link is made.

The comparison is test_compare_findings' engine-3 row on test_compare_page's refined files (A 14 s,
B 19.2 s), with its move (A's 10–12 s is B's 2–4 s) and its A/V sync row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from reviews.models import ShareLink
from tests.browser import test_compare_page as compare_page
from tests.browser.test_compare_findings import MOVED, SEGMENTS, SYNC
from tests.browser.test_compare_page import (
    IN_STEP_S,
    REFINED_SPANS,
    b_for_a_refined,
    comparison_of_refined_files,
    open_comparison,
    script_errors,
    times,
    wait_until,
)
from tests.browser.test_review_together import create_link_from_the_share_panel
from tests.browser.threads import in_worker_thread
from tests.factories import CommentFactory, ShareLinkFactory
from videos.models import Comparison

pytestmark = pytest.mark.browser

refined_files = compare_page.refined_files

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
TOUCH_PX = 44  # WCAG 2.5.5, Apple's and Google's guides
MOVE = SEGMENTS.index(MOVED)
PICTURE = 2  # the replaced shot: A 3.2 s is B 4.6 s
COMMENTS = 10  # more than the list shows at once, at either size


@pytest.fixture
def comparison(transactional_db, refined_files, settings) -> Comparison:
    return comparison_of_refined_files(
        refined_files,
        settings,
        "Interview, re-cut",
        engine=3,
        threshold=0.15,
        offset=1.4,
        matched_spans=REFINED_SPANS,
        measured=[],
        segments=SEGMENTS,
        findings=[SYNC, MOVED],
        counts={"only_b": 2, "visual": 1, "high": 1, "av_sync": 1, "moved": 1},
        similarity=61.46,
        summary="5 differences.",
    )


def commented_link(side: str, **shared: Any) -> Any:
    """A link reviewers comment through, with more comments than the panel shows at once."""
    link = ShareLinkFactory(permission="comment", name="Client", **shared)

    def comment() -> None:
        for number in range(COMMENTS):
            CommentFactory(link=link, side=side, start=0.5 + number, body=f"Note {number}: the logo is too big here")

    in_worker_thread(comment)  # the comments' live pushes cannot run on Playwright's thread
    return link


@pytest.fixture
def link(comparison: Comparison) -> Any:
    return commented_link("b", comparison=comparison)


@pytest.fixture
def video_link(comparison: Comparison) -> Any:
    """A link to one video (the shared page of a video, not of a comparison)."""
    return commented_link("video", video=comparison.video_a)


@dataclass
class Opened:
    page: Page
    errors: list[str]


@pytest.fixture
def open_page(browser: Any, site_url: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def opening(where: str, viewport: dict[str, int], comparison: Comparison | None = None) -> Opened:
        phone = viewport["width"] < 600
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if comparison is not None:
            opened = open_comparison(page, site_url, comparison)
            return Opened(page, opened.errors)
        errors = script_errors(page)
        page.goto(f"{site_url}{where}")
        expect(page.get_by_role("button", name="Play both")).to_be_visible()
        page.wait_for_function(
            "() => [...document.querySelectorAll('video[data-player]')].every((video) => video.readyState >= 3)"
        )
        return Opened(page, errors)

    yield opening
    for context in contexts:
        context.close()


def box(locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def comments_list_ready(page: Page) -> None:
    expect(page.locator('[data-comments-list][aria-busy="false"]')).to_be_attached()


# Every target a finger taps on the page (the site's header is another part's): links, buttons, the
# markers' menu, selects, sliders, and the labels a box or a radio is ticked through.
SMALL_TARGETS = """() => [...document.querySelectorAll(
      `article a, article button, article summary, article select, article input[type=range],
       article label:has(input[type=checkbox], input[type=radio]), article .field-check`)]
    .filter((element) => element.getClientRects().length && getComputedStyle(element).visibility !== 'hidden')
    .map((element) => {
      const box = element.getBoundingClientRect();
      const name = (element.getAttribute('aria-label') || element.textContent || element.name || '').trim();
      return { name: name.replace(/\\s+/g, ' ').slice(0, 50), width: box.width, height: box.height };
    })
    .filter((target) => target.width > 0 && (target.width < 43.5 || target.height < 43.5))"""


def scrolls_by_itself(page: Page) -> None:
    comment_list = page.locator("[data-comments-list]")
    expect(comment_list.locator(":scope > .comment")).to_have_count(COMMENTS)
    sizes = comment_list.evaluate("(list) => [list.scrollHeight, list.clientHeight]")
    assert sizes[0] > sizes[1], sizes
    comment_list.hover()
    scrolled = page.evaluate("window.scrollY")
    page.mouse.wheel(0, 400)
    page.wait_for_function("() => document.querySelector('[data-comments-list]').scrollTop > 0")
    assert page.evaluate("window.scrollY") == scrolled
    page.evaluate("window.scrollTo(0, 0)")


def test_at_desktop_width_the_comments_sit_beside_the_players_and_their_list_scrolls_alone(
    comparison: Comparison, link: Any, video_link: Any, open_page: Any, site_url: str, browser: Any
) -> None:
    for opened in (
        open_page("", DESKTOP, comparison),  # the owner's page
        open_page(f"/s/{link.token}/", DESKTOP),  # the reviewer's
    ):
        page = opened.page
        comments_list_ready(page)
        players = box(page.locator(".compare-players"))
        panel = page.locator("[data-comments-panel]")
        beside = box(panel)
        # To the right of both players, level with them: the video stays in view while writing.
        assert beside["x"] >= players["x"] + players["width"], (players, beside)
        assert beside["y"] < players["y"] + players["height"] / 2, (players, beside)
        assert beside["x"] + beside["width"] <= DESKTOP["width"]
        assert beside["height"] <= DESKTOP["height"], beside  # it fits a screen: it stays in view as one scrolls
        scrolls_by_itself(page)  # the page stays where it is
        # "Next" never goes to a row of its own: it keeps to the steps and "Previous".
        steps = [
            box(page.get_by_role("button", name=name))
            for name in ("One second back", "One second forward", "Previous difference", "Next difference")
        ]
        middles = [step["y"] + step["height"] / 2 for step in steps]
        assert max(middles) - min(middles) < 2, steps
        assert all(step["height"] < 48 for step in steps), steps  # no label wraps inside its button
        assert opened.errors == []

    # The reviewer's composer opens in the panel, the players beside it.
    page.get_by_role("button", name="Comment at this moment").click()
    field = box(page.locator("[data-comment-body]"))
    assert field["x"] >= players["x"] + players["width"] and field["y"] + field["height"] <= DESKTOP["height"]

    # A shared video: its comments beside its player too, their list scrolling by itself.
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(f"{site_url}/s/{video_link.token}/")
        comments_list_ready(page)
        player, beside = box(page.locator("video[data-player]")), box(page.locator("[data-comments-panel]"))
        assert beside["x"] >= player["x"] + player["width"] and beside["y"] < player["y"] + player["height"] / 2
        scrolls_by_itself(page)
    finally:
        context.close()


def test_on_a_phone_the_comments_come_below_the_players_and_every_target_is_finger_sized(
    comparison: Comparison, link: Any, video_link: Any, open_page: Any, site_url: str, browser: Any
) -> None:
    owner = open_page("", PHONE, comparison)
    page = owner.page
    comments_list_ready(page)
    players = box(page.locator(".compare-players"))
    panel = box(page.locator("[data-comments-panel]"))
    assert panel["y"] >= players["y"] + players["height"] and panel["x"] >= 0
    assert panel["x"] + panel["width"] <= PHONE["width"]

    # The exports stay clear of the title and the way back.
    exports = [
        page.get_by_role("link", name="Export JSON"),
        page.get_by_role("link", name="Export CSV"),
        page.locator(".compare-markers > summary"),
    ]
    for heading in (page.get_by_role("heading", level=1), page.get_by_role("link", name="Your comparisons")):
        held = box(heading)
        for export in exports:
            other = box(export)
            apart = (
                other["x"] >= held["x"] + held["width"]
                or held["x"] >= other["x"] + other["width"]
                or other["y"] >= held["y"] + held["height"]
                or held["y"] >= other["y"] + other["height"]
            )
            assert apart, (held, other)
            assert other["x"] >= 0 and other["x"] + other["width"] <= PHONE["width"]

    # Every target, the markers' menu open, is at least 44 × 44 px.
    page.locator(".compare-markers > summary").click()
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], json.dumps(small, indent=1)
    assert owner.errors == []

    guest = open_page(f"/s/{link.token}/", PHONE)
    comments_list_ready(guest.page)
    small = guest.page.evaluate(SMALL_TARGETS)
    assert small == [], json.dumps(small, indent=1)
    assert guest.errors == []

    # A shared video's page too: its comments under the player, every target finger-sized.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{site_url}/s/{video_link.token}/")
        comments_list_ready(page)
        player, below = box(page.locator("video[data-player]")), box(page.locator("[data-comments-panel]"))
        assert below["y"] >= player["y"] + player["height"]
        small = page.evaluate(SMALL_TARGETS)
        assert small == [], json.dumps(small, indent=1)
    finally:
        context.close()


def shown_frames(page: Page) -> list[dict]:
    return page.evaluate(
        """() => ['a', 'b'].map((side) => {
          const video = document.querySelector(`video[data-player="${side}"]`);
          return { poster: video.getAttribute('poster'), ready: video.readyState, time: video.currentTime,
                   paused: video.paused, seeking: video.seeking };
        })"""
    )


def test_before_play_each_player_shows_the_frame_at_its_playhead_not_a_poster(
    comparison: Comparison, open_page: Any
) -> None:
    page = open_page("", DESKTOP, comparison).page
    # Opened: the frame at the start of each video (no poster stands in for it).
    for frame in shown_frames(page):
        assert frame["poster"] is None and frame["ready"] >= 2 and frame["paused"], frame
    # Sought while paused: each shows the frame at its own time for the playhead (A 3.2 s, B 4.6 s).
    page.locator(f'[data-difference="{PICTURE}"] [data-seek-difference]').click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('video[data-player]')]
             .every((video) => !video.seeking && video.readyState >= 2)"""
    )
    frames = shown_frames(page)
    assert [round(frame["time"], 1) for frame in frames] == [3.2, 4.6]
    for frame in frames:
        assert frame["poster"] is None and frame["paused"], frame
    # The picture drawn is that frame: B's replaced shot (noise), not the opening shapes of a poster.
    spread = page.evaluate(
        """() => {
          const video = document.querySelector('video[data-player="b"]');
          const canvas = document.createElement('canvas');
          canvas.width = 32; canvas.height = 18;
          const context = canvas.getContext('2d');
          context.drawImage(video, 0, 0, 32, 18);
          const pixels = context.getImageData(0, 0, 32, 18).data;
          let changes = 0;
          for (let index = 4; index < pixels.length; index += 4) {
            changes += Math.abs(pixels[index] - pixels[index - 4]) > 40 ? 1 : 0;
          }
          return changes;
        }"""
    )
    assert spread > 100, spread  # noise changes from pixel to pixel; the shapes' flat colours do not


def test_a_moved_stretch_plays_side_by_side_from_both_of_its_places(comparison: Comparison, open_page: Any) -> None:
    opened = open_page("", DESKTOP, comparison)
    page = opened.page
    page.locator(f'[data-difference="{MOVE}"] [data-seek-difference]').click()
    wait_until(lambda: times(page)["a"] == pytest.approx(10.0, abs=0.05), page)
    wait_until(lambda: times(page)["b"] == pytest.approx(2.0, abs=0.05), page)

    page.get_by_role("button", name="Play both").click()
    # Both advance at once, each through its own place: B does not wait while A plays.
    wait_until(lambda: times(page)["a"] > 10.8, page)
    now = times(page)
    assert not now["aPaused"] and not now["bPaused"], now
    assert now["b"] == pytest.approx(2.0 + (now["a"] - 10.0), abs=0.2), now
    # At the end of the stretch both stop, side by side at its two ends.
    wait_until(lambda: times(page)["aPaused"] and times(page)["bPaused"], page)
    end = times(page)
    assert end["a"] == pytest.approx(12.0, abs=0.2) and end["b"] == pytest.approx(4.0, abs=0.2), end
    # The next Play goes on in step from A's place (A 9.6–14.0 s is B 14.8–19.2 s).
    page.get_by_role("button", name="Play both").click()
    wait_until(lambda: times(page)["a"] > end["a"] + 0.5, page)
    now = times(page)
    assert now["b"] == pytest.approx(b_for_a_refined(now["a"]), abs=IN_STEP_S), now

    # Sought elsewhere while a move plays: both go on in step from there (A 3.2 s is B 4.6 s).
    page.locator(f'[data-difference="{MOVE}"] [data-seek-difference]').click()
    page.get_by_role("button", name="Play both").click()
    wait_until(lambda: times(page)["a"] > 10.3, page)
    page.locator(f'[data-difference="{PICTURE}"] [data-seek-difference]').click()
    wait_until(lambda: 3.5 < times(page)["a"] < 5.0, page)
    now = times(page)
    assert not now["aPaused"] and not now["bPaused"], now
    assert now["b"] == pytest.approx(b_for_a_refined(now["a"]), abs=IN_STEP_S), now
    # …and the page follows them again: A's clock says A's time.
    wait_until(lambda: clock_seconds(page, "a") == pytest.approx(times(page)["a"], abs=0.3), page, timeout_s=5)
    assert opened.errors == []


def clock_seconds(page: Page, side: str) -> float:
    minutes, seconds = page.locator(f'[data-clock-time="{side}"]').inner_text().split(":")
    return int(minutes) * 60 + float(seconds)


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_the_av_sync_rows_label_is_readable(comparison: Comparison, open_page: Any) -> None:
    page = open_page("", DESKTOP, comparison).page
    label = page.locator("[data-timeline-sync] .timeline-marker-text")
    expect(label).to_be_visible()
    # The colours the browser paints: the text's, and the first opaque background behind it, with no
    # pattern (the dots) between them.
    painted = label.evaluate(
        """(text) => {
          const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
          let holder = text;
          while (holder && rgb(getComputedStyle(holder).backgroundColor)[3] === 0) {
            holder = holder.parentElement;
          }
          const style = getComputedStyle(holder);
          return { color: rgb(getComputedStyle(text).color), background: rgb(style.backgroundColor),
                   pattern: style.backgroundImage, size: parseFloat(getComputedStyle(text).fontSize),
                   height: text.getBoundingClientRect().height };
        }"""
    )
    assert painted["pattern"] == "none", painted
    assert len(painted["background"]) == 3 or painted["background"][3] == 1, painted
    lighter, darker = sorted(
        (relative_luminance(painted["color"][:3]), relative_luminance(painted["background"][:3])), reverse=True
    )
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5, painted
    assert painted["size"] >= 11 and painted["height"] >= painted["size"], painted


def test_the_owners_comments_card_appears_with_the_first_link_and_hears_its_comments_live(
    comparison: Comparison, open_page: Any, site_url: str
) -> None:
    opened = open_page("", DESKTOP, comparison)
    page = opened.page
    panel = page.locator("[data-comments-panel]")
    # Before any link: the card is there for the owner's own comments and drawings.
    expect(panel.get_by_role("button", name="Comment at this moment")).to_be_visible()

    create_link_from_the_share_panel(page, site_url, "Client, round 1")
    expect(panel).to_be_visible()
    expect(panel.get_by_text("No comments yet.")).to_be_visible()

    # A reviewer comments through the link: the card shows it, no reload.
    link = ShareLink.objects.get(comparison=comparison)
    url = page.locator("#share-links [data-field=url]").first.input_value()
    token = url.rstrip("/").rsplit("/", 1)[-1]
    answer = requests.post(  # as a reviewer's browser would: no session, the link's own API
        f"{site_url}/api/v1/shared/{token}/comments",
        json={"side": "b", "start": 4.6, "body": "Shrink the logo", "author_name": "Ana"},
        headers={"X-Reviewer-Key": "k" * 64},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    item = panel.locator(".comments-list > .comment")
    expect(item).to_have_count(1)
    expect(item.locator(".comment-body")).to_have_text("Shrink the logo")
    expect(item.locator(".comment-via")).to_have_text(f"via {link.name}")
    assert opened.errors == []
