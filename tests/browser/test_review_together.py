"""Reviewing together, with two browsers (issue 33's journey): the owner shares a comparison from its
page, a guest with no account opens the link, comments on B at a moment, and each sees the other's
words live — the comment, the owner's reply, its resolution — until the owner revokes the link and the
guest's page closes. Expired and password-protected links, and a version stack's link, too.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from reviews.models import Comment, ShareLink
from reviews.services import share_link_create
from tests.browser import test_compare_page as compare_page
from tests.browser.test_compare_page import (
    go_to_difference,
    open_comparison,
    processed_video,
    times,
    wait_until,
)
from tests.browser.test_review_comments import (
    comment_items,
    comments_panel,
    guest_context,
    open_shared_comparison,
    post_comment,
    shared_url,
    unexpected,
)
from tests.browser.threads import in_worker_thread
from tests.factories import ShareLinkFactory, UserFactory, VideoFactory, member_in
from videos.models import Comparison, Video
from videos.pipeline import runner
from videos.versions.services import version_add, version_compare_neighbours

pytestmark = pytest.mark.browser

refined_files = compare_page.refined_files
refined_comparison = compare_page.refined_comparison


def create_link_from_the_share_panel(page: Page, site_url: str, name: str) -> str:
    """The owner makes a link reviewers may comment through, and copies it."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
    panel = page.locator("#share-links")
    panel.locator("summary").click()
    panel.get_by_label("Name").fill(name)
    panel.get_by_label("Reviewers may").select_option("comment")
    panel.get_by_role("button", name="Create link").click()
    row = panel.locator("[data-share-link]").filter(has_text=name)
    row.get_by_role("button", name="Copy share link").click()
    expect(row.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"{site_url}/s/")
    return str(copied)


def test_the_owner_shares_a_guest_comments_on_b_and_both_follow_each_other_live_until_revoked(
    site_url: str, page: Page, browser: Any, refined_comparison: Comparison
) -> None:
    owner = open_comparison(page, site_url, refined_comparison)
    url = create_link_from_the_share_panel(page, site_url, "Client, round 2")
    # The comments card is there as soon as the comparison has a link: no reload.
    owners_panel = comments_panel(page)
    expect(owners_panel.locator('[data-comments-list][aria-busy="false"]')).to_be_attached()
    expect(owners_panel.get_by_text("No comments yet.")).to_be_visible()

    guest = guest_context(browser).new_page()
    guest_errors = open_shared_comparison(guest, url)
    expect(guest.get_by_text("Your comparisons")).to_have_count(0)  # nothing of the owner's
    guest.get_by_role("button", name="Play both").click()
    guest.get_by_role("button", name="Pause both").click()
    go_to_difference(guest, 1)  # A 3.2 s is B 4.6 s: frame 69 at 15 fps, shown from its middle
    wait_until(lambda: times(guest)["b"] == pytest.approx(4.6 + 0.5 / 15, abs=0.01), guest)
    post_comment(guest, side="b", body="The logo is too big here", name="Ana")
    guests_item = comment_items(guest)
    expect(guests_item).to_have_count(1)

    # The owner sees it live, with the link it came through, and replies.
    owners_item = comment_items(page)
    expect(owners_item).to_have_count(1)
    expect(owners_item.locator(".comment-time")).to_have_text("B 00:04.6")
    expect(owners_item.locator(".comment-body")).to_have_text("The logo is too big here")
    expect(owners_item.locator(".comment-via")).to_have_text("via Client, round 2")
    owners_item.get_by_role("button", name="Reply to Ana's comment").click()
    owners_item.get_by_role("textbox", name="Reply to Ana").fill("Shrinking it in v3")
    owners_item.get_by_role("textbox", name="Reply to Ana").press("Enter")
    expect(owners_item.locator(".comment-reply")).to_have_count(1)

    # The guest sees the reply live, marked as the team's.
    reply = guests_item.locator(".comment-reply")
    expect(reply).to_have_count(1)
    expect(reply.locator(".comment-body")).to_have_text("Shrinking it in v3")
    expect(reply.locator(".comment-owner-badge")).to_have_text("Team")

    # The owner resolves it: the guest sees it resolved (and may hide resolved ones).
    owners_item.get_by_role("button", name="Resolve Ana's comment").click()
    expect(owners_item.get_by_role("button", name="Reopen Ana's comment")).to_be_visible()
    expect(guests_item.locator(".comment-resolved-badge")).to_have_text("Resolved")
    expect(guests_item).to_have_class(re.compile(r"\bis-resolved\b"))
    guest_panel = comments_panel(guest)
    guest_panel.get_by_label("Show resolved").uncheck()
    expect(comment_items(guest)).to_have_count(0)
    expect(guest.locator(".timeline-comment-mark")).to_have_count(0)
    guest_panel.get_by_label("Show resolved").check()
    expect(comment_items(guest)).to_have_count(1)
    comment = Comment.objects.get(parent__isnull=True)
    assert comment.resolved_at is not None

    # The owner's marker on their own timeline seeks their B there too.
    go_to_difference(page, 0)
    wait_until(lambda: times(page)["b"] == pytest.approx(0.5 / 15, abs=0.01), page)
    page.get_by_role("button", name="Comment by Ana at 00:04.6 on B").click()
    wait_until(lambda: times(page)["b"] == pytest.approx(4.6 + 0.5 / 15, abs=0.01), page)

    # Revoked: the guest's page closes at once, and what it would do next is refused.
    row = page.locator("#share-links [data-share-link]").filter(has_text="Client, round 2")
    row.get_by_role("button", name="Revoke").click()
    expect(guest.get_by_role("heading", name="This link was revoked or has expired")).to_be_visible()
    expect(guest.locator("video")).to_have_count(0)
    token = url.removeprefix(f"{site_url}/s/").removesuffix("/")
    answer = guest.request.post(
        f"{site_url}/api/v1/shared/{token}/comments",
        data=json.dumps({"side": "b", "start": 4.6, "body": "Still there?", "author_name": "Ana"}),
        headers={"Content-Type": "application/json", "X-Reviewer-Key": "k" * 64},
    )
    assert answer.status == 404
    assert guest.goto(url).status == 404  # type: ignore[union-attr]
    assert Comment.objects.count() == 2
    assert unexpected(guest_errors) == []  # but the refusals just asked for
    assert owner.errors == []
    guest.context.close()


