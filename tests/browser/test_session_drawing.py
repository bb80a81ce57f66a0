"""A drawing made in a live review session (issue 53), with three browsers on one comparison session:
the presenter (a member), a member follower and a link's guest follower. The presenter pauses at a
frame; the member follower draws a rectangle on B: the other two see the drawing in progress over
their B player at that frame (and not when the presenter takes them a second away); he saves it
with a comment: all three list it and see it over B at that frame, and so does someone opening the
link's shared page later (the member's comment went on the session's link's thread).
(On a video's session, a follower who draws steps out: test_review_session's video test.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from reviews.models import Comment
from tests.browser import test_review_session as three_browsers
from tests.browser.test_compare_page import script_errors
from tests.browser.test_review_session import Team, join, member_page, read, start_from_the_comparison

pytestmark = pytest.mark.browser

WAIT_S = 20.0

# The three browsers' team, comparison, link and contexts are those of the session's own test.
files = three_browsers.files
team = three_browsers.team
contexts = three_browsers.contexts


def wait_until(condition: Callable[[], bool], page: Page, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {read(page)}")
        page.wait_for_timeout(100)


def b_time(page: Page) -> float:
    return float(page.evaluate("() => document.querySelector('video[data-player=\"b\"]').currentTime"))


def drafts_on(page: Page, side: str) -> int:
    shown = page.locator(f'canvas[data-session-drafts="{side}"]').get_attribute("data-shown-shapes")
    return int(shown or 0)


def showing(page: Page, side: str) -> str:
    return page.locator(f'canvas[data-drawing-layer="{side}"]').get_attribute("data-showing-comment") or ""


def at_presenters_frame(page: Page, presenter: Page) -> Callable[[], bool]:
    return lambda: abs(b_time(page) - b_time(presenter)) < 0.05 and bool(read(page)["paused"])


def drafts_count(page: Page, count: int) -> Callable[[], bool]:
    return lambda: drafts_on(page, "b") == count


def showing_comment(page: Page, pk: int) -> Callable[[], bool]:
    return lambda: showing(page, "b") == str(pk)


def picture(page: Page, side: str) -> dict:
    page.locator(f'canvas[data-drawing-layer="{side}"]').evaluate("(c) => c.scrollIntoView({ block: 'center' })")
    return page.evaluate(
        """(side) => {
          const video = document.querySelector(`video[data-player="${side}"]`);
          const bounds = document.querySelector(`canvas[data-drawing-layer="${side}"]`).getBoundingClientRect();
          const scale = Math.min(bounds.width / video.videoWidth, bounds.height / video.videoHeight);
          const width = video.videoWidth * scale, height = video.videoHeight * scale;
          return { x: bounds.left + (bounds.width - width) / 2, y: bounds.top + (bounds.height - height) / 2,
                   width, height };
        }""",
        side,
    )


def at(box: dict, fx: float, fy: float) -> tuple[float, float]:
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def test_a_followers_drawing_shows_live_on_the_others_at_that_frame_and_stays_as_a_comment(
    site_url: str, team: Team, contexts: Callable[[], Any]
) -> None:
    director = member_page(contexts, site_url, team.director, team.studio)
    session_url = start_from_the_comparison(director, site_url, team.comparison)
    code = session_url.rstrip("/").rsplit("/", 1)[-1]
    join(director)
    editor = member_page(contexts, site_url, team.editor, team.studio)
    editor_errors = script_errors(editor)
    editor.goto(session_url)
    join(editor)
    guest = contexts().new_page()
    guest_errors = script_errors(guest)
    guest.goto(f"{site_url}/s/{team.token}/sessions/{code}/")
    join(guest, name="Client Carla")

    # The presenter, paused, goes to the difference (30 s): both followers land on that frame.
    director.locator("[data-seek-difference='0']").first.click()
    for page in (editor, guest):
        wait_until(at_presenters_frame(page, director), page, "the follower at the presenter's frame")
    frame = b_time(director)
    assert frame == pytest.approx(30.0, abs=0.5)

    # The member follower draws a rectangle on B: the presenter and the guest see it in progress there.
    panel = editor.locator("[data-comments-panel]")
    panel.get_by_role("button", name="Comment at this moment").click()
    form = panel.locator("[data-comment-form]")
    form.locator('input[name="side"][value="b"]').check()
    form.get_by_role("button", name="Draw on the picture").click()
    form.get_by_role("button", name="Rectangle").click()
    box = picture(editor, "b")
    editor.mouse.move(*at(box, 0.2, 0.3))
    editor.mouse.down()
    editor.mouse.move(*at(box, 0.5, 0.5), steps=4)
    editor.mouse.move(*at(box, 0.8, 0.7), steps=4)
    editor.mouse.up()
    for page in (director, guest):
        wait_until(drafts_count(page, 1), page, "the draft over B")
        assert drafts_on(page, "a") == 0

    # Commenting and drawing stepped the drawer out: his picture stays on the frame he draws on.
    expect(editor.locator("[data-session-banner]")).to_contain_text("You stepped out")

    # The presenter steps a second back: the guest, jumped there, no longer sees the draft (it is of
    # the frame before); back at the frame, it shows again.
    director.get_by_role("button", name="One second back").click()
    wait_until(lambda: b_time(guest) < frame - 0.5, guest, "the guest a second back")
    assert b_time(editor) == pytest.approx(frame, abs=0.05)
    wait_until(lambda: drafts_on(guest, "b") == 0, guest, "the draft hidden away from its frame")
    director.locator("[data-seek-difference='0']").first.click()
    wait_until(lambda: abs(b_time(guest) - frame) < 0.05, guest, "the guest back at the frame")
    wait_until(lambda: drafts_on(guest, "b") == 1, guest, "the draft at its frame again")

    # Saved with a comment: the drafts go, and everyone lists it and sees it over B at that frame.
    form.locator("[data-comment-body]").fill("The logo is too big here")
    form.get_by_role("button", name="Save with comment").click()
    expect(form).to_be_hidden()
    comment = Comment.objects.get()
    assert (comment.side, comment.link_id, comment.author_id) == ("b", team.link.pk, team.editor.pk)
    assert comment.drawing is not None and comment.drawing["shapes"][0]["tool"] == "rect"
    for page in (director, editor, guest):
        expect(page.locator("[data-comments-list]")).to_contain_text("The logo is too big here")
        wait_until(showing_comment(page, comment.pk), page, "the stored drawing over B")
        assert showing(page, "a") == ""
    for page in (director, guest):
        wait_until(drafts_count(page, 0), page, "the draft cleared")

    # Someone opening the link later sees it too, at that frame of B.
    later = contexts().new_page()
    later.goto(f"{site_url}/s/{team.token}/")
    later_panel = later.locator("[data-comments-panel]")
    expect(later_panel.locator("[data-comments-list]")).to_contain_text("The logo is too big here")
    later_panel.locator(".comments-list .comment-time").click()
    wait_until(showing_comment(later, comment.pk), later, "the drawing on the shared page")
    assert editor_errors == [] and guest_errors == []


def test_drafts_of_several_people_are_kept_apart_and_show_only_at_their_frame(site_url: str, page: Page) -> None:
    """session/drafts.js on its own, over one <video> sitting at 0 s."""
    page.goto(f"{site_url}/healthz")
    seen = page.evaluate(
        """async () => {
          const video = document.createElement("video");
          video.dataset.player = "";
          video.style.width = "320px";
          video.style.height = "180px";
          document.body.append(video);
          const { DraftLayers } = await import("/static/js/session/drafts.js");
          const drafts = new DraftLayers();
          const canvas = document.querySelector("canvas[data-session-drafts='video']");
          const read = () => [Number(canvas.dataset.shownShapes), canvas.dataset.draftsBy];
          const rect = { tool: "rect", color: "#e53935", width: 0.005, from: [0.1, 0.1], to: [0.5, 0.5] };
          const steps = {};
          drafts.show([rect], { by: 1, side: "video", time: 0, shapes: [rect] });
          drafts.show([rect, rect], { by: 2, side: "video", time: 0, shapes: [rect, rect] });
          steps.both = read();
          drafts.show([rect], { by: 1, side: "video", time: 0, shapes: [rect] }); // 1 changes their draft
          steps.changed = read();
          drafts.clear(2);
          steps.cleared = read();
          drafts.show([rect], { by: 1, side: "video", time: 5, shapes: [rect] }); // another frame
          steps.elsewhere = read();
          return steps;
        }"""
    )
    assert seen["both"] == [3, "1 2"]
    assert seen["changed"] == [3, "1 2"]  # replaced, not added to
    assert seen["cleared"] == [1, "1"]
    assert seen["elsewhere"] == [0, ""]
