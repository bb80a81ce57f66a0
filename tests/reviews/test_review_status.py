"""Review statuses (issue 52, approvals): who may set a version's or a comparison's status, the history
it keeps, the API's answers, and the link setting that lets guests set it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.test import Client

from reviews.approvals import StatusOff, review_status_set_by_guest, review_status_set_by_member
from reviews.models import ShareLink, StatusChange
from reviews.tasks import send_comment_digests
from tests.clients import client_in as client_for
from tests.factories import ComparisonFactory, ShareLinkFactory, UserFactory, VideoFactory, VideoStackFactory, member_in
from videos.models import ReviewStatus, Video
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the guests' rate counts
    yield
    cache.clear()


def team_with(user, role: str) -> Workspace:
    """A team workspace (another person's) where `user` has `role`."""
    founder = UserFactory()
    team = Workspace.objects.create(name="Studio", kind=Workspace.Kind.TEAM, created_by=founder)
    Membership.objects.create(workspace=team, user=founder, role=Role.OWNER)
    Membership.objects.create(workspace=team, user=user, role=role)
    return team


def put(client: Client, url: str, body: dict) -> Any:
    return client.put(url, body, content_type="application/json")


# --- the service ----------------------------------------------------------------------------------


def test_a_member_sets_a_status_and_the_history_records_who_when_and_from_what() -> None:
    ana = UserFactory(display_name="Ana")
    video = VideoFactory(owner=ana, ready=True)
    assert video.review_status == ReviewStatus.IN_PROGRESS

    change = review_status_set_by_member(member=member_in(ana), target=video, status="approved")

    video.refresh_from_db()
    assert video.review_status == ReviewStatus.APPROVED
    assert change is not None
    stored = StatusChange.objects.get()
    assert (stored.video_id, stored.comparison_id) == (video.pk, None)
    assert (stored.from_status, stored.to_status) == ("in_progress", "approved")
    assert (stored.by_user_id, stored.by_name, stored.by_guest, stored.link_id) == (ana.pk, "Ana", False, None)
    assert stored.at is not None
    # Left for the digest (a team's admins hear of it); the digest never tells its maker of it.
    assert stored.notified_at is None


def test_the_same_status_twice_is_recorded_once() -> None:
    comparison = ComparisonFactory()

    first = review_status_set_by_member(
        member=member_in(comparison.owner), target=comparison, status="changes_requested"
    )
    again = review_status_set_by_member(
        member=member_in(comparison.owner), target=comparison, status="changes_requested"
    )

    assert first is not None and again is None
    assert StatusChange.objects.filter(comparison=comparison).count() == 1


def test_a_viewer_of_the_workspace_acted_in_is_refused_with_a_sentence() -> None:
    viewer = UserFactory()
    team = team_with(viewer, Role.VIEWER)
    video = VideoFactory(owner=viewer, workspace=team, ready=True)  # the team's, as its selector gives it
    with pytest.raises(PermissionDenied, match="Viewers of this workspace"):
        review_status_set_by_member(member=member_in(viewer, team.pk), target=video, status="approved")

    video.refresh_from_db()
    assert video.review_status == ReviewStatus.IN_PROGRESS
    assert not StatusChange.objects.exists()


def test_a_commenter_may_set_it() -> None:
    commenter = UserFactory()
    team = team_with(commenter, Role.COMMENTER)
    video = VideoFactory(owner=commenter, workspace=team, ready=True)
    assert (
        review_status_set_by_member(member=member_in(commenter, team.pk), target=video, status="needs_review")
        is not None
    )


def test_a_guest_without_allow_status_is_refused_and_with_it_sets_under_their_name() -> None:
    video = VideoFactory(ready=True)
    closed = ShareLinkFactory(video=video, permission="comment")
    view_only = ShareLinkFactory(video=video, permission="view", allow_status=True)
    allowed = ShareLinkFactory(video=video, permission="comment", allow_status=True)

    for link in (closed, view_only):
        with pytest.raises(StatusOff):
            review_status_set_by_guest(link=link, status="approved", author_name="Bea")
    target, change = review_status_set_by_guest(link=allowed, status="changes_requested", author_name=" Bea ")

    assert target == video and change is not None
    assert (change.by_name, change.by_guest, change.link_id, change.by_user_id) == ("Bea", True, allowed.pk, None)
    assert change.notified_at is None  # for the owner's digest
    assert StatusChange.objects.count() == 1


def test_a_stacks_link_sets_its_newest_version() -> None:
    stack = VideoStackFactory(versions=2)
    link = ShareLinkFactory(stack=stack, permission="comment", allow_status=True)

    target, _ = review_status_set_by_guest(link=link, status="approved", author_name="Bea")

    statuses = dict(Video.objects.filter(stack=stack).values_list("version", "review_status"))
    assert isinstance(target, Video) and target.version == 2
    assert statuses == {1: "in_progress", 2: "approved"}


# --- the API ----------------------------------------------------------------------------------------


def test_the_api_sets_and_reads_a_videos_status_with_who_when_and_history() -> None:
    ana = UserFactory(display_name="Ana")
    video = VideoFactory(owner=ana, ready=True)
    client = client_for(ana)
    url = f"/api/v1/videos/{video.pk}/review-status"

    assert client.get(url).json()["changed_by"] is None
    assert put(client, url, {"status": "needs_review"}).status_code == 200
    answer = put(client, url, {"status": "approved"})

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["status"], body["label"], body["changed_by"]) == ("approved", "Approved", "Ana")
    assert body["changed_at"] is not None
    assert [(row["from_status"], row["to_status"]) for row in body["history"]] == [
        ("needs_review", "approved"),
        ("in_progress", "needs_review"),
    ]
    assert client.get(url).json() == body


