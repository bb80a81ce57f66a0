"""Engine 3's findings on the comparison page's timeline, in Chromium, on real files: A/V sync on a
row of its own, a move as a mark on A's lane and one on B's joined by a line (either one shows both
places at once), and the keyboard still going through every difference.

The files and the row are tests/browser/test_compare_page.py's refined comparison (A 14 s, B 19.2 s:
1.4 s of lead-in on B, 3.8 s inserted at A's 9.6 s), stored as engine 3 would, with B's sound 0.4 s
late throughout and A's 10–12 s shown at B's 2–4 s as well: the page is tested apart from the engine."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from devtools.comparisons import measured_stretch
from tests.browser.test_compare_page import (
    REFINED_SEGMENTS,
    REFINED_SPANS,
    SCREENSHOTS,
    Opened,
    comparison_of_refined_files,
    open_comparison,
    refined_files,  # noqa: F401 -- a fixture
    times,
)

pytestmark = pytest.mark.browser

NO_SCORES = {"peak": None, "mean": None, "severity": None, "picture": None, "sound": None}
SYNC = {"kind": "av_sync", "a_start": 0.0, "a_end": 14.0, "b_start": 1.4, "b_end": 19.2, "lag": 0.4, **NO_SCORES}
MOVED = {"kind": "moved", "a_start": 10.0, "a_end": 12.0, "b_start": 2.0, "b_end": 4.0, **NO_SCORES}
# In order along A (then B): lead-in, A/V sync, the replaced shot, the insertion, the move.
SEGMENTS = [REFINED_SEGMENTS[0], SYNC, REFINED_SEGMENTS[1], REFINED_SEGMENTS[2], MOVED]
MOVE = 4
CLOSE_S = 0.15


@pytest.fixture
def found(transactional_db, refined_files, settings, site_url: str, page: Page) -> Opened:  # noqa: F811
    comparison = comparison_of_refined_files(
        refined_files,
        settings,
        "Interview, re-cut",
        engine=3,
        threshold=0.15,
        offset=1.4,
        matched_spans=REFINED_SPANS,
        measured=[measured_stretch(2.8, 5.8, 1.4, changed=(3.2, 5.4), picture=0.9, sound=0.01)],
        segments=SEGMENTS,
        findings=[SYNC, MOVED],
        counts={"only_b": 2, "visual": 1, "high": 1, "av_sync": 1, "moved": 1},
        similarity=61.46,
        summary="5 differences.",
    )
    return open_comparison(page, site_url, comparison)


def clocks(page: Page) -> tuple[str, str]:
    return (
        page.locator('[data-clock-time="a"]').inner_text(),
        page.locator('[data-clock-time="b"]').inner_text(),
    )


def test_av_sync_has_a_row_of_its_own_and_a_move_links_its_two_places(found: Opened) -> None:
    page = found.page
    bar = page.locator("[data-timeline-bar]").bounding_box()
    assert bar is not None

    # A/V sync: one mark on its own row, under B's lane, saying what it found.
    sync_row = page.locator("[data-timeline-sync]")
    expect(sync_row).to_be_visible()
    sync = sync_row.locator(".timeline-marker")
    expect(sync).to_have_count(1)
    expect(sync).to_have_attribute("aria-label", "A/V sync: B's sound is 0.40 s late from 00:01.4 to the end")
    lane_b = page.locator(".timeline-lane-b").bounding_box()
    row = sync_row.bounding_box()
    assert lane_b and row and row["y"] >= lane_b["y"] + lane_b["height"] - 1
    # Not among the markers in the middle band: those are the lead-in, the shot and the insertion.
    expect(page.locator("[data-timeline-markers] .timeline-marker")).to_have_count(3)

    # The move: a mark on A's lane (where it was: A's 10–12 s, after the insertion on the timeline)
    # and one on B's (where it is: B's 2–4 s, early on), joined by a line from one to the other.
    on_a = page.locator(f'.timeline-move-a[data-marker="{MOVE}"]')
    on_b = page.locator(f'.timeline-move-b[data-marker="{MOVE}"]')
    expect(on_a).to_have_attribute(
        "aria-label", "Moved: A 00:10.0–00:12.0 moved to B 00:02.0–00:04.0 (where it was on A)"
    )
    box_a, box_b = on_a.bounding_box(), on_b.bounding_box()
    assert box_a and box_b
    assert box_a["y"] + box_a["height"] <= box_b["y"]  # A's mark above B's
    assert box_b["x"] < box_a["x"]  # B's place comes earlier on the timeline
    link = page.locator(f'[data-move-link="{MOVE}"]')
    expect(link).to_have_count(1)
    ends = link.evaluate(
        "(line) => { const box = line.ownerSVGElement.getBoundingClientRect();"
        " return [line.x1.baseVal.value, line.x2.baseVal.value].map((x) => box.left + (x / 1000) * box.width); }"
    )
    assert ends[0] == pytest.approx(box_a["x"] + box_a["width"] / 2, abs=2)
    assert ends[1] == pytest.approx(box_b["x"] + box_b["width"] / 2, abs=2)
    # The list says it in words too.
    expect(page.locator(f'[data-difference="{MOVE}"] [data-finding]')).to_have_text(
        "A 00:10.0–00:12.0 moved to B 00:02.0–00:04.0"
    )
    page.locator(".compare-timeline-panel").screenshot(path=SCREENSHOTS / "compare-findings-timeline.png")
    page.locator(".compare-differences").screenshot(path=SCREENSHOTS / "compare-findings-list.png")

    # Clicking B's mark shows both places at once: A at 10 s, B at 2 s, paused, both marks current.
    on_b.click()
    page.wait_for_function(
        "() => { const [a, b] = ['a', 'b'].map((s) => document.querySelector(`video[data-player='${s}']`));"
        " return Math.abs(a.currentTime - 10) < 0.15 && Math.abs(b.currentTime - 2) < 0.15; }"
    )
    now = times(page)
    assert now["aPaused"] and now["bPaused"]
    assert clocks(page) == ("00:10.0", "00:02.0")
    expect(page.locator(f'.timeline-marker[data-marker="{MOVE}"].is-current')).to_have_count(2)
    expect(page.locator("[data-current-difference]")).to_have_text("5/5 Moved")
    assert found.errors == []


def test_the_keyboard_still_goes_through_every_difference_moves_included(found: Opened) -> None:
    page = found.page
    page.locator("body").click(position={"x": 5, "y": 5})

    # From the move, "[" goes back to the insertion: A waits at 9.6 s while B plays 11.0–14.8 s.
    page.locator(f'.timeline-move-a[data-marker="{MOVE}"]').click()
    page.keyboard.press("[")
    expect(page.locator("[data-current-difference]")).to_have_text("4/5 Only in B")
    page.wait_for_function(
        "() => Math.abs(document.querySelector(\"video[data-player='b']\").currentTime - 11.0) < 0.15"
    )
    assert times(page)["a"] == pytest.approx(9.6, abs=CLOSE_S)
    # "]" comes back to the move and shows both of its places again.
    page.keyboard.press("]")
    expect(page.locator("[data-current-difference]")).to_have_text("5/5 Moved")
    page.wait_for_function(
        "() => Math.abs(document.querySelector(\"video[data-player='b']\").currentTime - 2.0) < 0.15"
    )
    assert times(page)["a"] == pytest.approx(10.0, abs=CLOSE_S)
    # Play plays the move side by side: B from its own place, not A's aligned time.
    page.get_by_role("button", name="Play both").click()
    page.wait_for_timeout(600)
    now = times(page)
    assert now["b"] == pytest.approx(2.0 + (now["a"] - 10.0), abs=0.2)
    assert found.errors == []
