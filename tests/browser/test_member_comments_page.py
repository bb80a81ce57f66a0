"""A member's comments from their own pages in a real browser: "Visible to" puts a comment on one of
the object's live comment links' threads, whose guests then see it on their shared page, or keeps it
to members; the list says which thread each is on. A version stack's own page shows its newest pair
with the same card and drawing layers, and a member's comment there reaches the stack link's guests.
A commenter gets Delete on their own comments only, and Edit and Delete on their own notes only (the
access policy's answers, which the API holds to)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from reviews.member_comments import comment_create_by_member
from reviews.models import Comment
from reviews.presenters import share_link_path
from reviews.services import share_link_revoke
from sage.realtime import push_to_user
from tests.browser import test_compare_page as compare_page
from tests.browser import test_drawings as drawings
from tests.browser.signing_in import log_in, signed_in_to
from tests.browser.test_compare_page import script_errors
from tests.browser.test_drawings import ready, seek
from tests.browser.threads import in_worker_thread
from tests.factories import (
    MembershipFactory,
    NoteFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
    VideoStackFactory,
    member_in,
)
from videos.models import Comparison, Video
from workspaces.models import Role

pytestmark = pytest.mark.browser

# The drawing tests' stored video and the compare page's refined comparison, as fixtures of this module too.
clip = drawings.clip
video = drawings.video
refined_files = compare_page.refined_files
refined_comparison = compare_page.refined_comparison


def post_comment(page: Page, body: str, visible_to: str | None = None) -> None:
    panel = page.locator("[data-comments-panel]")
    panel.get_by_role("button", name="Comment at this moment").click()
    form = panel.locator("[data-comment-form]")
    if visible_to is not None:
        form.get_by_label("Visible to").select_option(label=visible_to)
    form.get_by_label("Comment", exact=True).fill(body)
    form.get_by_role("button", name="Post comment").click()
    expect(form).to_be_hidden()


def listed(page: Page, body: str) -> Any:
    return page.locator(".comments-list > .comment").filter(has_text=body)


def guest_sees(browser: Any, url: str) -> list[str]:
    """The comment bodies a link's guest sees on its shared page (a browser of their own)."""
    context = browser.new_context()
    guest = context.new_page()
    guest.goto(url)
    expect(guest.locator("[data-comments-list][aria-busy='false']")).to_be_attached()
    bodies = guest.locator(".comments-list .comment-body").all_inner_texts()
    context.close()
    return bodies