def test_an_invalid_status_is_a_400_in_the_apis_error_shape() -> None:
    comparison = ComparisonFactory()
    answer = put(client_for(comparison.owner), f"/api/v1/comparisons/{comparison.pk}/review-status", {"status": "done"})

    assert answer.status_code == 400
    body = answer.json()
    assert body["error"]["code"] == "invalid" and "status" in body["error"]["fields"]


def test_a_viewer_is_refused_by_the_api_and_another_persons_ids_are_404() -> None:
    viewer = UserFactory()
    team = team_with(viewer, Role.VIEWER)
    video = VideoFactory(owner=viewer, workspace=team, ready=True)
    comparison = ComparisonFactory(owner=viewer, workspace=team)
    client = client_for(viewer, workspace=team)

    refused = put(client, f"/api/v1/videos/{video.pk}/review-status", {"status": "approved"})
    assert refused.status_code == 403
    assert "Viewers of this workspace" in refused.json()["error"]["message"]
    assert put(client, f"/api/v1/comparisons/{comparison.pk}/review-status", {"status": "approved"}).status_code == 403
    assert client.get(f"/api/v1/videos/{video.pk}/review-status").status_code == 200  # viewers read

    stranger = client_for(UserFactory())
    assert put(stranger, f"/api/v1/videos/{video.pk}/review-status", {"status": "approved"}).status_code == 404
    assert stranger.get(f"/api/v1/comparisons/{comparison.pk}/review-status").status_code == 404
    assert not StatusChange.objects.exists()


