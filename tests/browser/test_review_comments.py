"""Reviewers' comments on a shared page, in a real browser: the guest's form, the list, the timeline's
comment markers, deleting one's own, and what a guest is told when they may not comment.

The comparison is test_compare_page's refined one on real files (A 3.2 s is B 4.6 s); links are made
by the service, as the owner's share panel does (test_review_together makes them through the panel).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from devtools import processes
from reviews.models import Comment, ShareLink
from reviews.presenters import share_link_path
from tests.browser import test_compare_page as compare_page
from tests.browser.test_compare_page import (
    REFINED_FPS,
    go_to_difference,
    script_errors,
    stored_video,
    times,
    wait_until,
)
from tests.factories import CommentFactory, ShareLinkFactory, UserFactory
from videos.models import Comparison

pytestmark = pytest.mark.browser

# The compare page's refined comparison on real files, as fixtures of this module too.
refined_files = compare_page.refined_files
refined_comparison = compare_page.refined_comparison


def guest_context(browser: Any) -> BrowserContext:
    """A fresh browser profile: no cookies, no account, its own localStorage."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    return context


def shared_url(site_url: str, link: ShareLink) -> str:
    return f"{site_url}{share_link_path(link.token)}"  # type: ignore[attr-defined]  # the factory keeps it


def open_shared_comparison(page: Page, url: str) -> list[str]:
    errors = script_errors(page)
    page.goto(url)
    expect(page.get_by_role("button", name="Play both")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('video[data-player]')].every((video) => video.readyState >= 3)"
    )
    expect(comments_panel(page).locator('[data-comments-list][aria-busy="false"]')).to_be_attached()
    return errors


def unexpected(errors: list[str]) -> list[str]:
    """The page's errors but the browser's own line for a refused request the test caused."""
    return [error for error in errors if not error.startswith("Failed to load resource")]


def comments_panel(page: Page) -> Locator:
    return page.locator("[data-comments-panel]")


def comment_items(page: Page) -> Locator:
    return comments_panel(page).locator(".comments-list > .comment")


def post_comment(page: Page, *, side: str | None, body: str, name: str | None = None) -> None:
    """Through the form: open it at the players' moment, choose the side, give the name if asked."""
    panel = comments_panel(page)
    panel.get_by_role("button", name="Comment at this moment").click()
    form = panel.locator("[data-comment-form]")
    expect(form).to_be_visible()
    if side is not None:
        form.locator(f'input[name="side"][value="{side}"]').check()
    if name is not None:
        form.get_by_label("Your name").fill(name)
    form.get_by_label("Comment", exact=True).fill(body)
    form.get_by_label("Comment", exact=True).press("Enter")
    expect(form).to_be_hidden()


def test_a_guest_comments_on_b_at_the_paused_moment_and_its_time_and_marker_seek_there(
    site_url: str, browser: Any, refined_comparison: Comparison
) -> None:
    link = ShareLinkFactory(comparison=refined_comparison, permission="comment")
    context = guest_context(browser)
    page = context.new_page()
    errors = open_shared_comparison(page, shared_url(site_url, link))

    page.get_by_role("button", name="Play both").click()
    page.get_by_role("button", name="Pause both").click()
    go_to_difference(page, 1)  # A 3.2 s is B 4.6 s
    wait_until(lambda: times(page)["b"] == pytest.approx(compare_page.shown(4.6), abs=0.01), page)
    panel = comments_panel(page)
    panel.get_by_role("button", name="Comment at this moment").click()
    form = panel.locator("[data-comment-form]")
    expect(form).to_contain_text("A at 00:03.2")
    expect(form).to_contain_text("B at 00:04.6")
    form.get_by_label("B at 00:04.6").check()
    expect(form.locator("[data-comment-moment]")).to_have_text("At B 00:04.6")
    form.get_by_label("Comment", exact=True).fill("The logo is too big")
    form.get_by_label("Comment", exact=True).press("Enter")
    # The name is asked the first time.
    expect(form.locator("[data-comment-error]")).to_have_text("Give the name to show beside your comment.")
    form.get_by_label("Your name").fill("Ana <b>Client</b>")
    form.get_by_role("button", name="Post comment").click()

    expect(form).to_be_hidden()
    item = comment_items(page)
    expect(item).to_have_count(1)
    expect(item.locator(".comment-time")).to_have_text("B 00:04.6")
    expect(item.locator(".comment-author")).to_have_text("Ana <b>Client</b>")  # text, never markup
    expect(item.locator(".comment-body")).to_have_text("The logo is too big")
    comment = Comment.objects.get()
    assert (comment.side, comment.body, comment.link_id) == ("b", "The logo is too big", link.pk)
    assert comment.start == pytest.approx(compare_page.shown(4.6), abs=0.001)  # the middle of the frame B showed

    # Its time in the list seeks B there; so does its marker on the timeline.
    go_to_difference(page, 0)
    wait_until(lambda: times(page)["b"] == pytest.approx(compare_page.shown(0.0), abs=0.01), page)
    item.locator(".comment-time").click()
    wait_until(lambda: times(page)["b"] == pytest.approx(compare_page.shown(4.6), abs=0.01), page)
    go_to_difference(page, 2)
    wait_until(lambda: times(page)["b"] == pytest.approx(compare_page.shown(11.0), abs=0.01), page)
    marker = page.get_by_role("button", name="Comment by Ana <b>Client</b> at 00:04.6 on B")
    expect(marker).to_have_count(1)
    marker.click()
    wait_until(lambda: times(page)["b"] == pytest.approx(compare_page.shown(4.6), abs=0.01), page)

    # After a reload it is still there, and the name is not asked again.
    page.reload()
    expect(comment_items(page)).to_have_count(1)
    panel.get_by_role("button", name="Comment at this moment").click()
    expect(form.locator("[data-comment-as]")).to_contain_text("As Ana <b>Client</b>")
    expect(form.get_by_label("Your name")).to_be_hidden()
    assert errors == []
    context.close()


