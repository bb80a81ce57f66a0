"""The comparison page in a real browser, on two real videos processed by the real pipeline.

B is A edited: its 4–8 s stretch is replaced by other pictures, and 6 seconds are inserted at 12 s
(A's 12–16 s plays at 18–22 s in B). The comparison (cuts alignment) should show a picture
difference at 4–8 s and "only in B" at 12–18 s, and the page should keep both players in step
through that mapping: the same time while they match, B 6 s ahead after the insertion."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.test_video_pages import log_in, page_errors
from tests.factories import UserFactory
from tests.media import Cue, Scene, make_video
from videos.compare.services import comparison_create
from videos.models import Comparison, Video
from videos.pipeline import runner

pytestmark = pytest.mark.browser

OPENING, MIDDLE, WORKSHOP, ENDING = (
    Scene(4, "shapes", seed=1),
    Scene(4, "bars", seed=2),
    Scene(4, "gradient", seed=3),
    Scene(4, "shapes", seed=4),
)
REPLACEMENT = Scene(4, "noise", seed=9)
INSERTION = Scene(6, "bars", seed=7)
INSERTED_AT, INSERTED_SECONDS = 12.0, 6.0
CUES_A = [
    Cue(0.5, 3.5, "welcome to the workshop"),
    Cue(4.5, 7.5, "here we cut the wood"),
    Cue(8.5, 11.5, "then we sand it"),
    Cue(12.5, 15.5, "and paint it blue"),
]
CUES_B = [
    Cue(0.5, 3.5, "welcome to the workshop"),
    Cue(4.5, 7.5, "here we glue the parts"),
    Cue(8.5, 11.5, "then we sand it"),
    Cue(12.5, 17.5, "a word from our sponsor"),
    Cue(18.5, 21.5, "and paint it blue"),
]
# Both players are read in one script run; the page corrects drift every 50 ms.
IN_STEP_S = 0.1


def script_errors(page: Page) -> list[str]:
    """Uncaught errors and console errors, collected from now on. A page module that fails to load or
    to import one of its parts logs a console error rather than throwing in the page."""
    errors = page_errors(page)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


@pytest.fixture(scope="module")
def video_files(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("compare")
    original = make_video(folder / "original.mp4", scenes=[OPENING, MIDDLE, WORKSHOP, ENDING], subtitles=CUES_A)
    edited = make_video(
        folder / "edited.mp4", scenes=[OPENING, REPLACEMENT, WORKSHOP, INSERTION, ENDING], subtitles=CUES_B
    )
    return original, edited


def process_and_close(video_id: int) -> None:
    try:
        runner.process_video(video_id)
    finally:
        connections.close_all()  # this thread's connection, which would outlive the test database


def processed_video(owner: User, source: Path, title: str, settings) -> Video:
    """Stored as an upload leaves it, then processed by the pipeline in this process."""
    video = Video.objects.create(owner=owner, title=title, status=Video.Status.QUEUED)
    key = f"videos/{video.pk}/original{source.suffix}"
    target = Path(settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=target.stat().st_size)
    # In a thread of its own: Playwright keeps an event loop running in this one, where the
    # pipeline's live progress pushes (async_to_sync) cannot run.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(process_and_close, video.pk).result()
    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    return video


@dataclass
class Opened:
    page: Page
    comparison: Comparison
    errors: list[str]


@pytest.fixture
def pair(transactional_db, video_files, settings) -> tuple[Video, Video]:
    person = UserFactory()
    original = processed_video(person, video_files[0], "Workshop", settings)
    edited = processed_video(person, video_files[1], "Workshop, sponsored cut", settings)
    return original, edited


@pytest.fixture
def opened(site_url: str, page: Page, pair: tuple[Video, Video]) -> Opened:
    original, edited = pair
    comparison, _ = comparison_create(user=original.owner, video_a=original, video_b=edited, alignment="cuts")
    errors = script_errors(page)
    log_in(page, site_url, original.owner.email)
    page.goto(f"{site_url}/compare/{comparison.pk}/")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()
    # Both files can play before the test starts the clock.
    page.wait_for_function(
        "[...document.querySelectorAll('video[data-player]')].every((video) => video.readyState >= 3)"
    )
    return Opened(page, comparison, errors)


def times(page: Page) -> dict:
    return page.evaluate(
        """() => {
          const [a, b] = ["a", "b"].map((side) => document.querySelector(`video[data-player="${side}"]`));
          return { a: a.currentTime, b: b.currentTime, aPaused: a.paused, bPaused: b.paused };
        }"""
    )


def b_for_a(a_time: float) -> float:
    """Where B should be for A's time: the same until the insertion, 6 s later after it."""
    return a_time if a_time < INSERTED_AT else a_time + INSERTED_SECONDS


