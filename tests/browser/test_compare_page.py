"""The comparison page in a real browser, on real video files.

Three kinds of comparison, from the most to the least of the real machinery:

- **Made by the pipeline and the engine** (few tests: they process both videos). B is A edited: its
  4–8 s stretch is replaced by other pictures, and 6 seconds are inserted at 12 s (A's 12–16 s plays
  at 18–22 s in B). The engine should find a picture difference at 4–8 s and "only in B" at 12–18 s.
- **A refined comparison stored by hand** (most tests), on files with an off-grid offset and an
  insertion: B has 1.4 s of other pictures first, a replaced 2.2 s at A's 3.2–5.4 s, and 3.8 s
  inserted at A's 9.6 s. The row holds these truths as engine 2 stores them (its spans, its segments
  and what it measured), so the page's behaviour is tested apart from the engine's judgement.
- **A comparison made by an older engine** (engine 1, on the clip grid), on the first pair of files:
  its page says it is being recomputed until the current engine has made it, then shows that.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections
from playwright.sync_api import Page, expect

from accounts.models import User
from devtools.comparisons import measured_stretch
from notes.models import Note
from sage.synthetic_media import Cue, Scene, make_video
from sage.timebase import Timebase
from tests.browser.signing_in import log_in
from tests.browser.test_video_pages import page_errors
from tests.browser.threads import in_worker_thread
from tests.factories import ComparisonFactory, NoteFactory, UserFactory, VideoFactory
from tests.shared_media import made_once
from videos.compare.recompute import Recomputed, comparison_recompute_by_id
from videos.compare.services import comparison_set_threshold, describe
from videos.models import Comparison, Video
from videos.pipeline import runner
from videos.pipeline.thumbnails import Thumbnails, make_thumbnails

pytestmark = pytest.mark.browser

# Both players are read in one script run; the page corrects drift every 50 ms.
IN_STEP_S = 0.1
# Pictures of the page for a person to look at after a run; nothing asserts on them.
SCREENSHOTS = Path(tempfile.gettempdir())


def script_errors(page: Page) -> list[str]:
    """Uncaught errors and console errors, collected from now on. A page module that fails to load or
    to import one of its parts logs a console error rather than throwing in the page."""
    errors = page_errors(page)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


@dataclass
class Opened:
    page: Page
    comparison: Comparison
    errors: list[str]


def open_comparison(page: Page, site_url: str, comparison: Comparison) -> Opened:
    errors = script_errors(page)
    log_in(page, site_url, comparison.owner.email)
    page.goto(f"{site_url}/compare/{comparison.pk}/")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()
    # Both files can play before the test starts the clock.
    page.wait_for_function(
        "() => [...document.querySelectorAll('video[data-player]')].every((video) => video.readyState >= 3)"
    )
    return Opened(page, comparison, errors)


def times(page: Page) -> dict:
    return page.evaluate(
        """() => {
          const [a, b] = ["a", "b"].map((side) => document.querySelector(`video[data-player="${side}"]`));
          return { a: a.currentTime, b: b.currentTime, aPaused: a.paused, bPaused: b.paused };
        }"""
    )


def markers(page: Page):
    return page.locator(".timeline-marker")


def players_state(page: Page) -> dict:
    """What each player was doing: said when a wait times out, so a failure tells why."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("video[data-player]")].map((video) => [
          video.dataset.player,
          { time: video.currentTime, paused: video.paused, seeking: video.seeking, ready: video.readyState,
            network: video.networkState, rate: video.playbackRate, error: video.error?.message ?? null },
        ]))"""
    )


def wait_until(condition, page: Page, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; the players: {players_state(page)}")
        page.wait_for_timeout(50)


@cache
def thumbnails_of(source: Path, duration: float) -> Thumbnails:
    """The poster and sprite of one of the module's files, made once for all its tests (each test's
    copy of the file has the same pictures; the pipeline's tests test making them)."""
    return make_thumbnails(source, duration=duration)