def test_a_guest_deletes_their_own_comment_and_another_guest_can_delete_neither_theirs_nor_it(
    site_url: str, browser: Any, refined_comparison: Comparison
) -> None:
    link = ShareLinkFactory(comparison=refined_comparison, permission="comment")
    first_context, second_context = guest_context(browser), guest_context(browser)
    first, second = first_context.new_page(), second_context.new_page()
    first_errors = open_shared_comparison(first, shared_url(site_url, link))
    second_errors = open_shared_comparison(second, shared_url(site_url, link))

    post_comment(first, side="b", body="Cut this pause", name="Ana")
    # The other guest sees it live, with no Delete on it.
    expect(comment_items(second)).to_have_count(1)
    expect(comment_items(second).first).to_contain_text("Cut this pause")
    expect(comment_items(second).first.get_by_role("button", name="Delete")).to_have_count(0)

    post_comment(second, side="b", body="Keep the music", name="Ben")
    expect(comment_items(first)).to_have_count(2)
    bens = comment_items(first).filter(has_text="Keep the music")
    expect(bens.get_by_role("button", name="Delete")).to_have_count(0)

    # Deleting asks once more, then it is gone here and on the other page.
    anas = comment_items(first).filter(has_text="Cut this pause")
    anas.get_by_role("button", name="Delete Ana's comment").click()
    anas.get_by_role("button", name="Confirm deleting Ana's comment").click()
    expect(comment_items(first)).to_have_count(1)
    expect(comment_items(second)).to_have_count(1)
    expect(comment_items(second).first).to_contain_text("Keep the music")
    assert list(Comment.objects.values_list("body", flat=True)) == ["Keep the music"]
    assert first_errors == [] and second_errors == []
    first_context.close()
    second_context.close()


def test_a_guest_replies_under_a_comment_and_an_unsent_comment_survives_a_reload(
    site_url: str, browser: Any, refined_comparison: Comparison
) -> None:
    link = ShareLinkFactory(comparison=refined_comparison, permission="comment")
    context = guest_context(browser)
    page = context.new_page()
    errors = open_shared_comparison(page, shared_url(site_url, link))
    post_comment(page, side="b", body="Too dark here", name="Ana")

    item = comment_items(page).first
    item.get_by_role("button", name="Reply to Ana's comment").click()
    item.get_by_role("textbox", name="Reply to Ana").fill("Also the sound dips")
    item.get_by_role("textbox", name="Reply to Ana").press("Enter")
    expect(item.locator(".comment-reply")).to_have_count(1)
    expect(item.locator(".comment-reply .comment-body")).to_have_text("Also the sound dips")
    reply = Comment.objects.select_related("parent").get(parent__isnull=False)
    assert reply.parent is not None
    assert (reply.author_name, reply.parent.body) == ("Ana", "Too dark here")

    panel = comments_panel(page)
    panel.get_by_role("button", name="Comment at this moment").click()
    panel.get_by_label("Comment", exact=True).fill("Half-written\nsecond line")
    page.reload()
    expect(panel.get_by_label("Comment", exact=True)).to_have_value("Half-written\nsecond line")
    # Shift+Enter is a new line; Enter posts it.
    panel.get_by_label("Comment", exact=True).press("Shift+Enter")
    panel.get_by_label("Comment", exact=True).type("third")
    panel.get_by_label("Comment", exact=True).press("Enter")
    expect(comment_items(page)).to_have_count(2)
    assert Comment.objects.filter(body="Half-written\nsecond line\nthird").exists()
    # The list may show it (the live event) before the send's answer is back; the form closes with
    # the answer, and the draft goes with it. A reload before then keeps the draft, as it should.
    expect(panel.locator("[data-comment-form]")).to_be_hidden()
    page.reload()
    expect(panel.locator("[data-comment-form]")).to_be_hidden()  # sent: nothing kept
    assert errors == []
    context.close()