def test_an_expired_link_is_the_404_page(site_url: str, browser: Any, refined_comparison: Comparison) -> None:
    expired = ShareLinkFactory(comparison=refined_comparison, permission="comment")
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    guest = guest_context(browser).new_page()
    response = guest.goto(shared_url(site_url, expired))
    assert response is not None and response.status == 404
    expect(guest.get_by_role("button", name="Play both")).to_have_count(0)
    expect(comments_panel(guest)).to_have_count(0)
    guest.context.close()


def test_a_password_link_asks_for_its_password_then_opens_and_takes_comments(
    site_url: str, browser: Any, refined_comparison: Comparison
) -> None:
    protected = ShareLinkFactory(comparison=refined_comparison, permission="comment", password="open sesame")
    guest = guest_context(browser).new_page()
    response = guest.goto(shared_url(site_url, protected))
    assert response is not None and response.status == 403
    expect(comments_panel(guest)).to_have_count(0)
    guest.get_by_label("Password", exact=True).fill("open sesame")
    guest.get_by_role("button", name="Open").click()
    # The browser's form post is accepted: the page's referrer policy (same-origin) lets the form
    # carry its own Origin, which Django's CSRF check requires.
    expect(guest.get_by_role("button", name="Play both")).to_be_visible()
    errors = open_shared_comparison(guest, shared_url(site_url, protected))
    post_comment(guest, side="b", body="Behind the password", name="Ana")
    expect(comment_items(guest)).to_have_count(1)
    assert Comment.objects.get().link_id == protected.pk
    assert errors == []
    guest.context.close()


def test_a_stacks_link_shows_v2_against_v1_once_v2_is_processed_and_comments_land_on_that_pair(
    site_url: str, browser: Any, transactional_db, refined_files, settings
) -> None:
    owner = UserFactory()
    v1 = processed_video(owner, refined_files[0], "Interview", settings)
    v2 = version_add(
        previous=v1,
        video=VideoFactory(owner=owner, title="Interview, with a break", status=Video.Status.QUEUED),
    )
    assert v2.stack is not None
    link, token = share_link_create(member=member_in(owner), shared=v2.stack, name="Client", permission="comment")
    url = f"{site_url}/s/{token}/"

    # Until v2 is ready the link shows v1 alone.
    guest = guest_context(browser).new_page()
    guest.goto(url)
    expect(guest.get_by_role("button", name="Play both")).to_have_count(0)
    expect(guest.locator("video")).to_have_count(1)

    # v2 uploaded and processed: it is compared with v1 (cuts), and the same link now shows the pair.
    in_worker_thread(process_stored, v2.pk, refined_files[1], settings.MEDIA_ROOT)
    v2.refresh_from_db()
    assert v2.status == Video.Status.READY, v2.error_message
    in_worker_thread(lambda: version_compare_neighbours(video=Video.objects.get(pk=v2.pk)))
    comparison = Comparison.objects.get(video_a=v1, video_b=v2)
    assert comparison.alignment == "cuts"
    errors = open_shared_comparison(guest, url)
    expect(guest.get_by_role("heading", level=1)).to_contain_text("Interview, with a break")
    post_comment(guest, side="b", body="Better with the break", name="Ana")
    made = Comment.objects.get()
    assert (made.comparison_id, made.video_id, made.link_id) == (comparison.pk, None, link.pk)
    assert errors == []
    guest.context.close()


def process_stored(video_id: int, source: Path, media_root: str) -> None:
    """The upload's file stored where an upload leaves it, then processed by the pipeline."""
    key = f"videos/{video_id}/original{source.suffix}"
    target = Path(media_root) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    Video.objects.filter(pk=video_id).update(storage_key=key, size=target.stat().st_size)
    runner.process_video(video_id)