def markers(page: Page):
    return page.locator(".timeline-marker")


def wait_until(condition, page: Page, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        page.wait_for_timeout(50)


def assert_in_step(page: Page, samples: int = 6) -> None:
    """Both playing, B where the alignment puts A's time, sample after sample."""
    for _ in range(samples):
        now = times(page)
        assert not now["aPaused"] and not now["bPaused"], now
        assert abs(now["b"] - b_for_a(now["a"])) < IN_STEP_S, now
        page.wait_for_timeout(150)


def test_two_videos_picked_on_the_picker_open_their_comparison(site_url: str, page: Page, pair) -> None:
    original, edited = pair
    errors = script_errors(page)
    log_in(page, site_url, original.owner.email)

    page.get_by_role("link", name="Compare", exact=True).click()
    page.get_by_label("A: Workshop", exact=True).check()
    page.get_by_label("B: Workshop, sponsored cut", exact=True).check()
    expect(page.get_by_label("Cuts (insertions and removals)")).to_be_checked()  # the default
    page.get_by_role("button", name="Compare", exact=True).click()

    comparison = Comparison.objects.get(owner=original.owner)
    page.wait_for_url(f"{site_url}/compare/{comparison.pk}/")
    assert (comparison.video_a, comparison.video_b) == (original, edited)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Workshop")
    expect(markers(page)).to_have_count(2)
    assert errors == []


def test_the_edits_are_found_where_they_were_made(opened: Opened) -> None:
    segments = [(s["kind"], s["a_start"], s["a_end"], s["b_start"], s["b_end"]) for s in opened.comparison.segments]

    assert segments == [("visual", 4.0, 8.0, 4.0, 8.0), ("only_b", 12.0, 12.0, 12.0, 18.0)]
    expect(markers(opened.page)).to_have_count(2)
    expect(opened.page.locator(".difference")).to_have_count(2)
    expect(opened.page.locator('[data-field="counts"]')).to_have_text("2 differences: 1 picture, 1 only in B.")
    assert opened.errors == []


def test_without_javascript_the_page_still_shows_the_players_and_the_differences(
    site_url: str, browser, pair: tuple[Video, Video]
) -> None:
    original, edited = pair
    comparison, _ = comparison_create(user=original.owner, video_a=original, video_b=edited, alignment="cuts")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, site_url, original.owner.email)
        page.goto(f"{site_url}/compare/{comparison.pk}/")

        expect(page.locator("video[data-player][controls]")).to_have_count(2)  # each with its own controls
        expect(page.locator(".difference")).to_have_count(2)
        expect(page.locator(".difference").first).to_contain_text("A says cut wood")
        expect(page.get_by_text("The timeline and the synchronised players need JavaScript")).to_be_visible()
        expect(page.get_by_role("button", name="Play both")).to_be_hidden()
        expect(page.get_by_role("button", name="Mute A")).to_be_hidden()
        expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    finally:
        context.close()


