"""Review statuses on pages (issue 52, approvals): the badges in the library and a stack's versions
card, the status card of the video and comparison pages with its form, the shared pages' card, and
the share-link form's setting. What is live is in tests/browser/test_review_status_live.py."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from reviews.approvals import review_status_set_by_guest, review_status_set_by_member
from reviews.models import ShareLink, StatusChange
from tests.clients import client_in as client_for
from tests.factories import ComparisonFactory, ShareLinkFactory, UserFactory, VideoFactory, VideoStackFactory, member_in
from tests.reviews.test_review_status import team_with
from videos.models import ReviewStatus, Video
from workspaces.models import Role

pytestmark = pytest.mark.django_db


def badge(html: str, key: str) -> str:
    """The label of the review-status badge of `key` ("video:12") on the page."""
    match = re.search(
        rf'data-review-status-of="{key}"[^>]*>.*?<span data-review-status-label>([^<]*)</span>', html, re.S
    )
    assert match is not None, key
    return match.group(1)


def test_the_library_shows_each_cards_review_status() -> None:
    owner = UserFactory()
    approved = VideoFactory(owner=owner, ready=True, review_status=ReviewStatus.APPROVED)
    fresh = VideoFactory(owner=owner, ready=True)

    html = client_for(owner).get("/videos/").content.decode()

    assert badge(html, f"video:{approved.pk}") == "Approved"
    assert badge(html, f"video:{fresh.pk}") == "In progress"


def test_the_video_page_shows_who_set_it_when_and_the_history_and_its_form_sets_it() -> None:
    ana = UserFactory(display_name="Ana")
    video = VideoFactory(owner=ana, ready=True)
    client = client_for(ana)
    review_status_set_by_member(member=member_in(ana), target=video, status="needs_review")

    answer = client.post(
        f"/sharing/videos/{video.pk}/review-status/", {"status": "approved", "next": f"/videos/{video.pk}/"}
    )

    assert answer.status_code == 302 and answer["Location"] == f"/videos/{video.pk}/"
    html = client.get(answer["Location"]).content.decode()
    assert "Review status set to “Approved”." in html
    assert badge(html, f"video:{video.pk}") == "Approved"
    who = re.search(r"data-review-status-who>(.*?)</span>", html, re.S)
    assert who is not None and re.match(r"Approved by Ana, <time[^>]*>now</time>", who.group(1)), who
    history = re.findall(r"<li>(\w[^<]*?) by Ana", html)
    assert history == ["Approved", "Needs review"]
    assert 'name="status"' in html


def test_a_viewer_sees_the_status_without_a_form_and_a_post_anyway_changes_nothing() -> None:
    viewer = UserFactory()
    team = team_with(viewer, Role.VIEWER)
    video = VideoFactory(owner=viewer, workspace=team, ready=True)
    client = client_for(viewer, workspace=team)

    page = client.get(f"/videos/{video.pk}/").content.decode()
    assert badge(page, f"video:{video.pk}") == "In progress"
    assert "data-review-status-form" not in page

    answer = client.post(f"/sharing/videos/{video.pk}/review-status/", {"status": "approved"}, follow=True)
    assert "Viewers of this workspace can watch and read" in answer.content.decode()
    video.refresh_from_db()
    assert video.review_status == ReviewStatus.IN_PROGRESS and not StatusChange.objects.exists()


def test_another_persons_video_or_comparison_is_404_for_the_form() -> None:
    video = VideoFactory(ready=True)
    comparison = ComparisonFactory()
    stranger = client_for(UserFactory())

    assert stranger.post(f"/sharing/videos/{video.pk}/review-status/", {"status": "approved"}).status_code == 404
    assert (
        stranger.post(f"/sharing/comparisons/{comparison.pk}/review-status/", {"status": "approved"}).status_code == 404
    )


def test_a_stacks_versions_card_shows_each_versions_status_with_a_form_for_the_others() -> None:
    stack = VideoStackFactory(versions=3)
    v1, v2, v3 = Video.objects.filter(stack=stack).order_by("version")
    review_status_set_by_member(member=member_in(stack.owner), target=v1, status="approved")

    html = client_for(stack.owner).get(f"/videos/{v3.pk}/").content.decode()

    versions = html[html.index("data-versions") :]
    assert badge(versions, f"video:{v1.pk}") == "Approved"
    assert badge(versions, f"video:{v2.pk}") == "In progress"
    assert f'data-review-status-form="video:{v1.pk}"' in versions
    assert f'data-review-status-form="video:{v2.pk}"' in versions
    # This version's own form is the status card's, above.
    assert versions.count(f'data-review-status-form="video:{v3.pk}"') == 0


def test_the_comparison_page_has_the_status_card_and_its_form() -> None:
    comparison = ComparisonFactory()
    client = client_for(comparison.owner)

    client.post(f"/sharing/comparisons/{comparison.pk}/review-status/", {"status": "changes_requested"})

    html = client.get(f"/compare/{comparison.pk}/").content.decode()
    assert badge(html, f"comparison:{comparison.pk}") == "Changes requested"
    assert f'data-review-status-form="comparison:{comparison.pk}"' in html


def test_the_shared_page_shows_the_status_and_offers_guests_the_form_only_when_the_link_allows() -> None:
    owner = UserFactory(display_name="")
    comparison = ComparisonFactory(owner=owner)
    review_status_set_by_member(member=member_in(owner), target=comparison, status="needs_review")
    closed = ShareLinkFactory(comparison=comparison, permission="comment")
    allowed = ShareLinkFactory(comparison=comparison, permission="comment", allow_status=True)
    guest = Client()

    closed_page = guest.get(f"/s/{closed.token}/").content.decode()
    assert badge(closed_page, f"comparison:{comparison.pk}") == "Needs review"
    assert "Needs review by Owner" in closed_page  # not the first part of the owner's e-mail address
    assert re.search(r"data-review-status-guest\s+hidden", closed_page)
    refused = guest.post(f"/s/{closed.token}/review-status/", {"status": "approved", "author_name": "Bea"}, follow=True)
    assert "Setting the review status is off on this link." in refused.content.decode()

    allowed_page = guest.get(f"/s/{allowed.token}/").content.decode()
    assert not re.search(r"data-review-status-guest\s+hidden", allowed_page)
    answer = guest.post(f"/s/{allowed.token}/review-status/", {"status": "approved", "author_name": "Bea"})
    assert answer.status_code == 302
    page = guest.get(answer["Location"]).content.decode()
    assert badge(page, f"comparison:{comparison.pk}") == "Approved"
    assert "Approved by Bea" in page
    change = StatusChange.objects.get(to_status="approved")
    assert (change.by_name, change.by_guest, change.link_id) == ("Bea", True, allowed.pk)


def test_a_stacks_shared_page_shows_its_newest_versions_status() -> None:
    stack = VideoStackFactory(versions=2)
    link = ShareLinkFactory(stack=stack, permission="comment", allow_status=True)
    review_status_set_by_guest(link=link, status="approved", author_name="Bea")
    newest = Video.objects.get(stack=stack, version=2)

    html = Client().get(f"/s/{link.token}/").content.decode()

    assert "Review status of v2" in html
    assert badge(html, f"video:{newest.pk}") == "Approved"


def test_the_share_panels_form_makes_a_link_that_lets_guests_set_the_status() -> None:
    video = VideoFactory(ready=True)
    client = client_for(video.owner)

    client.post(
        f"/sharing/videos/{video.pk}/links/",
        {"name": "Client", "permission": "comment", "allow_status": "on"},
    )

    link = ShareLink.objects.get()
    assert link.allow_status is True
    html = client.get(f"/videos/{video.pk}/").content.decode()
    assert "Let reviewers set the review status" in html
    assert 'data-field="allow-status">Sets status<' in html
