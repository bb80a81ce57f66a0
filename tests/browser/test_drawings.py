"""Drawings on the picture in a real browser: a member draws a rectangle on a paused player and saves it
with a comment; after a reload it shows over the player at that frame (and not elsewhere). A guest draws
with a finger on a link's shared page; a second guest's browser then sees it at that frame. On a
comparison, a drawing goes on the chosen side's picture and shows over that player only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from reviews.models import Comment
from reviews.presenters import share_link_path
from sage.synthetic_media import Scene, make_video
from tests.browser import test_compare_page as compare_page
from tests.browser.signing_in import log_in
from tests.browser.test_compare_page import (
    go_to_difference,
    open_comparison,
    script_errors,
    stored_video,
    times,
    wait_until,
)
from tests.factories import ShareLinkFactory, UserFactory
from videos.models import Comparison, Video

pytestmark = pytest.mark.browser

# The compare page's refined comparison on real files, as fixtures of this module too.
refined_files = compare_page.refined_files
refined_comparison = compare_page.refined_comparison

RED = [0xE5, 0x39, 0x35]
GREEN = [0x43, 0xA0, 0x47]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    # 4:3 in the page's 16:9 frame: the picture is letterboxed, and drawings must land on it, not the bars.
    folder = tmp_path_factory.mktemp("drawings")
    return make_video(folder / "clip.mp4", scenes=[Scene(2, "bars", seed=1), Scene(2, "gradient", seed=2)])


@pytest.fixture
def video(transactional_db, clip, settings) -> Video:
    return stored_video(UserFactory(), clip, "Drawn on", duration=4.0, fps=15.0, settings=settings)


def ready(page: Page) -> None:
    page.wait_for_function("() => document.querySelector('video[data-player]').readyState >= 2")
    expect(page.locator("[data-comments-list][aria-busy='false']")).to_be_attached()
    expect(page.locator("canvas.drawing-layer")).to_be_attached()


def seek(page: Page, seconds: float) -> None:
    page.evaluate(
        """async (seconds) => {
          const video = document.querySelector('video[data-player]');
          video.pause();
          video.currentTime = seconds;
          await new Promise((done) => video.addEventListener('seeked', done, { once: true }));
        }""",
        seconds,
    )


def player(side: str) -> str:
    return "video[data-player]" if side == "video" else f'video[data-player="{side}"]'


def layer(side: str) -> str:
    return f'canvas[data-drawing-layer="{side}"]'


def picture(page: Page, side: str = "video") -> dict:
    """The picture's box on the page (the canvas less the letterbox bars), in CSS pixels of the
    viewport, the player scrolled into it."""
    page.locator(layer(side)).evaluate("(canvas) => canvas.scrollIntoView({ block: 'center' })")
    return page.evaluate(
        """([player, layer]) => {
          const video = document.querySelector(player);
          const bounds = document.querySelector(layer).getBoundingClientRect();
          const scale = Math.min(bounds.width / video.videoWidth, bounds.height / video.videoHeight);
          const width = video.videoWidth * scale, height = video.videoHeight * scale;
          return { x: bounds.left + (bounds.width - width) / 2, y: bounds.top + (bounds.height - height) / 2,
                   width, height, left: bounds.left, top: bounds.top };
        }""",
        [player(side), layer(side)],
    )


def at(box: dict, fx: float, fy: float) -> tuple[float, float]:
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def canvas_pixel(page: Page, x: float, y: float, side: str = "video") -> list[int]:
    return page.evaluate(
        """([x, y, layer]) => {
          const canvas = document.querySelector(layer);
          const bounds = canvas.getBoundingClientRect();
          const ratio = canvas.width / bounds.width;
          const data = canvas.getContext('2d').getImageData(Math.round((x - bounds.left) * ratio),
            Math.round((y - bounds.top) * ratio), 1, 1).data;
          return [data[0], data[1], data[2], data[3]];
        }""",
        [x, y, layer(side)],
    )


def showing(page: Page, side: str = "video") -> str:
    return page.locator(layer(side)).get_attribute("data-showing-comment") or ""


def near(pixel: list[int], colour: list[int]) -> bool:
    return pixel[3] > 200 and all(abs(p - c) <= 30 for p, c in zip(pixel[:3], colour, strict=True))


def test_a_member_draws_a_rectangle_on_a_paused_frame_and_sees_it_there_after_a_reload(
    site_url: str, page: Page, video: Video
) -> None:
    errors = script_errors(page)
    log_in(page, site_url, video.owner.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    ready(page)
    seek(page, 3.0)
    panel = page.locator("[data-comments-panel]")
    panel.get_by_role("button", name="Comment at this moment").click()
    form = panel.locator("[data-comment-form]")
    form.get_by_role("button", name="Draw on the picture").click()
    form.get_by_role("button", name="Rectangle").click()
    box = picture(page)
    page.mouse.move(*at(box, 0.2, 0.3))
    page.mouse.down()
    page.mouse.move(*at(box, 0.5, 0.5), steps=4)
    page.mouse.move(*at(box, 0.8, 0.7), steps=4)
    page.mouse.up()
    form.get_by_label("Comment", exact=True).fill("Crop to here")
    form.get_by_role("button", name="Save with comment").click()
    expect(form).to_be_hidden()

    comment = Comment.objects.get()
    assert (comment.side, comment.start, comment.body, comment.author_id) == (
        "video",
        3.033,  # the middle of the frame on screen at 3.0 s (15 fps), to the millisecond
        "Crop to here",
        video.owner_id,
    )
    assert comment.drawing is not None
    [shape] = comment.drawing["shapes"]
    assert (shape["tool"], shape["color"]) == ("rect", "#e53935")
    assert shape["from"] == pytest.approx([0.2, 0.3], abs=0.01)  # on the picture, not the letterbox
    assert shape["to"] == pytest.approx([0.8, 0.7], abs=0.01)
    item = panel.locator(".comments-list > .comment")
    expect(item.locator(".comment-drawing-badge")).to_have_text("Drawing")

    page.reload()
    ready(page)
    seek(page, 1.0)
    wait_until(lambda: showing(page) == "", page)
    # A click on the comment's time seeks there; paused on its frame, the drawing shows over the picture.
    panel.locator(".comments-list .comment-time").click()
    wait_until(lambda: showing(page) == str(comment.pk), page)
    box = picture(page)
    assert near(canvas_pixel(page, *at(box, 0.5, 0.3)), RED)  # the rectangle's top edge
    assert canvas_pixel(page, *at(box, 0.5, 0.5))[3] == 0  # inside it: the picture shows through
    expect(item.locator(".comment-still img")).to_have_js_property("complete", True)
    assert item.locator(".comment-still img").evaluate("(image) => image.naturalWidth") > 0
    seek(page, 0.5)
    wait_until(lambda: showing(page) == "", page)
    assert errors == []


def touch_stroke(page: Page, points: list[tuple[float, float]]) -> None:
    """A finger along `points`, as the touchscreen sends it (the browser makes touch pointer events)."""
    cdp = page.context.new_cdp_session(page)
    first, *rest = points
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": first[0], "y": first[1]}]})
    for x, y in rest:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_guest_draws_with_a_finger_and_another_guest_sees_it_at_that_frame(
    site_url: str, browser: Any, video: Video
) -> None:
    link = ShareLinkFactory(video=video, permission="comment")
    url = f"{site_url}{share_link_path(link.token)}"  # the factory keeps it
    drawer = browser.new_context(has_touch=True, is_mobile=False)
    page = drawer.new_page()
    errors = script_errors(page)
    page.goto(url)
    ready(page)
    seek(page, 1.0)
    panel = page.locator("[data-comments-panel]")
    panel.get_by_role("button", name="Comment at this moment").click()
    form = panel.locator("[data-comment-form]")
    form.get_by_label("Your name").fill("Ana")
    form.get_by_role("button", name="Draw on the picture").tap()
    form.get_by_role("button", name="Green").tap()
    box = picture(page)
    touch_stroke(page, [at(box, 0.1 + step * 0.05, 0.5) for step in range(10)])
    assert page.locator("canvas.drawing-layer").evaluate("(canvas) => getComputedStyle(canvas).touchAction") == "none"
    form.get_by_role("button", name="Save with comment").click()
    expect(form).to_be_hidden()

    comment = Comment.objects.get()
    assert (comment.link_id, comment.body, comment.author_name) == (link.pk, "", "Ana")
    assert comment.drawing is not None
    [shape] = comment.drawing["shapes"]
    assert (shape["tool"], shape["color"]) == ("pen", "#43a047") and len(shape["points"]) >= 5
    assert shape["points"][0] == pytest.approx([0.1, 0.5], abs=0.01)
    assert errors == []
    drawer.close()

    later = browser.new_context()
    viewer = later.new_page()
    viewer.goto(url)
    ready(viewer)
    seek(viewer, 1.0)
    wait_until(lambda: showing(viewer) == str(comment.pk), viewer)
    assert near(canvas_pixel(viewer, *at(picture(viewer), 0.3, 0.5)), GREEN)
    later.close()


def test_on_a_comparison_a_drawing_goes_on_the_chosen_sides_picture_and_shows_there_only(
    site_url: str, page: Page, refined_comparison: Comparison
) -> None:
    opened = open_comparison(page, site_url, refined_comparison)
    go_to_difference(page, 1)  # A 3.2 s is B 4.6 s
    wait_until(lambda: times(page)["b"] == pytest.approx(compare_page.shown(4.6), abs=0.01), page)
    panel = page.locator("[data-comments-panel]")
    panel.get_by_role("button", name="Comment at this moment").click()
    form = panel.locator("[data-comment-form]")
    form.locator('input[name="side"][value="b"]').check()
    form.get_by_role("button", name="Draw on the picture").click()
    form.get_by_role("button", name="Ellipse").click()
    form.get_by_role("button", name="Yellow").click()
    box = picture(page, "b")
    page.mouse.move(*at(box, 0.4, 0.4))
    page.mouse.down()
    page.mouse.move(*at(box, 0.6, 0.6), steps=4)
    page.mouse.up()
    form.get_by_role("button", name="Save with comment").click()
    expect(form).to_be_hidden()

    comment = Comment.objects.get()
    assert (comment.side, comment.comparison_id, comment.body) == ("b", refined_comparison.pk, "")
    assert comment.start == pytest.approx(compare_page.shown(4.6), abs=0.001)  # the middle of the frame B showed
    assert comment.drawing is not None and comment.drawing["shapes"][0]["tool"] == "ellipse"
    wait_until(lambda: showing(page, "b") == str(comment.pk), page)
    assert showing(page, "a") == ""
    go_to_difference(page, 0)
    wait_until(lambda: showing(page, "b") == "", page)
    panel.locator(".comments-list .comment-time").click()
    wait_until(lambda: showing(page, "b") == str(comment.pk), page)
    assert opened.errors == []


def test_on_a_phone_the_side_drawn_on_takes_the_whole_width(
    site_url: str, page: Page, refined_comparison: Comparison
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    opened = open_comparison(page, site_url, refined_comparison)
    side_by_side = picture(page, "b")
    assert side_by_side["width"] < 200  # two players in a phone's row

    panel = page.locator("[data-comments-panel]")
    panel.get_by_role("button", name="Comment at this moment").click()
    form = panel.locator("[data-comment-form]")
    form.locator('input[name="side"][value="b"]').check()
    form.get_by_role("button", name="Draw on the picture").click()

    # B alone across the row: its picture twice as wide (this 4:3 clip is letterboxed in a 16:9 frame).
    wait_until(lambda: picture(page, "b")["width"] >= 2 * side_by_side["width"], page)
    expect(page.locator('video[data-player="a"]')).to_be_hidden()
    box = picture(page, "b")
    page.mouse.move(*at(box, 0.3, 0.3))
    page.mouse.down()
    page.mouse.move(*at(box, 0.7, 0.7), steps=4)
    page.mouse.up()
    form.get_by_role("button", name="Save with comment").click()
    expect(form).to_be_hidden()
    # Drawn: both players side by side again, the drawing on B's picture.
    expect(page.locator('video[data-player="a"]')).to_be_visible()
    comment = Comment.objects.get()
    assert comment.drawing is not None and comment.drawing["shapes"][0]["points"][0] == pytest.approx(
        [0.3, 0.3], abs=0.02
    )
    assert opened.errors == []