def test_both_videos_play_in_step_through_the_alignment(opened: Opened) -> None:
    page = opened.page
    page.get_by_role("button", name="Play both").click()

    # A few seconds in, while the videos match: the same time on both.
    wait_until(lambda: times(page)["a"] >= 2.5, page)
    assert_in_step(page)
    expect(page.get_by_role("button", name="Pause both")).to_be_visible()

    # Just before the insertion: B plays the 6 inserted seconds alone while A waits at 12 s…
    page.get_by_role("button", name="Pause both").click()
    page.locator('.timeline-marker[data-marker="1"]').click()
    page.get_by_role("button", name="Play both").click()
    wait_until(lambda: times(page)["b"] >= 14.0, page)
    now = times(page)
    assert now["aPaused"] and not now["bPaused"], now
    assert now["a"] == pytest.approx(INSERTED_AT, abs=IN_STEP_S)
    expect(page.locator("[data-sync-status]")).to_have_text("Only B has this stretch: A waits.")

    # …then both go on together, B 6 s ahead.
    wait_until(lambda: times(page)["b"] >= INSERTED_AT + INSERTED_SECONDS + 1.5, page)
    assert_in_step(page)
    assert opened.errors == []


def hover_into(marker, fraction: float) -> None:
    box = marker.bounding_box()
    assert box is not None
    marker.hover(position={"x": box["width"] * fraction, "y": box["height"] / 2})


def test_hovering_the_timeline_shows_both_videos_thumbnails(opened: Opened) -> None:
    page = opened.page
    tile_a, tile_b = page.locator('[data-tile="a"]'), page.locator('[data-tile="b"]')

    # A quarter into the replaced stretch (4–8 s): 5 s on both, the third tile of each sprite (one every 2 s).
    hover_into(page.locator('.timeline-marker[data-marker="0"]'), 0.25)

    expect(page.locator("[data-timeline-hover]")).to_be_visible()
    for tile, video in ((tile_a, opened.comparison.video_a), (tile_b, opened.comparison.video_b)):
        expect(tile).to_have_css("background-image", re.compile(rf"/videos/{video.pk}/sprite\.jpg"))
        expect(tile).to_have_css("background-position", "-320px 0px")
    expect(page.locator('[data-tile-time="a"]')).to_have_text("A 00:05")

    # Inside what only B has, A has no picture of its own there.
    hover_into(page.locator('.timeline-marker[data-marker="1"]'), 0.25)  # B's 12–18 s
    expect(tile_a).to_have_class(re.compile(r"\bis-absent\b"))
    expect(page.locator('[data-tile-time="a"]')).to_have_text("A —")
    expect(page.locator('[data-tile-time="b"]')).to_have_text("B 00:13")
    page.screenshot(path="/tmp/compare-hover.png")

    page.mouse.move(0, 0)
    expect(page.locator("[data-timeline-hover]")).to_be_hidden()


def test_clicking_a_marker_seeks_both_players(opened: Opened) -> None:
    page = opened.page

    page.locator('.timeline-marker[data-marker="0"]').click()

    wait_until(lambda: times(page)["a"] == pytest.approx(4.0, abs=0.05), page)
    assert times(page)["b"] == pytest.approx(4.0, abs=0.05)
    expect(page.locator('.difference[data-difference="0"]')).to_have_class("difference difference-visual is-current")

    page.locator('.timeline-marker[data-marker="1"]').click()  # only in B: A waits where it sits

    wait_until(lambda: times(page)["b"] == pytest.approx(12.0, abs=0.05), page)
    assert times(page)["a"] == pytest.approx(12.0, abs=0.05)
    expect(page.locator('[data-time="a"]')).to_have_text("waits at 00:12.0")
    assert opened.errors == []