def test_a_guest_sets_it_through_the_shared_api_only_when_the_link_allows() -> None:
    owner = UserFactory(display_name="")
    comparison = ComparisonFactory(owner=owner)
    review_status_set_by_member(member=member_in(owner), target=comparison, status="needs_review")
    closed = ShareLinkFactory(comparison=comparison, permission="comment")
    allowed = ShareLinkFactory(comparison=comparison, permission="comment", allow_status=True)
    guest = Client()

    refused = put(guest, f"/api/v1/shared/{closed.token}/review-status", {"status": "approved", "author_name": "Bea"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "status_off"
    assert guest.get(f"/api/v1/shared/{closed.token}/review-status").json()["can_set_status"] is False

    answer = put(guest, f"/api/v1/shared/{allowed.token}/review-status", {"status": "approved", "author_name": "Bea"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["status"], body["changed_by"], body["can_set_status"]) == ("approved", "Bea", True)
    # The owner's earlier change reads as the owner's, not as the first part of their e-mail address.
    assert [row["by_name"] for row in body["history"]] == ["Bea", "Owner"]
    assert "link_name" not in body["history"][0]
    owners_view = client_for(owner).get(f"/api/v1/comparisons/{comparison.pk}/review-status").json()
    assert owners_view["history"][0]["link_name"] == allowed.name


def test_the_link_setting_is_made_and_changed_through_the_api() -> None:
    video = VideoFactory(ready=True)
    client = client_for(video.owner)

    made = client.post(
        f"/api/v1/videos/{video.pk}/share-links",
        {"name": "Client", "permission": "comment", "allow_status": True},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["allow_status"] is True
    link_id = made.json()["id"]
    changed = client.patch(f"/api/v1/share-links/{link_id}", {"allow_status": False}, content_type="application/json")

    assert changed.status_code == 200 and changed.json()["allow_status"] is False
    assert ShareLink.objects.get(pk=link_id).allow_status is False


# --- the e-mail digest ------------------------------------------------------------------------------


def test_the_digest_lists_status_changes_by_others_beside_comments_but_not_the_owners_own(mailoutbox, settings):
    settings.SITE_URL = "https://sage.example"
    owner = UserFactory()
    stack = VideoStackFactory(owner=owner, title="Cut 3", versions=2)
    v2 = Video.objects.get(stack=stack, version=2)
    link = ShareLinkFactory(stack=stack, permission="comment", allow_status=True)
    review_status_set_by_member(member=member_in(owner), target=v2, status="needs_review")  # the owner's own
    review_status_set_by_guest(link=link, status="changes_requested", author_name="Ana")

    assert send_comment_digests() == 1

    message = mailoutbox[0]
    assert message.to == [owner.email]
    assert "1 review status change" in message.subject
    assert f"Cut 3 v2: Changes requested by Ana (link “{link.name}”)" in message.body
    assert "Needs review" not in message.body
    assert not StatusChange.objects.filter(notified_at__isnull=True).exists()
    assert send_comment_digests() == 0  # told once


def test_operators_read_the_history_and_cannot_change_it() -> None:
    video = VideoFactory(ready=True)
    review_status_set_by_member(member=member_in(video.owner), target=video, status="approved")
    change = StatusChange.objects.get()
    operator = client_for(UserFactory(is_staff=True, is_superuser=True))

    assert operator.get("/admin/reviews/statuschange/").status_code == 200
    opened = operator.get(f"/admin/reviews/statuschange/{change.pk}/change/")
    assert opened.status_code == 200 and 'name="to_status"' not in opened.content.decode()
    assert operator.get("/admin/reviews/statuschange/add/").status_code == 403
    assert operator.post(f"/admin/reviews/statuschange/{change.pk}/delete/", {"post": "yes"}).status_code == 403
    assert StatusChange.objects.filter(pk=change.pk).exists()
    link = ShareLinkFactory(video=video, permission="comment")
    # A link's setting is the owner's: operators see it, they do not change it.
    link_page = operator.get(f"/admin/reviews/sharelink/{link.pk}/change/").content.decode()
    assert "Allow status" in link_page and 'name="allow_status"' not in link_page


def test_a_guests_status_changes_are_rate_limited_per_link(settings) -> None:
    settings.REVIEW_COMMENT_RATE_PER_LINK = "2/min"
    link = ShareLinkFactory(permission="comment", allow_status=True)
    url = f"/api/v1/shared/{link.token}/review-status"
    guest = Client()

    answers = [put(guest, url, {"status": status, "author_name": "Bea"}) for status in ("approved", "in_progress")]
    refused = put(guest, url, {"status": "approved", "author_name": "Bea"})

    assert [answer.status_code for answer in answers] == [200, 200]
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert StatusChange.objects.count() == 2


def test_the_videos_api_says_each_videos_review_status() -> None:
    video = VideoFactory(ready=True, review_status=ReviewStatus.NEEDS_REVIEW)
    client = client_for(video.owner)

    assert client.get(f"/api/v1/videos/{video.pk}").json()["review_status"] == "needs_review"
    assert [row["review_status"] for row in client.get("/api/v1/videos").json()["results"]] == ["needs_review"]