def test_a_view_only_link_has_no_form_and_a_link_turned_off_meanwhile_says_so(
    site_url: str, browser: Any, refined_comparison: Comparison
) -> None:
    view_only = ShareLinkFactory(comparison=refined_comparison, permission="view")
    context = guest_context(browser)
    page = context.new_page()
    errors = open_shared_comparison(page, shared_url(site_url, view_only))
    panel = comments_panel(page)
    expect(panel.get_by_text("Comments are turned off on this link.")).to_be_visible()
    expect(panel.get_by_role("button", name="Comment at this moment")).to_be_hidden()
    page.keyboard.press("c")
    expect(panel.locator("[data-comment-form]")).to_be_hidden()

    # Turned off behind the page's back (no push reached it): the refusal says so and takes the form.
    link = ShareLinkFactory(comparison=refined_comparison, permission="comment")
    page.goto(shared_url(site_url, link))
    expect(panel.locator('[data-comments-list][aria-busy="false"]')).to_be_attached()
    ShareLink.objects.filter(pk=link.pk).update(permission="view")
    page.keyboard.press("c")  # the comparison's key for "Comment at this moment"
    form = panel.locator("[data-comment-form]")
    expect(form).to_be_visible()
    form.get_by_label("Your name").fill("Ana")
    form.get_by_label("Comment", exact=True).fill("Can I still say this?")
    form.get_by_label("Comment", exact=True).press("Enter")
    expect(panel.get_by_text("Comments are turned off on this link.")).to_be_visible()
    expect(form).to_be_hidden()
    assert not Comment.objects.exists()
    assert unexpected(errors) == []
    context.close()