def test_the_threshold_slider_changes_the_markers_and_is_remembered(opened: Opened) -> None:
    page = opened.page
    slider = page.get_by_role("slider", name="Threshold")
    expect(markers(page)).to_have_count(2)
    slider_max = float(slider.get_attribute("max") or 0)

    # While the slider moves (input events only), the page is judged at its value without saving:
    # at the top of the scale no clip pair passes and only the inserted stretch is left.
    slider.evaluate(
        "(input, value) => { input.value = value; input.dispatchEvent(new Event('input', { bubbles: true })); }",
        str(slider_max),
    )

    expect(markers(page)).to_have_count(1)
    expect(page.locator(".timeline-marker.marker-only_b")).to_have_count(1)
    expect(page.locator('[data-field="counts"]')).to_have_text("1 difference: 1 only in B.")
    expect(page.locator('[data-field="similarity"]')).to_have_text("73 %")
    opened.comparison.refresh_from_db()
    assert opened.comparison.threshold == pytest.approx(0.05)

    # Let go: the threshold is kept, and a new page opens with it.
    slider.dispatch_event("change")
    expect(page.locator("[data-threshold-status]")).to_have_text("Kept.")
    opened.comparison.refresh_from_db()
    assert opened.comparison.threshold == pytest.approx(slider_max)
    page.reload()
    expect(page.locator("[data-threshold-value]")).to_have_text(f"{slider_max:.6g}")
    expect(markers(page)).to_have_count(1)

    # Back down with the keyboard, a step at a time: the replaced stretch differs again.
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(int(0.05 / 0.0025)):
        page.keyboard.press("ArrowRight")
    expect(page.locator("[data-threshold-value]")).to_have_text("0.05")
    expect(markers(page)).to_have_count(2)
    # Every key press kept its value, one after another: the last one is what is stored.
    wait_until(lambda: Comparison.objects.get(pk=opened.comparison.pk).threshold == pytest.approx(0.05), page)
    assert opened.errors == []


def test_keys_move_between_differences_and_frames(opened: Opened) -> None:
    page = opened.page
    page.locator("h1").click()  # the page has focus, no control does

    page.keyboard.press("n")
    wait_until(lambda: times(page)["a"] == pytest.approx(4.0, abs=0.05), page)
    assert times(page)["b"] == pytest.approx(4.0, abs=0.05)

    page.keyboard.press(".")  # one frame at 15 fps
    wait_until(lambda: times(page)["a"] == pytest.approx(4.0 + 1 / 15, abs=0.01), page)

    page.keyboard.press("n")
    wait_until(lambda: times(page)["b"] == pytest.approx(12.0, abs=0.05), page)

    page.keyboard.press("p")
    wait_until(lambda: times(page)["b"] == pytest.approx(4.0, abs=0.05), page)

    page.keyboard.press("ArrowRight")
    wait_until(lambda: times(page)["a"] == pytest.approx(5.0, abs=0.05), page)

    page.keyboard.press(" ")
    wait_until(lambda: times(page)["a"] >= 5.5, page)
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()
    assert opened.errors == []


def test_speed_applies_to_both_and_either_side_can_be_muted(opened: Opened) -> None:
    page = opened.page
    media = '(side) => document.querySelector(`video[data-player="${side}"]`)'

    page.get_by_role("button", name="Mute B").click()
    page.get_by_label("Speed").select_option("2")
    page.get_by_role("button", name="Play both").click()

    expect(page.get_by_role("button", name="Mute B")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(f"({media})('b').muted") is True
    assert page.evaluate(f"({media})('a').muted") is False
    wait_until(lambda: times(page)["a"] >= 1.0, page)
    before, started = times(page)["a"], time.monotonic()
    page.wait_for_timeout(1000)
    played = times(page)["a"] - before
    assert played / (time.monotonic() - started) > 1.6  # about two seconds of video a second
    assert page.evaluate(f"({media})('a').playbackRate") == 2
    assert_in_step(page, samples=3)
    assert opened.errors == []


def test_the_report_downloads_as_json_and_csv(opened: Opened) -> None:
    page = opened.page

    with page.expect_download() as json_download:
        page.get_by_role("link", name="Export JSON").click()
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export CSV").click()

    pk = opened.comparison.pk
    assert json_download.value.suggested_filename == f"comparison-{pk}.json"
    report = json.loads(Path(json_download.value.path()).read_text())
    assert [segment["kind"] for segment in report["segments"]] == ["visual", "only_b"]
    assert csv_download.value.suggested_filename == f"comparison-{pk}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text())))
    assert [row["kind"] for row in rows if row["record"] == "segment"] == ["visual", "only_b"]
    assert len([row for row in rows if row["record"] == "clip"]) == len(report["curve"]["a_time"])