def stored_video(owner: User, source: Path, title: str, duration: float, fps: float, settings) -> Video:
    """A ready upload with its file, poster and sprite in place, as the pipeline leaves one (but
    with no clip rows or fingerprint: the comparison row is made by hand)."""
    video = VideoFactory(
        owner=owner, title=title, status=Video.Status.READY, duration=duration, fps=fps, backends={"clips": "local"}
    )
    key = f"videos/{video.pk}/original{source.suffix}"
    target = Path(settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    thumbnails = thumbnails_of(source, duration)
    Video.objects.filter(pk=video.pk).update(
        storage_key=key,
        size=target.stat().st_size,
        poster_key=default_storage.save(f"videos/{video.pk}/poster.jpg", ContentFile(thumbnails.poster_jpeg)),
        sprite_key=default_storage.save(f"videos/{video.pk}/sprite.jpg", ContentFile(thumbnails.sprite_jpeg)),
        sprite_meta=thumbnails.sprite_meta,
    )
    video.refresh_from_db()
    return video


# --- made by the pipeline and the engine -----------------------------------------------------------

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
# The goals for where an edit is found.
BOUNDARY_S = 0.25
OFFSET_S = 0.1


@pytest.fixture(scope="module")
def video_files(tmp_path_factory) -> tuple[Path, Path]:
    """Made once a run for the three modules that use this fixture (tests/shared_media.py)."""
    original_scenes = [OPENING, MIDDLE, WORKSHOP, ENDING]
    edited_scenes = [OPENING, REPLACEMENT, WORKSHOP, INSERTION, ENDING]
    original = made_once(
        tmp_path_factory, "original.mp4", (original_scenes, CUES_A),
        lambda path: make_video(path, scenes=original_scenes, subtitles=CUES_A),
    )  # fmt: skip
    edited = made_once(
        tmp_path_factory, "edited.mp4", (edited_scenes, CUES_B),
        lambda path: make_video(path, scenes=edited_scenes, subtitles=CUES_B),
    )  # fmt: skip
    return original, edited


def process_and_close(video_id: int) -> None:
    try:
        runner.process_video(video_id)
    finally:
        connections.close_all()  # this thread's connection, which would outlive the test database


def processed_video(owner: User, source: Path, title: str, settings) -> Video:
    """Stored as an upload leaves it, then processed by the pipeline in this process."""
    video = VideoFactory(owner=owner, title=title, status=Video.Status.QUEUED)
    key = f"videos/{video.pk}/original{source.suffix}"
    target = Path(settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=target.stat().st_size)
    in_worker_thread(process_and_close, video.pk)
    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    return video


def test_two_videos_picked_on_the_picker_open_their_comparison_with_the_edits_where_they_were_made(
    site_url: str, page: Page, transactional_db, video_files, settings
) -> None:
    person = UserFactory()
    original = processed_video(person, video_files[0], "Workshop", settings)
    edited = processed_video(person, video_files[1], "Workshop, sponsored cut", settings)
    errors = script_errors(page)
    log_in(page, site_url, person.email)

    page.get_by_role("link", name="Compare", exact=True).click()
    page.get_by_label("A: Workshop", exact=True).check()
    page.get_by_label("B: Workshop, sponsored cut", exact=True).check()
    expect(page.get_by_label("Cuts (insertions and removals)")).to_be_checked()  # the default
    page.get_by_role("button", name="Compare", exact=True).click()

    comparison = Comparison.objects.get(owner=person)
    page.wait_for_url(f"{site_url}/compare/{comparison.pk}/")
    assert (comparison.video_a, comparison.video_b, comparison.engine) == (original, edited, 3)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Workshop")
    # The replaced stretch, then the inserted one, each where it was made; nothing else.
    found = [(s["kind"], s["a_start"], s["a_end"], s["b_start"], s["b_end"]) for s in comparison.segments]
    assert [kind for kind, *_ in found] == ["visual", "only_b"], found
    for (_, *got), expected in zip(found, [(4.0, 8.0, 4.0, 8.0), (12.0, 12.0, 12.0, 18.0)], strict=True):
        assert got == pytest.approx(expected, abs=BOUNDARY_S), found
    assert comparison.offset == pytest.approx(0.0, abs=OFFSET_S)
    after_insertion = comparison.matched_spans[-1]
    assert after_insertion[2] - after_insertion[0] == pytest.approx(INSERTED_SECONDS, abs=OFFSET_S)
    expect(markers(page)).to_have_count(2)
    expect(page.locator('[data-field="counts"]')).to_have_text("2 differences: 1 picture, 1 only in B.")
    expect(page.locator('[data-field="offset"]')).to_have_count(0)  # they start together
    assert errors == []


# --- a refined comparison stored by hand -------------------------------------------------------------

REFINED_FPS = 15
LEAD_IN = Scene(1.4, "noise", seed=5)
R_OPENING, R_SHOT, R_MIDDLE, R_ENDING = (
    Scene(3.2, "shapes", seed=1),
    Scene(2.2, "shapes", seed=6),
    Scene(4.2, "bars", seed=2),
    Scene(4.4, "gradient", seed=3),
)
R_REPLACEMENT = Scene(2.2, "noise", seed=9)
R_INSERTION = Scene(3.8, "bars", seed=7)
REFINED_SPANS = [[0.0, 9.6, 1.4, 11.0], [9.6, 14.0, 14.8, 19.2]]
REFINED_THRESHOLD = 0.15
REFINED_SEGMENTS = [
    {"kind": "only_b", "a_start": 0.0, "a_end": 0.0, "b_start": 0.0, "b_end": 1.4, "peak": None, "mean": None,
     "severity": None, "picture": None, "sound": None},
    {"kind": "visual", "a_start": 3.2, "a_end": 5.4, "b_start": 4.6, "b_end": 6.8, "peak": 0.9, "mean": 0.9,
     "severity": "high", "picture": 0.9, "sound": 0.01},
    {"kind": "only_b", "a_start": 9.6, "a_end": 9.6, "b_start": 11.0, "b_end": 14.8, "peak": None, "mean": None,
     "severity": None, "picture": None, "sound": None},
]  # fmt: skip
ONE_FRAME_S = 1 / REFINED_FPS
REFINED_TIMEBASE = Timebase(Fraction(REFINED_FPS))


def shown(seconds: float) -> float:
    """Where the page sends a player to show the frame `seconds` names: that frame's middle
    (`sage.timebase`; at 15 fps the times below are boundaries, so edges and instants agree)."""
    return REFINED_TIMEBASE.seek_time(REFINED_TIMEBASE.frame_at(seconds))


def b_for_a_refined(a_time: float) -> float:
    """B's time for A's, through the matched span that holds it."""
    for a_start, a_end, b_start, _ in REFINED_SPANS:
        if a_start <= a_time <= a_end:
            return b_start + (a_time - a_start)
    raise AssertionError(f"A's {a_time} s is in no matched span")


@pytest.fixture(scope="module")
def refined_files(tmp_path_factory) -> tuple[Path, Path]:
    """Made once a run for the ten modules that import this fixture (tests/shared_media.py)."""
    original_scenes = [R_OPENING, R_SHOT, R_MIDDLE, R_ENDING]
    edited_scenes = [LEAD_IN, R_OPENING, R_REPLACEMENT, R_MIDDLE, R_INSERTION, R_ENDING]
    original = made_once(
        tmp_path_factory, "refined-original.mp4", (original_scenes, REFINED_FPS),
        lambda path: make_video(path, scenes=original_scenes, fps=REFINED_FPS),
    )  # fmt: skip
    edited = made_once(
        tmp_path_factory, "refined-edited.mp4", (edited_scenes, REFINED_FPS),
        lambda path: make_video(path, scenes=edited_scenes, fps=REFINED_FPS),
    )  # fmt: skip
    return original, edited


def comparison_of_refined_files(refined_files: tuple[Path, Path], settings, b_title: str, **row: Any) -> Comparison:
    """A refined comparison row, stored by hand, between the refined files uploaded by one person
    ("Interview" and `b_title`); `row` holds the fields the page under test needs."""
    person = UserFactory()
    return ComparisonFactory(
        refined=True,
        owner=person,
        video_a=stored_video(person, refined_files[0], "Interview", 14.0, REFINED_FPS, settings),
        video_b=stored_video(person, refined_files[1], b_title, 19.2, REFINED_FPS, settings),
        **row,
    )


@pytest.fixture
def refined_comparison(transactional_db, refined_files, settings) -> Comparison:
    return comparison_of_refined_files(
        refined_files,
        settings,
        "Interview, with a break",
        threshold=REFINED_THRESHOLD,
        offset=1.4,
        matched_spans=REFINED_SPANS,
        measured=[measured_stretch(2.8, 5.8, 1.4, changed=(3.2, 5.4), picture=0.9, sound=0.01)],
        segments=REFINED_SEGMENTS,
        counts={"only_b": 2, "visual": 1, "high": 1},
        similarity=61.46,
        word_changes={"1": {"removed": ["a", "calm", "shot"], "added": ["static"]}},
        summary="3 differences (2 only in B, 1 picture).",
    )


@pytest.fixture
def refined(site_url: str, page: Page, refined_comparison: Comparison) -> Opened:
    return open_comparison(page, site_url, refined_comparison)


def drift_from_spans(page: Page) -> float:
    """How far B is from where the matched span puts A's time, both playing (seconds, signed)."""
    now = times(page)
    assert not now["aPaused"] and not now["bPaused"], now
    return now["b"] - b_for_a_refined(now["a"])


def test_a_refined_comparison_states_its_offset_and_draws_its_matched_spans(refined: Opened) -> None:
    page = refined.page

    expect(page.locator('[data-field="offset"]')).to_have_text("B starts 1.4 s later")
    for side in ("a", "b"):
        spans = page.locator(f".timeline-lane-{side} .timeline-span")
        expect(spans).to_have_count(2)
        expect(spans.nth(1)).to_have_attribute("title", "Matched: A 00:09.6–00:14.0 is B 00:14.8–00:19.2")
    # B's lead-in and its inserted stretch are B's alone; A has nothing the other lacks.
    expect(page.locator(".timeline-lane-b .timeline-unmatched")).to_have_count(2)
    expect(page.locator(".timeline-lane-a .timeline-unmatched")).to_have_count(0)
    # Along the timeline: lead-in, first span, insertion, second span, each where the markers say.
    lead_in, replaced, inserted = (
        page.locator(f'.timeline-marker[data-marker="{n}"]').bounding_box() for n in range(3)
    )
    first, second = (page.locator(f".timeline-lane-a .timeline-span[data-span='{n}']").bounding_box() for n in (0, 1))
    assert lead_in and replaced and inserted and first and second
    assert lead_in["x"] + lead_in["width"] == pytest.approx(first["x"], abs=2)
    assert first["x"] + first["width"] == pytest.approx(inserted["x"], abs=2)
    assert inserted["x"] + inserted["width"] == pytest.approx(second["x"], abs=2)
    # The replaced stretch sits 3.2–5.4 s into the first span (9.6 s long).
    assert replaced["x"] == pytest.approx(first["x"] + first["width"] * 3.2 / 9.6, abs=2)
    assert replaced["width"] == pytest.approx(first["width"] * 2.2 / 9.6, abs=2)
    # Ranges to a tenth of a second, in the list and on the markers.
    expect(page.locator(".difference").nth(1)).to_contain_text("A 00:03.2–00:05.4 B 00:04.6–00:06.8")
    expect(page.locator(".difference").nth(2)).to_contain_text("A at 00:09.6 B 00:11.0–00:14.8")
    expect(page.locator('.timeline-marker[data-marker="2"]')).to_have_attribute(
        "aria-label", "Only in B: A at 00:09.6, B 00:11.0–00:14.8"
    )
    # The change curve is drawn along the spans.
    expect(page.locator('[data-curve-line="visual"]')).to_have_attribute("d", re.compile(r"^M\d"))
    # On a laptop's screen (1280×800) the players leave room for the transport and the timeline, with
    # the comments card beside them (a member who may comment has it before any link exists).
    page.set_viewport_size({"width": 1280, "height": 800})
    bar = page.locator("[data-timeline-bar]").bounding_box()
    assert bar is not None and bar["y"] + bar["height"] <= 800, bar
    page.screenshot(path=SCREENSHOTS / "compare-refined-first-screen.png")
    page.screenshot(path=SCREENSHOTS / "compare-refined.png", full_page=True)
    page.locator(".compare-timeline-panel").screenshot(path=SCREENSHOTS / "compare-refined-timeline.png")
    # And on a shorter one (1280×720), with the comments card still there, the whole timeline too.
    page.set_viewport_size({"width": 1280, "height": 720})
    expect(page.locator("[data-comments-panel]")).to_be_visible()
    bar = page.locator("[data-timeline-bar]").bounding_box()
    assert bar is not None and bar["y"] + bar["height"] <= 720, bar
    assert refined.errors == []


def test_a_comparison_still_being_checked_says_so_and_shows_the_checked_differences_when_done(
    site_url: str, page: Page, refined_comparison: Comparison
) -> None:
    Comparison.objects.filter(pk=refined_comparison.pk).update(verified=False)
    opened = open_comparison(page, site_url, refined_comparison)
    notice = page.locator("[data-verifying]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("first estimate")
    expect(markers(page)).to_have_count(3)

    # The worker's check finds that the picture change was the fingerprints' mistake.
    checked = [segment for segment in REFINED_SEGMENTS if segment["kind"] == "only_b"]
    Comparison.objects.filter(pk=refined_comparison.pk).update(
        verified=True, segments=checked, counts={"only_b": 2}, measured=[], similarity=80.0
    )

    expect(notice).to_be_hidden(timeout=20_000)
    expect(markers(page)).to_have_count(2)
    expect(page.locator("[data-threshold-status]")).to_have_text("Checked on the pictures and the sound.")
    assert opened.errors == []


def test_a_checked_comparison_shows_no_checking_notice(refined: Opened) -> None:
    expect(refined.page.locator("[data-verifying]")).to_be_hidden()
    assert refined.errors == []


def test_refined_players_stay_within_a_frame_through_an_offset_and_an_insertion(refined: Opened) -> None:
    page = refined.page
    page.get_by_role("button", name="Play both").click()

    # B's lead-in first: A waits at its start while B plays it.
    wait_until(lambda: times(page)["b"] >= 0.5, page)
    now = times(page)
    assert now["aPaused"] and now["a"] == pytest.approx(shown(0.0), abs=0.01), now
    expect(page.locator("[data-sync-status]")).to_have_text("Only B has this stretch: A waits.")

    # Then both, B 1.4 s ahead, within a frame sample after sample.
    wait_until(lambda: times(page)["a"] >= 1.5, page)
    first_span = []
    for _ in range(8):
        first_span.append(drift_from_spans(page))
        page.wait_for_timeout(150)

    # The insertion: A waits at 9.6 s while B plays its 3.8 s…
    wait_until(lambda: times(page)["b"] >= 12.0, page)
    now = times(page)
    assert now["aPaused"] and not now["bPaused"], now
    assert now["a"] == pytest.approx(9.6, abs=ONE_FRAME_S), now

    # …then both go on, B now 5.2 s ahead, again within a frame.
    wait_until(lambda: times(page)["a"] >= 9.6 + 1.0, page)
    second_span = []
    for _ in range(8):
        second_span.append(drift_from_spans(page))
        page.wait_for_timeout(150)

    print(f"drift in the first span (s): {[round(d, 3) for d in first_span]}")
    print(f"drift after the insertion (s): {[round(d, 3) for d in second_span]}")
    # A player that stalls for a moment on a loaded machine is behind at one look until the sync loop
    # makes it up (a 0.23 s look was seen at 2x in CI), so 14 of the 16 looks, not all, must be within
    # a frame; a B that does not follow would be out of step at most of them.
    drifts = first_span + second_span
    assert sum(abs(d) < ONE_FRAME_S for d in drifts) >= 14, drifts
    assert refined.errors == []


def test_without_javascript_the_page_still_shows_the_players_the_alignment_and_the_differences(
    site_url: str, browser, refined_comparison: Comparison
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, site_url, refined_comparison.owner.email)
        page.goto(f"{site_url}/compare/{refined_comparison.pk}/")

        expect(page.locator("video[data-player][controls]")).to_have_count(2)  # each with its own controls
        expect(page.locator(".difference")).to_have_count(3)
        expect(page.locator(".difference").nth(1)).to_contain_text("A says a calm shot")
        expect(page.locator("[data-spans] li")).to_have_count(2)
        first_span = page.locator("[data-spans] li").first
        expect(first_span).to_contain_text("A 00:00.0–00:09.6")
        expect(first_span).to_contain_text("B 00:01.4–00:11.0")
        expect(page.get_by_text("The timeline and the synchronised players need JavaScript")).to_be_visible()
        expect(page.get_by_role("button", name="Play both")).to_be_hidden()
        expect(page.get_by_role("button", name="Mute A")).to_be_hidden()
        expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    finally:
        context.close()


def hover_into(marker, fraction: float) -> None:
    box = marker.bounding_box()
    assert box is not None
    marker.hover(position={"x": box["width"] * fraction, "y": box["height"] / 2})


def test_hovering_the_timeline_shows_both_videos_thumbnails(refined: Opened) -> None:
    page = refined.page
    tile_a, tile_b = page.locator('[data-tile="a"]'), page.locator('[data-tile="b"]')

    # Half way into the replaced stretch: A's 4.3 s, B's 5.7 s.
    hover_into(page.locator('.timeline-marker[data-marker="1"]'), 0.5)

    expect(page.locator("[data-timeline-hover]")).to_be_visible()
    for tile, video, at in ((tile_a, refined.comparison.video_a, 4.3), (tile_b, refined.comparison.video_b, 5.7)):
        meta = video.sprite_meta  # the sprite's tiles are `interval` seconds apart, in one row here
        expect(tile).to_have_css("background-image", re.compile(rf"/videos/{video.pk}/sprite\.jpg"))
        expect(tile).to_have_css("background-position", f"-{int(at // meta['interval']) * meta['tile_width']}px 0px")
    expect(page.locator('[data-tile-time="a"]')).to_have_text("A 00:04.3")
    expect(page.locator('[data-tile-time="b"]')).to_have_text("B 00:05.7")

    # Inside what only B has, A has no picture of its own there.
    hover_into(page.locator('.timeline-marker[data-marker="2"]'), 0.5)  # B's 11.0–14.8 s
    expect(tile_a).to_have_class(re.compile(r"\bis-absent\b"))
    expect(page.locator('[data-tile-time="a"]')).to_have_text("A —")
    expect(page.locator('[data-tile-time="b"]')).to_have_text("B 00:12.9")
    page.screenshot(path=SCREENSHOTS / "compare-hover.png")

    page.mouse.move(0, 0)
    expect(page.locator("[data-timeline-hover]")).to_be_hidden()


def go_to_difference(page: Page, number: int) -> None:
    """The list's button for a difference: both players go to where it starts."""
    page.locator(f'[data-seek-difference="{number}"]').click()


def test_the_list_seeks_both_players_to_a_differences_start_on_each_video(refined: Opened) -> None:
    page = refined.page

    go_to_difference(page, 1)

    wait_until(lambda: times(page)["a"] == pytest.approx(shown(3.2), abs=0.01), page)
    assert times(page)["b"] == pytest.approx(shown(4.6), abs=0.01)
    expect(page.locator('.difference[data-difference="1"]')).to_have_class("difference difference-visual is-current")

    go_to_difference(page, 2)  # only in B: A waits where it sits

    wait_until(lambda: times(page)["b"] == pytest.approx(shown(11.0), abs=0.01), page)
    assert times(page)["a"] == pytest.approx(shown(9.6), abs=0.01)
    expect(page.locator('[data-time="a"]')).to_have_text("waits at 00:09.6")
    assert refined.errors == []


def click_into(marker, fraction: float) -> None:
    box = marker.bounding_box()
    assert box is not None
    marker.click(position={"x": box["width"] * fraction, "y": box["height"] / 2})


# Seeking at the pointer: the axis is B's lead-in (0–1.4), the first span (A 0–9.6 at 1.4–11.0), B's
# insertion (11.0–14.8), the second span; the replaced stretch (marker 1) is A's 3.2–5.4 s.
SEEK_TOLERANCE_S = 0.2


def test_a_click_or_a_tap_inside_a_marker_seeks_to_the_pointer_and_makes_it_the_current_difference(
    refined: Opened, browser, site_url: str
) -> None:
    page = refined.page
    page.set_viewport_size({"width": 1440, "height": 900})
    replaced = page.locator('.timeline-marker[data-marker="1"]')

    for fraction in (0.3, 0.7):  # A's 3.86 s, then 4.74 s: not the marker's start (3.2 s)
        click_into(replaced, fraction)
        a_time = 3.2 + 2.2 * fraction
        wait_until(lambda a_time=a_time: times(page)["a"] == pytest.approx(a_time, abs=SEEK_TOLERANCE_S), page)
        assert times(page)["b"] == pytest.approx(b_for_a_refined(times(page)["a"]), abs=0.01)
        expect(replaced).to_have_class(re.compile(r"\bis-current\b"))
        expect(page.locator('.difference[data-difference="1"]')).to_have_class(re.compile(r"\bis-current\b"))
        expect(page.locator("[data-current-difference]")).to_have_text("2/3 Picture, high")

    # Half way into B's insertion: B's 12.9 s, A waiting at 9.6 s.
    click_into(page.locator('.timeline-marker[data-marker="2"]'), 0.5)
    wait_until(lambda: times(page)["b"] == pytest.approx(12.9, abs=SEEK_TOLERANCE_S), page)
    assert times(page)["a"] == pytest.approx(shown(9.6), abs=0.01)
    expect(page.locator("[data-current-difference]")).to_have_text("3/3 Only in B")

    # A drag that starts on a marker scrubs from there to where it is let go (A's 1.0 s, B's 2.4 s),
    # and the current difference follows the playhead off the marker.
    box = replaced.bounding_box()
    bar = page.locator("[data-timeline-bar]").bounding_box()
    assert box is not None and bar is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(bar["x"] + bar["width"] * 2.4 / 19.2, y, steps=8)
    page.mouse.up()
    wait_until(lambda: times(page)["a"] == pytest.approx(1.0, abs=SEEK_TOLERANCE_S), page)
    expect(page.locator("[data-current-difference]")).to_have_text("3 differences")
    expect(page.locator(".timeline-marker.is-current")).to_have_count(0)
    assert refined.errors == []

    # On a phone, a tap half way into the replaced stretch goes there too (A's 4.3 s).
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = open_comparison(context.new_page(), site_url, refined.comparison)
        marker = phone.page.locator('.timeline-marker[data-marker="1"]')
        marker.scroll_into_view_if_needed()
        box = marker.bounding_box()
        assert box is not None
        phone.page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        wait_until(lambda: times(phone.page)["a"] == pytest.approx(4.3, abs=SEEK_TOLERANCE_S), phone.page)
        expect(phone.page.locator("[data-current-difference]")).to_have_text("2/3 Picture, high")
        assert phone.errors == []
    finally:
        context.close()


def set_slider(slider, value: str) -> None:
    """Moves the slider as a drag does (input events), then lets it go (change)."""
    slider.evaluate(
        """(input, value) => {
          input.value = value;
          input.dispatchEvent(new Event('input', { bubbles: true }));
          input.dispatchEvent(new Event('change', { bubbles: true }));
        }""",
        value,
    )


def test_a_link_to_a_moment_opens_there_and_copy_link_gives_the_moment_shown(
    site_url: str, page: Page, refined_comparison: Comparison
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
    errors = script_errors(page)
    log_in(page, site_url, refined_comparison.owner.email)

    page.goto(f"{site_url}/compare/{refined_comparison.pk}/?t=0:04.3")  # an older link's name: A's time

    wait_until(lambda: times(page)["a"] == pytest.approx(shown(4.3), abs=0.01), page)
    assert times(page)["b"] == pytest.approx(shown(5.7), abs=0.01)  # through the first span
    # The timeline's clock, labelled: B's 1.4 s lead-in comes first, and the timeline holds 19.2 s.
    expect(page.locator("[data-clock]")).to_have_text("Timeline 00:05.7 / 00:19.2")
    expect(page.locator("[data-current-difference]")).to_have_text("2/3 Picture, high")
    ticks = page.locator(".timeline-tick-label")
    expect(ticks.first).to_have_text("00:00")
    assert ticks.count() >= 4

    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("[data-link-message]")).to_have_text("Link to A 00:04.3 copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{site_url}/compare/{refined_comparison.pk}/?a=4.3"

    # Inside what only B has, A's time names no moment: the link gives B's.
    go_to_difference(page, 2)
    wait_until(lambda: times(page)["b"] == pytest.approx(shown(11.0), abs=0.01), page)
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("[data-link-message]")).to_have_text("Link to B 00:11.0 copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith("?b=11.033")  # the middle of the frame shown, to the millisecond
    page.goto(copied)
    wait_until(lambda: times(page)["b"] == pytest.approx(shown(11.0), abs=0.01), page)
    assert times(page)["a"] == pytest.approx(shown(9.6), abs=0.01)
    expect(page.locator('[data-time="a"]')).to_have_text("waits at 00:09.6")
    assert errors == []


CLOCK_TIME = re.compile(r"\d\d:\d\d(?:\.\d)?")


def test_one_clock_a_link_names_its_video_and_every_time_on_the_page_agrees(
    site_url: str, page: Page, refined_comparison: Comparison
) -> None:
    comparison = refined_comparison
    comparison.summary = describe(comparison)  # the summary as the engine writes it
    comparison.save(update_fields=["summary"])
    NoteFactory(owner=comparison.owner, video=comparison.video_b, start=4.6, text="Static shot")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
    errors = script_errors(page)
    log_in(page, site_url, comparison.owner.email)
    clock_a, clock_b = page.locator('[data-clock-time="a"]'), page.locator('[data-clock-time="b"]')

    # A link on A's time: A's clock says it, B's says where the alignment puts it, and the timeline's
    # is labelled as such.
    page.goto(f"{site_url}/compare/{comparison.pk}/?a=4.3")
    wait_until(lambda: times(page)["a"] == pytest.approx(shown(4.3), abs=0.01), page)
    expect(clock_a).to_have_text("00:04.3")
    expect(clock_b).to_have_text("00:05.7")
    expect(page.locator("[data-clock]")).to_have_text("Timeline 00:05.7 / 00:19.2")
    expect(page.locator('[data-time="a"]')).to_have_text("00:04.3")  # under the player too
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("[data-link-message]")).to_have_text("Link to A 00:04.3 copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{site_url}/compare/{comparison.pk}/?a=4.3"
    page.goto(copied)  # round trip
    wait_until(lambda: times(page)["a"] == pytest.approx(shown(4.3), abs=0.01), page)
    expect(clock_a).to_have_text("00:04.3")

    # A link on B's time, inside what only B has: A waits at its spot; the link copied names B again.
    page.goto(f"{site_url}/compare/{comparison.pk}/?b=12.5")
    wait_until(lambda: times(page)["b"] == pytest.approx(shown(12.5), abs=0.01), page)
    expect(clock_b).to_have_text("00:12.5")
    expect(clock_a).to_have_text("waits at 00:09.6")
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("[data-link-message]")).to_have_text("Link to B 00:12.5 copied.")
    assert page.evaluate("navigator.clipboard.readText()").endswith("?b=12.5")

    # The summary, the list, the alignment and the notes give the same moment the same number.
    listed = set(CLOCK_TIME.findall(page.locator("[data-differences]").inner_text()))
    summary = page.locator('[data-field="summary"]').inner_text()
    said = CLOCK_TIME.findall(summary)
    assert said and set(said) <= listed, (said, sorted(listed))
    assert "00:11.0–00:14.8" in summary.replace("[", "").replace("]", ""), summary
    aligned = set(CLOCK_TIME.findall(page.locator("[data-spans]").inner_text()))
    assert {"00:01.4", "00:11.0", "00:14.8"} <= aligned | listed and {"00:11.0", "00:14.8"} <= aligned
    expect(page.locator(".compare-note-time")).to_have_text("B 00:04.6")
    assert "00:04.6" in listed  # the replaced stretch starts on B where the note is
    assert errors == []


def test_a_tiny_offset_makes_no_stretch_where_one_video_waits(
    site_url: str, page: Page, refined_comparison: Comparison
) -> None:
    # The engine found B 0.1 s later: less than two frames, not a stretch to watch.
    Comparison.objects.filter(pk=refined_comparison.pk).update(
        offset=0.1, matched_spans=[[0.0, 14.0, 0.1, 14.1]], segments=[], counts={}, measured=[], word_changes={}
    )
    Video.objects.filter(pk=refined_comparison.video_b_id).update(duration=14.1)
    opened = open_comparison(page, site_url, refined_comparison)

    expect(page.locator('[data-time="a"]')).to_have_text("00:00.0")  # not "waits at 00:00.0"
    expect(page.locator("[data-sync-status]")).to_have_text("")
    expect(page.locator(".timeline-unmatched")).to_have_count(0)
    page.get_by_role("button", name="Play both").click()
    wait_until(lambda: times(page)["b"] >= 0.5, page)
    now = times(page)
    assert not now["aPaused"] and now["a"] > 0.2, now  # A did not wait at 0:00
    expect(page.locator("[data-sync-status]")).not_to_contain_text("waits")
    assert opened.errors == []


def test_dragging_along_the_timeline_scrubs_both_players_and_playback_goes_on_from_there(refined: Opened) -> None:
    page = refined.page
    page.get_by_role("button", name="Play both").click()
    wait_until(lambda: times(page)["b"] >= 0.3, page)
    page.locator("[data-timeline-bar]").scroll_into_view_if_needed()
    bar = page.locator("[data-timeline-bar]").bounding_box()
    assert bar is not None
    total = 19.2  # the timeline: B's lead-in, the first span, B's insertion, the second span
    y = bar["y"] + 4  # on lane A, off the markers
    x_at = lambda position: bar["x"] + bar["width"] * position / total  # noqa: E731

    page.mouse.move(x_at(2.4), y)
    page.mouse.down()
    page.mouse.move(x_at(4.0), y, steps=4)
    page.mouse.move(x_at(7.4), y, steps=6)  # A's 6.0 s, B's 7.4 s
    # Mid-drag, both players have followed the pointer and wait for it.
    wait_until(lambda: times(page)["a"] == pytest.approx(6.0, abs=0.15), page)
    expect(page.locator("[data-timeline-bar]")).to_have_class(re.compile(r"\bis-scrubbing\b"))
    now = times(page)
    assert now["aPaused"] and now["bPaused"], now
    assert now["b"] == pytest.approx(shown(b_for_a_refined(now["a"])), abs=0.01)
    page.mouse.move(x_at(17.0), y, steps=6)  # the second span: A's 11.8 s, B's 17.0 s
    page.mouse.up()

    wait_until(lambda: times(page)["a"] >= 11.9, page)  # let go: playing again from there
    now = times(page)
    assert not now["aPaused"] and not now["bPaused"], now
    assert now["a"] < 13.0, now  # from where it was let go, not where playback had got to
    assert abs(drift_from_spans(page)) < IN_STEP_S
    expect(page.locator("[data-timeline-bar]")).not_to_have_class(re.compile(r"\bis-scrubbing\b"))
    assert refined.errors == []


def test_a_note_taken_on_b_from_the_comparison_lands_on_video_b_at_the_aligned_time(
    refined: Opened, site_url: str
) -> None:
    page = refined.page
    comparison = refined.comparison
    go_to_difference(page, 1)  # A 3.2 s is B 4.6 s
    wait_until(lambda: times(page)["b"] == pytest.approx(shown(4.6), abs=0.01), page)

    page.get_by_role("button", name="Add note").click()
    form = page.locator("[data-note-form]")
    expect(form).to_contain_text("A at 00:03.2")
    expect(form).to_contain_text("B at 00:04.6")
    form.get_by_label("B at 00:04.6").check()
    form.get_by_role("button", name="Save note").click()  # empty: refused here, never an AI note
    expect(form.locator("[data-note-error]")).to_have_text("Write the note first.")
    form.get_by_label("Note", exact=True).fill("The **static** shot replaces the calm one")
    page.keyboard.press("Enter")

    expect(form).to_be_hidden()
    note = Note.objects.get(owner=comparison.owner)
    written = "The **static** shot replaces the calm one"
    assert (note.video_id, note.text, note.ai_generated) == (comparison.video_b_id, written, False)
    assert note.start == pytest.approx(shown(4.6), abs=0.001)  # the middle of the frame B showed
    item = page.locator(".compare-note")
    expect(item).to_have_count(1)
    expect(item.locator(".compare-note-time")).to_have_text("B 00:04.6")  # the page's one clock
    expect(item.locator("strong")).to_have_text("static")
    expect(page.locator(".timeline-note-mark-b")).to_have_count(1)

    # A note in the list seeks there.
    go_to_difference(page, 0)
    wait_until(lambda: times(page)["a"] == pytest.approx(shown(0.0), abs=0.01), page)
    item.locator(".compare-note-time").click()
    wait_until(lambda: times(page)["b"] == pytest.approx(shown(4.6), abs=0.01), page)

    # On video B's own page, at its own time.
    page.goto(f"{site_url}/videos/{comparison.video_b_id}/")
    expect(page.locator(".notes-panel .note")).to_have_count(1)
    expect(page.locator(".notes-panel .note-time")).to_have_text("[00:04]")
    assert refined.errors == []


def test_the_shared_sample_shows_its_notes_and_judges_the_threshold_but_offers_nothing_to_save(
    site_url: str, page: Page, refined_comparison: Comparison
) -> None:
    owner = refined_comparison.owner
    User.objects.filter(pk=owner.pk).update(is_sample_owner=True)  # the site's shared sample
    NoteFactory(owner=owner, video=refined_comparison.video_b, start=12.0, text="The break")
    visitor = UserFactory()
    errors = script_errors(page)
    log_in(page, site_url, visitor.email)
    page.goto(f"{site_url}/compare/{refined_comparison.pk}/")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()

    expect(page.get_by_role("button", name="Add note")).to_be_hidden()
    expect(page.get_by_role("button", name="Save as default threshold")).to_be_hidden()
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(page.locator("[data-note-form]")).to_be_hidden()
    # Its notes are there to follow: B's 12.0 s is in B's insertion, where A waits at 9.6 s.
    note = page.locator(".compare-note")
    expect(note.locator(".compare-note-time")).to_have_text("B 00:12.0")
    expect(note.locator(".compare-note-text")).to_have_text("The break")
    expect(page.locator(".timeline-note-mark-b")).to_have_count(1)
    note.locator(".compare-note-time").click()
    wait_until(lambda: times(page)["b"] == pytest.approx(shown(12.0), abs=0.01), page)
    assert times(page)["a"] == pytest.approx(shown(9.6), abs=0.01)
    # The slider still judges the comparison on this page; Reset brings back the engine's threshold.
    set_slider(page.get_by_role("slider", name="Threshold"), "1")
    expect(markers(page)).to_have_count(2)
    page.get_by_role("button", name="Reset").click()
    expect(markers(page)).to_have_count(3)
    assert Comparison.objects.get(pk=refined_comparison.pk).threshold == pytest.approx(REFINED_THRESHOLD)
    assert errors == []


def test_on_a_phone_play_the_current_difference_and_the_timeline_fit_the_first_screen(
    site_url: str, browser, refined_comparison: Comparison
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        opened = open_comparison(page, site_url, refined_comparison)
        height = 844

        for element in (
            page.get_by_role("button", name="Play both"),
            page.locator("[data-current-difference]"),
            page.locator("[data-timeline-bar]"),
        ):
            box = element.bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
        # No label is cut: not on the markers ("Only in B", or none where it does not fit), not in
        # the legend, and no button runs off the screen.
        clipped = page.evaluate(
            """() => [...document.querySelectorAll(
                  '.timeline-marker-text, .compare-legend .legend-item, .compare-transport button, .compare-current')]
                .filter((element) => element.offsetParent !== null)
                .filter((element) => {
                  const box = element.getBoundingClientRect();
                  const holder = element.closest('.timeline-marker') || element;
                  const outer = holder.getBoundingClientRect();
                  return element.scrollWidth > element.clientWidth + 1 || box.left < outer.left - 1
                    || box.right > outer.right + 1 || box.right > window.innerWidth || box.left < 0;
                })
                .map((element) => element.textContent)"""
        )
        assert clipped == []
        expect(page.locator(".compare-legend")).to_contain_text("Only in B")
        # A touch screen has no keyboard to learn: no shortcuts button, no card.
        expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_hidden()
        page.screenshot(path=SCREENSHOTS / "compare-phone.png")

        # A finger drags the playhead sideways along the timeline: both players follow it.
        bar = page.locator("[data-timeline-bar]").bounding_box()
        assert bar is not None
        touch = page.context.new_cdp_session(page)

        def finger(kind: str, position: float) -> None:
            point = {"x": bar["x"] + bar["width"] * position / 19.2, "y": bar["y"] + 4}
            touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})

        finger("touchStart", 2.0)
        for position in (3.0, 4.5, 6.0, 7.4):  # to A's 6.0 s, B's 7.4 s
            finger("touchMove", position)
            page.wait_for_timeout(50)
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        wait_until(lambda: times(page)["a"] == pytest.approx(6.0, abs=0.15), page)
        assert times(page)["b"] == pytest.approx(b_for_a_refined(times(page)["a"]), abs=0.01)
        assert opened.errors == []

        # The video page's delete confirmation stays on the screen.
        page.goto(f"{site_url}/videos/{refined_comparison.video_b_id}/")
        page.get_by_text("Delete video", exact=True).click()
        confirm = page.get_by_role("button", name="Delete permanently")
        expect(confirm).to_be_visible()
        for element in (confirm, page.locator(".delete-video-confirm")):
            box = element.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert opened.errors == []
    finally:
        context.close()


TOUCH_PX = 44  # the smallest target a finger hits reliably (WCAG 2.5.5, Apple's and Google's guides)


def test_on_a_phone_the_exports_back_link_and_badges_show_controls_are_finger_sized_and_notes_open_under_the_players(
    site_url: str, browser, refined_comparison: Comparison
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        opened = open_comparison(page, site_url, refined_comparison)

        for element in (
            page.get_by_role("link", name="Your comparisons"),
            page.get_by_text("Refined to the frame"),
            page.get_by_text("Alignment: Cuts"),
            page.get_by_role("link", name="Export JSON"),
            page.get_by_role("link", name="Export CSV"),
        ):
            expect(element).to_be_visible()
            box = element.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box

        for name in ("Previous difference", "Next difference"):
            box = page.get_by_role("button", name=name).bounding_box()
            assert box is not None and box["width"] >= TOUCH_PX and box["height"] >= TOUCH_PX, (name, box)
        for control in (
            page.get_by_role("button", name="One second back"),
            page.get_by_role("button", name="One second forward"),
            page.get_by_role("button", name="Add note"),
            page.get_by_role("button", name="Copy link"),
            page.get_by_label("Speed"),
            page.get_by_role("slider", name="Threshold"),
            page.get_by_role("button", name="Save as default threshold"),
            page.get_by_role("button", name="Reset to suggested"),
        ):
            box = control.bounding_box()
            assert box is not None and box["height"] >= TOUCH_PX, box

        # The note form opens right under the players, where the paused pictures are.
        page.get_by_role("button", name="Add note").click()
        form = page.locator("[data-note-form]")
        expect(form).to_be_visible()
        players = page.locator(".compare-players").bounding_box()
        box = form.bounding_box()
        assert players is not None and box is not None
        assert 0 <= box["y"] - (players["y"] + players["height"]) <= 16, (players, box)
        for name in ("Save note", "Cancel"):
            button = form.get_by_role("button", name=name).bounding_box()
            assert button is not None and button["height"] >= TOUCH_PX, (name, button)
        page.screenshot(path=SCREENSHOTS / "compare-phone-note.png")
        assert opened.errors == []

        # The note it was about, on video B's own page: its Edit and Delete are finger-sized too.
        form.get_by_label("Note", exact=True).fill("The static shot")
        form.get_by_role("button", name="Save note").click()
        expect(page.locator(".compare-note")).to_have_count(1)
        page.goto(f"{site_url}/videos/{refined_comparison.video_b_id}/")
        for name in ("Edit", "Delete"):
            action = page.locator(".notes-panel .note").get_by_role("button", name=name)
            expect(action).to_be_visible()
            box = action.bounding_box()
            assert box is not None and box["height"] >= TOUCH_PX and box["width"] >= TOUCH_PX, (name, box)
        assert opened.errors == []
    finally:
        context.close()


def test_the_threshold_slider_judges_as_it_moves_and_is_kept_only_when_saved_as_the_default(
    refined: Opened,
) -> None:
    page = refined.page
    slider = page.get_by_role("slider", name="Threshold")
    save = page.get_by_role("button", name="Save as default threshold")
    reset = page.get_by_role("button", name="Reset")
    expect(markers(page)).to_have_count(3)
    assert (slider.get_attribute("max"), slider.get_attribute("step")) == ("1", "0.01")
    expect(save).to_be_disabled()  # nothing to save at the saved value
    expect(reset).to_be_disabled()

    # Moved and let go: the page is judged at the top of the 0–1 scale, where no change passes and
    # only what B alone has is left; nothing is saved.
    set_slider(slider, "1")
    expect(markers(page)).to_have_count(2)
    expect(page.locator(".timeline-marker.marker-only_b")).to_have_count(2)
    expect(page.locator('[data-field="counts"]')).to_have_text("2 differences: 2 only in B.")
    expect(page.locator('[data-field="similarity"]')).to_have_text("73 %")
    expect(save).to_be_enabled()
    page.wait_for_timeout(500)  # time for a save on release, were there one
    refined.comparison.refresh_from_db()
    assert refined.comparison.threshold == pytest.approx(REFINED_THRESHOLD)

    # Reset: back to the engine's suggestion (here the saved default too), judged again.
    reset.click()
    expect(page.locator("[data-threshold-value]")).to_have_text("0.15")
    assert slider.input_value() == "0.15"
    expect(markers(page)).to_have_count(3)
    expect(page.locator("[data-threshold-status]")).to_have_text("Back to the engine's suggestion, 0.15.")
    expect(reset).to_be_disabled()

    # Saved as the default: a new page opens with it; the spans stay as they were.
    set_slider(slider, "1")
    save.click()  # at once, before the move's own judgement is sent
    expect(page.locator("[data-threshold-status]")).to_have_text("Saved: this comparison opens at 1.")
    page.wait_for_timeout(400)  # past the move's debounce: no later judgement wipes the message
    expect(page.locator("[data-threshold-status]")).to_have_text("Saved: this comparison opens at 1.")
    refined.comparison.refresh_from_db()
    assert refined.comparison.threshold == pytest.approx(1.0)
    assert refined.comparison.matched_spans == REFINED_SPANS
    expect(save).to_be_disabled()
    page.reload()
    expect(page.locator("[data-threshold-value]")).to_have_text("1")
    expect(markers(page)).to_have_count(2)
    expect(page.locator(".timeline-lane-a .timeline-span")).to_have_count(2)

    # Down with the keyboard, a hundredth at a time: the replaced stretch differs again, unsaved.
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(round(REFINED_THRESHOLD / 0.01)):
        page.keyboard.press("ArrowRight")
    expect(page.locator("[data-threshold-value]")).to_have_text("0.15")
    expect(markers(page)).to_have_count(3)
    expect(save).to_be_enabled()
    assert Comparison.objects.get(pk=refined.comparison.pk).threshold == pytest.approx(1.0)
    assert refined.errors == []


def test_reset_brings_back_the_engines_suggested_threshold_after_another_was_saved(
    site_url: str, page: Page, refined_comparison: Comparison
) -> None:
    # Saved at the top of the scale some time ago; the engine suggests 0.15 for a refined comparison.
    comparison_set_threshold(comparison=refined_comparison, threshold=1.0)
    opened = open_comparison(page, site_url, refined_comparison)
    reset = page.get_by_role("button", name="Reset to suggested")
    save = page.get_by_role("button", name="Save as default threshold")
    expect(page.locator("[data-threshold-value]")).to_have_text("1")
    expect(markers(page)).to_have_count(2)
    expect(reset).to_be_enabled()

    reset.click()

    expect(page.locator("[data-threshold-value]")).to_have_text("0.15")
    assert page.get_by_role("slider", name="Threshold").input_value() == "0.15"
    expect(markers(page)).to_have_count(3)  # the replaced stretch differs again
    expect(page.locator("[data-threshold-status]")).to_have_text(
        "Back to the engine's suggestion, 0.15: save it as the default to keep it."
    )
    expect(reset).to_be_disabled()
    assert Comparison.objects.get(pk=refined_comparison.pk).threshold == pytest.approx(1.0)  # not yet kept

    save.click()
    expect(page.locator("[data-threshold-status]")).to_have_text("Saved: this comparison opens at 0.15.")
    assert Comparison.objects.get(pk=refined_comparison.pk).threshold == pytest.approx(REFINED_THRESHOLD)
    page.reload()
    expect(page.locator("[data-threshold-value]")).to_have_text("0.15")
    expect(markers(page)).to_have_count(3)
    assert opened.errors == []


def test_keys_follow_the_sites_one_scheme_with_a_help_overlay_on_both_pages(refined: Opened, site_url: str) -> None:
    page = refined.page
    expect(page.locator(".compare-keys")).to_have_count(0)  # no shortcuts card: the overlay instead
    page.locator("h1").click()  # the page has focus, no control does

    page.keyboard.press("]")  # from the lead-in (where the page opens) to the replaced stretch
    wait_until(lambda: times(page)["a"] == pytest.approx(shown(3.2), abs=0.01), page)
    assert times(page)["b"] == pytest.approx(shown(4.6), abs=0.01)

    page.keyboard.press(".")  # one frame at 15 fps, on both
    wait_until(lambda: times(page)["a"] == pytest.approx(shown(3.2 + ONE_FRAME_S), abs=0.01), page)
    assert times(page)["b"] == pytest.approx(shown(4.6 + ONE_FRAME_S), abs=0.01)

    page.keyboard.press("]")
    wait_until(lambda: times(page)["b"] == pytest.approx(shown(11.0), abs=0.01), page)

    page.keyboard.press("[")
    wait_until(lambda: times(page)["b"] == pytest.approx(shown(4.6), abs=0.01), page)

    page.keyboard.press("ArrowRight")
    wait_until(lambda: times(page)["a"] == pytest.approx(shown(4.2), abs=0.01), page)
    assert times(page)["b"] == pytest.approx(shown(5.6), abs=0.01)

    page.keyboard.press("l")  # 10 s forward along the timeline: past B's 3.8 s insertion, into the second span
    wait_until(lambda: times(page)["a"] == pytest.approx(4.2 + 10 - 3.8, abs=0.05), page)
    assert times(page)["b"] == pytest.approx(b_for_a_refined(10.4), abs=0.05)
    page.keyboard.press("j")
    wait_until(lambda: times(page)["a"] == pytest.approx(4.2, abs=0.05), page)

    page.keyboard.press("m")
    expect(page.get_by_role("button", name="Mute A")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Mute B")).to_have_attribute("aria-pressed", "true")

    page.keyboard.press("k")
    expect(page.get_by_role("button", name="Pause both")).to_be_visible()
    # Half a second of playing; a busy machine's decoder may take a while to start it.
    wait_until(lambda: times(page)["a"] >= 4.7, page, timeout_s=45)
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()

    # N adds a note here (as on the video page), not "next difference".
    page.keyboard.press("n")
    expect(page.locator("[data-note-form]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("[data-note-form]")).to_be_hidden()

    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Next difference")
    expect(help_dialog).to_contain_text("10 seconds back")
    page.keyboard.press("]")  # the overlay has the keyboard
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(help_dialog).to_be_visible()
    help_dialog.get_by_role("button", name="Close").click()
    expect(help_dialog).to_be_hidden()
    assert refined.errors == []

    # The video page: the same keys where they fit, and its own help.
    page.goto(f"{site_url}/videos/{refined.comparison.video_a_id}/")
    video = page.locator("video[data-player]")
    page.wait_for_function("() => document.querySelector('video[data-player]').readyState >= 1")
    page.locator("h1").click()
    page.keyboard.press("l")
    wait_until(lambda: video.evaluate("(v) => v.currentTime") == pytest.approx(10.0, abs=0.05), page)
    page.keyboard.press("j")
    wait_until(lambda: video.evaluate("(v) => v.currentTime") == pytest.approx(0.0, abs=0.05), page)
    page.keyboard.press("m")
    assert video.evaluate("(v) => v.muted") is True
    page.keyboard.press("?")
    video_help = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(video_help).to_contain_text("Add a note at this moment")
    page.keyboard.press("Escape")
    page.keyboard.press("n")  # still the notes panel's "add note"
    expect(page.locator(".notes-panel .note-editor")).to_be_visible()
    assert refined.errors == []


def test_speed_applies_to_both_and_either_side_can_be_muted(refined: Opened) -> None:
    page = refined.page
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
    # B follows at twice the speed too, give or take the sync loop's nudge (at most a quarter). At 2x
    # on a loaded machine one look can catch B a moment behind before the nudge makes it up (0.23 s
    # once in CI), so most looks, not all, must find the two in step; a B left at 1x would be in step
    # for about a third of them (it drifts a second a second and is seeked back at 0.3 s).
    assert 1.5 <= page.evaluate(f"({media})('b').playbackRate") <= 2.5
    drifts = []
    for _ in range(7):
        drifts.append(drift_from_spans(page))
        page.wait_for_timeout(150)
    print(f"drift at 2x (s): {[round(d, 3) for d in drifts]}")
    assert sum(abs(d) < IN_STEP_S for d in drifts) >= 5, drifts
    assert refined.errors == []


def test_the_report_downloads_as_json_and_csv(refined: Opened) -> None:
    page = refined.page

    with page.expect_download() as json_download:
        page.get_by_role("link", name="Export JSON").click()
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export CSV").click()

    pk = refined.comparison.pk
    assert json_download.value.suggested_filename == f"comparison-{pk}.json"
    report = json.loads(Path(json_download.value.path()).read_text())
    assert (report["engine"], report["offset"]) == (3, 1.4)
    assert [list(span.values()) for span in report["matched_spans"]] == REFINED_SPANS
    assert [segment["kind"] for segment in report["segments"]] == ["only_b", "visual", "only_b"]
    assert csv_download.value.suggested_filename == f"comparison-{pk}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text())))
    assert [row["record"] for row in rows[:5]] == ["span", "span", "segment", "segment", "segment"]
    assert [row["kind"] for row in rows if row["record"] == "segment"] == ["only_b", "visual", "only_b"]
    assert len([row for row in rows if row["record"] == "curve"]) == len(report["curve"]["a_time"])


# --- a comparison made by an older engine -------------------------------------------------------------


def test_an_older_comparison_says_it_is_being_recomputed_then_shows_what_the_current_engine_found(
    transactional_db, site_url: str, page: Page, video_files, settings
) -> None:
    person = UserFactory()
    older = ComparisonFactory(
        owner=person,
        video_a=stored_video(person, video_files[0], "Workshop", 16.0, 15.0, settings),
        video_b=stored_video(person, video_files[1], "Workshop, sponsored cut", 22.0, 15.0, settings),
        clip_grid=True,
    )
    errors = script_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/compare/{older.pk}/")

    expect(page.locator("[data-recomputing]")).to_contain_text("Being recomputed by the current engine")
    expect(page.locator("[data-compare-page]")).to_have_count(0)  # nothing of what engine 1 found
    # The worker's part, here in the test's process: the files fingerprinted, compared, stored.
    assert in_worker_thread(comparison_recompute_by_id, older.pk) == Recomputed.DONE

    # The page notices by itself and shows the comparison, on the current engine's spans.
    expect(page.get_by_role("button", name="Play both")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-recomputing]")).to_have_count(0)
    expect(page.locator(".timeline-lane-a .timeline-span").first).to_be_visible()
    expect(page.locator(".difference").first).to_be_visible()
    assert errors == []