def test_a_comment_whose_answer_was_lost_is_sent_again_and_shown_once(
    site_url: str, browser: Any, refined_comparison: Comparison
) -> None:
    link = ShareLinkFactory(comparison=refined_comparison, permission="comment")
    context = guest_context(browser)
    page = context.new_page()
    errors = open_shared_comparison(page, shared_url(site_url, link))
    post_comment(page, side="b", body="First", name="Ana")

    # The server stores the next comment, but its answer never reaches the page.
    def stored_then_cut(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fetch()
        route.abort("connectionreset")

    page.route(re.compile(r"/api/v1/shared/[^/]+/comments$"), stored_then_cut)
    panel = comments_panel(page)
    panel.get_by_role("button", name="Comment at this moment").click()
    panel.get_by_label("Comment", exact=True).fill("Logo too big")
    panel.get_by_label("Comment", exact=True).press("Enter")
    expect(panel.locator("[data-comment-error]")).to_have_text("The connection to the server was lost; try again.")
    page.unroute(re.compile(r"/api/v1/shared/[^/]+/comments$"))
    panel.get_by_role("button", name="Post comment").click()

    expect(panel.locator("[data-comment-form]")).to_be_hidden()
    expect(comment_items(page)).to_have_count(2)
    assert sorted(Comment.objects.values_list("body", flat=True)) == ["First", "Logo too big"]
    page.reload()
    expect(comment_items(page)).to_have_count(2)

    # Lost again, and the page reloaded before the guest sends it again: the draft comes back with
    # the id it was sent with, so the stored comment is answered, not stored twice.
    page.route(re.compile(r"/api/v1/shared/[^/]+/comments$"), stored_then_cut)
    panel.get_by_role("button", name="Comment at this moment").click()
    panel.get_by_label("Comment", exact=True).fill("Music too loud")
    panel.get_by_label("Comment", exact=True).press("Enter")
    expect(panel.locator("[data-comment-error]")).to_have_text("The connection to the server was lost; try again.")
    page.unroute(re.compile(r"/api/v1/shared/[^/]+/comments$"))
    page.reload()
    expect(panel.get_by_label("Comment", exact=True)).to_have_value("Music too loud")
    panel.get_by_role("button", name="Post comment").click()

    expect(panel.locator("[data-comment-form]")).to_be_hidden()
    expect(comment_items(page)).to_have_count(3)
    assert Comment.objects.filter(body="Music too loud").count() == 1
    assert unexpected(errors) == []
    context.close()


@pytest.fixture
def strict_site_url(transactional_db) -> Iterator[str]:
    with processes.daphne_server(REVIEW_COMMENT_RATE_PER_ADDRESS="2/min") as url:
        yield url


def test_too_many_comments_say_how_long_to_wait(
    strict_site_url: str, browser: Any, refined_comparison: Comparison
) -> None:
    link = ShareLinkFactory(comparison=refined_comparison, permission="comment")
    context = guest_context(browser)
    page = context.new_page()
    errors = open_shared_comparison(page, shared_url(strict_site_url, link))
    post_comment(page, side="b", body="One", name="Ana")
    post_comment(page, side="b", body="Two")
    panel = comments_panel(page)
    panel.get_by_role("button", name="Comment at this moment").click()
    panel.get_by_label("Comment", exact=True).fill("Three")
    panel.get_by_label("Comment", exact=True).press("Enter")
    expect(panel.locator("[data-comment-error]")).to_have_text(re.compile(r"^Too many comments: try again in \d+ s\.$"))
    expect(panel.get_by_label("Comment", exact=True)).to_have_value("Three")  # nothing lost
    assert Comment.objects.count() == 2
    assert unexpected(errors) == []
    context.close()


def test_on_a_shared_video_a_comment_marks_the_lane_under_the_player_and_seeks_it(
    site_url: str, browser: Any, transactional_db, refined_files, settings
) -> None:
    owner = UserFactory()
    video = stored_video(owner, refined_files[0], "Interview", 14.0, REFINED_FPS, settings)
    link = ShareLinkFactory(video=video, comparison=None, permission="comment")
    context = guest_context(browser)
    page = context.new_page()
    errors = script_errors(page)
    page.goto(shared_url(site_url, link))
    player = page.locator("video").first
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    player.evaluate("(video) => { video.currentTime = 6.5; }")
    page.wait_for_function("() => Math.abs(document.querySelector('video').currentTime - 6.5) < 0.05")

    post_comment(page, side=None, body="Nice transition", name="Ana")
    item = comment_items(page)
    expect(item.locator(".comment-time")).to_have_text("00:06.5")
    comment = Comment.objects.get()
    assert (comment.side, comment.video_id, comment.comparison_id) == ("video", video.pk, None)

    player.evaluate("(video) => { video.currentTime = 1; }")
    marker = page.locator(".comments-lane").get_by_role("button", name="Comment by Ana at 00:06.5")
    marker.click()
    page.wait_for_function("() => Math.abs(document.querySelector('video').currentTime - 6.5) < 0.05")
    assert errors == []
    context.close()


def test_comments_at_one_moment_share_a_marker_that_counts_them(
    site_url: str, browser: Any, transactional_db, refined_files, settings
) -> None:
    owner = UserFactory()
    video = stored_video(owner, refined_files[0], "Interview", 14.0, REFINED_FPS, settings)
    link = ShareLinkFactory(video=video, comparison=None, permission="comment")
    for name in ("Ana", "Bo", "Ana"):
        CommentFactory(link=link, author_name=name, side="video", start=6.5, body=f"{name} on the cut")
    CommentFactory(link=link, author_name="Cy", side="video", start=2.0, body="Too dark")
    context = guest_context(browser)
    page = context.new_page()
    errors = script_errors(page)
    page.goto(shared_url(site_url, link))
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")

    lane = page.locator(".comments-lane")
    expect(lane.locator(".timeline-comment-mark")).to_have_count(2)  # three at 00:06.5 drawn as one
    shared = lane.get_by_role("button", name="3 comments from 00:06.5: by Ana, Bo")
    expect(shared).to_have_attribute("data-count", "3")
    expect(lane.get_by_role("button", name="Comment by Cy at 00:02.0")).to_have_count(1)
    shared.click()
    page.wait_for_function("() => Math.abs(document.querySelector('video').currentTime - 6.5) < 0.05")
    assert errors == []
    context.close()