def test_a_member_chooses_who_sees_a_comment_and_a_links_guest_sees_only_theirs(
    site_url: str, page: Page, browser: Any, video: Video
) -> None:
    client = ShareLinkFactory(video=video, name="Client", permission="comment")
    ShareLinkFactory(video=video, name="Viewers", permission="view")  # no comments: not offered
    share_link_revoke(link=ShareLinkFactory(video=video, name="Old round", permission="comment"))
    errors = script_errors(page)
    log_in(page, site_url, video.owner.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    ready(page)
    seek(page, 1.0)

    form = page.locator("[data-comment-form]")
    page.get_by_role("button", name="Comment at this moment").click()
    choices = form.get_by_label("Visible to")
    expect(choices.locator("option")).to_have_text(["Members only", "Members and guests of Client"])
    expect(choices).to_have_value("")  # members only unless chosen
    form.get_by_role("button", name="Cancel").click()
    post_comment(page, "For the team: the grade is off")
    seek(page, 2.0)
    post_comment(page, "For the client: is this the logo you sent?", visible_to="Members and guests of Client")

    expect(listed(page, "For the team").locator("[data-comment-thread]")).to_have_text("Members only")
    expect(listed(page, "For the client").locator("[data-comment-thread]")).to_have_text("to guests of Client")
    stored = {comment.body[:13]: comment.link_id for comment in Comment.objects.all()}
    assert stored == {"For the team:": None, "For the clien": client.pk}
    assert guest_sees(browser, f"{site_url}{share_link_path(client.token)}") == [
        "For the client: is this the logo you sent?"
    ]
    assert errors == []


def test_a_stacks_page_shows_its_newest_pair_and_a_members_comment_reaches_the_stack_links_guests(
    site_url: str, page: Page, browser: Any, refined_comparison: Comparison
) -> None:
    stack = VideoStackFactory(owner=refined_comparison.owner, title="Interview")
    Video.objects.filter(pk=refined_comparison.video_a_id).update(stack=stack, version=1)
    Video.objects.filter(pk=refined_comparison.video_b_id).update(stack=stack, version=2)
    Comparison.objects.filter(pk=refined_comparison.pk).update(metric="cosine", alignment="cuts")
    link = ShareLinkFactory(stack=stack, name="Producer", permission="comment")
    errors = script_errors(page)
    log_in(page, site_url, stack.owner.email)
    page.goto(f"{site_url}/videos/{refined_comparison.video_b_id}/")
    page.get_by_role("link", name="The stack's page").click()

    expect(page.locator("[data-stack-page]")).to_contain_text("Version stack Interview: v2 against v1")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()
    expect(page.locator("[data-comments-list][aria-busy='false']")).to_be_attached()
    expect(page.locator("canvas.drawing-layer")).to_have_count(2)  # drawing on either player, as the compare page
    post_comment(page, "Producer: trim the intro", visible_to="Members and guests of Producer")
    # The choice stays as it was for the next comment (as the side does): members only is chosen again.
    page.get_by_role("button", name="Comment at this moment").click()
    expect(page.get_by_label("Visible to")).to_have_value(str(link.pk))
    page.get_by_role("button", name="Cancel").click()
    post_comment(page, "Note to self: check the mix", visible_to="Members only")

    [to_producer] = Comment.objects.filter(link=link)
    assert to_producer.comparison_id == refined_comparison.pk and to_producer.body == "Producer: trim the intro"
    expect(listed(page, "Producer: trim").locator("[data-comment-thread]")).to_have_text("to guests of Producer")
    expect(listed(page, "Note to self").locator("[data-comment-thread]")).to_have_text("Members only")
    assert guest_sees(browser, f"{site_url}{share_link_path(link.token)}") == ["Producer: trim the intro"]
    assert errors == []


def test_a_commenter_gets_delete_and_edit_only_on_what_they_made(site_url: str, page: Page, video: Video) -> None:
    # The team's video: its owner commented and took a note; a commenter of the team opens it.
    team = TeamWorkspaceFactory(created_by=video.owner)
    Video.objects.filter(pk=video.pk).update(workspace=team)
    video.refresh_from_db()
    commenter = MembershipFactory(workspace=team, role=Role.COMMENTER).user
    comment_create_by_member(
        member=member_in(video.owner, team.pk), shared=video, side="video", start=0.5, body="Owner: the grade"
    )
    NoteFactory(owner=video.owner, video=video, workspace=team, start=1.0, text="Owner's note")
    NoteFactory(owner=commenter, video=video, workspace=team, start=2.0, text="My note")
    errors = script_errors(page)
    signed_in_to(page, site_url, commenter, team)
    page.goto(f"{site_url}/videos/{video.pk}/")
    ready(page)
    seek(page, 1.5)
    post_comment(page, "Mine: the logo")

    owners, mine = listed(page, "Owner: the grade"), listed(page, "Mine: the logo")
    expect(mine.get_by_role("button", name="Delete")).to_have_count(1)
    expect(owners.get_by_role("button", name="Delete")).to_have_count(0)  # the API would refuse it (403)
    expect(owners.get_by_role("button", name="Reply")).to_have_count(1)  # a commenter replies to anyone's
    notes = page.locator("[data-notes-panel]")
    expect(notes.locator(".note", has_text="My note").get_by_role("button", name="Edit")).to_be_visible()
    expect(notes.locator(".note", has_text="Owner's note").get_by_role("button", name="Edit")).to_be_hidden()
    expect(notes.locator(".note", has_text="Owner's note").get_by_role("button", name="Delete")).to_be_hidden()
    page.reload()  # what the list API says after a reload is the same
    ready(page)
    expect(listed(page, "Owner: the grade").get_by_role("button", name="Delete")).to_have_count(0)
    expect(listed(page, "Mine: the logo").get_by_role("button", name="Delete")).to_have_count(1)
    assert errors == []


def heard_live(page: Page, site_url: str, path: str, user: User) -> None:
    """Open `path` and wait until its events socket is joined: pushes sent before would be missed, and
    the server sends nothing on connect, so a harmless event is pushed until one arrives."""
    with page.expect_websocket(lambda socket: socket.url.endswith("/ws/events/")) as opened:
        page.goto(f"{site_url}{path}")
    frames: list[object] = []
    opened.value.on("framereceived", lambda payload: frames.append(payload))
    ready(page)
    for _ in range(50):
        in_worker_thread(push_to_user, user.pk, "test.ping", {})
        page.wait_for_timeout(100)
        if frames:
            return
    raise AssertionError("the page's events socket never heard a push")


def test_a_commenters_own_comment_pushed_live_shows_delete_and_anothers_does_not(
    site_url: str, page: Page, video: Video
) -> None:
    # The commenter's page is open; their own comment (from another tab, or their script) and the
    # owner's arrive only as pushes, which carry no `can_delete`.
    team = TeamWorkspaceFactory(created_by=video.owner)
    Video.objects.filter(pk=video.pk).update(workspace=team)
    video.refresh_from_db()
    commenter = MembershipFactory(workspace=team, role=Role.COMMENTER).user
    errors = script_errors(page)
    signed_in_to(page, site_url, commenter, team)
    heard_live(page, site_url, f"/videos/{video.pk}/", commenter)

    def comment_as(person: User, body: str) -> None:
        comment_create_by_member(member=member_in(person, team.pk), shared=video, side="video", start=1.0, body=body)

    in_worker_thread(comment_as, commenter, "Mine, from my other tab")
    in_worker_thread(comment_as, video.owner, "Owner's, pushed")
    mine, owners = listed(page, "Mine, from my other tab"), listed(page, "Owner's, pushed")
    expect(mine).to_be_visible()
    expect(owners).to_be_visible()
    expect(mine.get_by_role("button", name="Delete")).to_have_count(1)
    expect(owners.get_by_role("button", name="Delete")).to_have_count(0)
    mine.get_by_role("button", name="Delete").click()
    mine.get_by_role("button", name="Confirm deleting").click()
    expect(mine).to_have_count(0)
    assert list(Comment.objects.values_list("body", flat=True)) == ["Owner's, pushed"]
    assert errors == []
