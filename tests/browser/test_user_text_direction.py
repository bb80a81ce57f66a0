"""User text cannot turn the page's text around it backwards: a reviewer's name or comment holding
U+202E (RIGHT-TO-LEFT OVERRIDE) stays inside its own element, so the comment's time and the rest of
its line read in their order, on the shared page and the owner's (server- and script-rendered)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from reviews.models import Comment
from tests.browser.signing_in import log_in
from tests.factories import ConversationFactory, ShareLinkFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.browser

OVERRIDE = "\u202e"
ISOLATED = {"isolate", "isolate-override", "plaintext"}


def _isolation(page: Page, selector: str) -> str:
    return page.locator(selector).first.evaluate("(element) => getComputedStyle(element).unicodeBidi")


def test_a_comment_with_a_right_to_left_override_reorders_nothing_around_it(
    site_url: str, page: Page, transactional_db
) -> None:
    owner = UserFactory(display_name="Owner")
    video = VideoFactory(owner=owner, ready=True, duration=60.0, title=f"Interview{OVERRIDE} cut")
    link = ShareLinkFactory(video=video, permission="comment", name="Client")
    # As stored before names refused direction controls: the name and the body both hold one.
    Comment.objects.create(
        link=link,
        video=video,
        side=Comment.Side.VIDEO,
        start=12.0,
        body=f"{OVERRIDE}the colour is off here",
        author_name=f"{OVERRIDE}Ana from the agency",
        author_key_digest="0" * 64,
    )

    page.goto(f"{site_url}/s/{link.token}/")
    comment = page.locator(".comments-list > .comment").first
    expect(comment.locator(".comment-body")).to_have_text(f"{OVERRIDE}the colour is off here")

    for selector in (".comment-author", ".comment-when", ".comment-time", ".comment-body"):
        assert _isolation(page, selector) in ISOLATED, selector
    # The owner's page draws the same list, with the link's name after the author's.
    log_in(page, site_url, owner.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    owner_comment = page.locator(".comments-list > .comment").first
    expect(owner_comment.locator(".comment-via")).to_have_text("via Client")
    for selector in (".comment-author", ".comment-via", ".comment-via bdi", ".comment-body"):
        assert _isolation(page, selector) in ISOLATED, selector


def test_a_title_with_a_right_to_left_override_leaves_the_rest_of_its_line_in_order(
    site_url: str, page: Page, transactional_db
) -> None:
    owner = UserFactory()
    title = f"Interview{OVERRIDE} cut"
    ConversationFactory(owner=owner, video=VideoFactory(owner=owner, ready=True, title=title), title="Colours")
    log_in(page, site_url, owner.email)

    page.goto(f"{site_url}/chat/")

    meta = page.locator(".chat-list-meta").first
    expect(meta).to_contain_text("About")
    # Where the title's own characters are drawn, and where the time after it is: without isolation
    # the override turns "cut” · <time>" around, drawing the time before the end of the title.
    title_right = meta.evaluate(
        """(meta, title) => {
          const walker = document.createTreeWalker(meta, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(title);
            if (at >= 0) {
              const range = document.createRange();
              range.setStart(node, at);
              range.setEnd(node, at + title.length);
              return range.getBoundingClientRect().right;
            }
          }
          return null;
        }""",
        title,
    )
    time_box = meta.locator("time").bounding_box()
    assert title_right is not None and time_box is not None
    assert title_right <= time_box["x"] + 1
