"""Issue 52: a project's share link lets its guests comment on, reply to and set the status of each
video in the project (`?video=`), as a link to one video does, and nothing outside it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activity.models import ActivityEvent
from reviews.digest import comment_digests_send
from reviews.models import Comment, ShareLink
from reviews.shared import media_url
from tests.factories import (
    ComparisonFactory,
    ProjectFactory,
    ShareLinkFactory,
    VideoFactory,
    VideoStackFactory,
)
from videos.models import Comparison, Project, ReviewStatus, Video
from videos.projects.services import comparison_move, video_move
from videos.services import video_delete
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

KEY = "k" * 40


@pytest.fixture
def project(team: Workspace) -> Project:
    return ProjectFactory(created_by=team.created_by, workspace=team, name="Harbour ad")


def in_project(project: Project, title: str) -> Video:
    return VideoFactory(owner=project.created_by, workspace=project.workspace, title=title, ready=True, project=project)


def project_link(project: Project, **fields: Any) -> ShareLink:
    return ShareLinkFactory(project=project, **{"permission": "comment", "allow_status": True, **fields})


def guest() -> Client:
    return Client(headers={"X-Reviewer-Key": KEY}, REMOTE_ADDR="203.0.113.5")


def comments_url(link: ShareLink, video: Video | None = None) -> str:
    which = f"?video={video.pk}" if video is not None else ""
    return f"/api/v1/shared/{link.token}/comments{which}"  # type: ignore[attr-defined]  # ShareLinkFactory's


def status_url(link: ShareLink, video: Video | None = None) -> str:
    which = f"?video={video.pk}" if video is not None else ""
    return f"/api/v1/shared/{link.token}/review-status{which}"  # type: ignore[attr-defined]


def comment(client: Client, link: ShareLink, video: Video | None, body: str, **fields: Any) -> Any:
    sent = {"side": "video", "start": 3.5, "body": body, "author_name": "Ana", **fields}
    return client.post(comments_url(link, video), sent, content_type="application/json")


def set_status(client: Client, link: ShareLink, video: Video | None, status: str) -> Any:
    body = {"status": status, "author_name": "Ana"}
    return client.put(status_url(link, video), body, content_type="application/json")


def test_a_guest_comments_replies_and_approves_on_two_videos_of_one_project_link(project: Project) -> None:
    intro = in_project(project, "Harbour intro")
    stack = VideoStackFactory(owner=project.created_by, workspace=project.workspace, project=project)
    # A stack's older version is the project's too (its page lists the newest; the link opens each).
    older_cut, _ = (
        VideoFactory(
            owner=project.created_by,
            workspace=project.workspace,
            title="Harbour cut",
            ready=True,
            project=project,
            stack=stack,
            version=number,
        )
        for number in (1, 2)
    )
    link = project_link(project)
    client = guest()

    on_intro = comment(client, link, intro, "Logo too big")
    on_cut = comment(client, link, older_cut, "Music too loud", start=1.0)
    assert on_intro.status_code == 201, on_intro.content
    assert on_cut.status_code == 201, on_cut.content
    assert (on_intro.json()["video_id"], on_cut.json()["video_id"]) == (intro.pk, older_cut.pk)
    reply = comment(client, link, intro, "And the colour", parent=on_intro.json()["id"])
    assert reply.status_code == 201 and reply.json()["parent"] == on_intro.json()["id"]
    # A reply names its thread's video: a thread of another video is not there.
    assert comment(client, link, older_cut, "Wrong thread", parent=on_intro.json()["id"]).status_code == 404

    intro_threads = client.get(comments_url(link, intro)).json()["results"]
    assert [c["body"] for c in intro_threads] == ["Logo too big"]
    assert [r["body"] for r in intro_threads[0]["replies"]] == ["And the colour"]
    assert [c["body"] for c in client.get(comments_url(link, older_cut)).json()["results"]] == ["Music too loud"]

    approved = set_status(client, link, intro, "approved")
    assert approved.status_code == 200, approved.content
    assert (approved.json()["id"], approved.json()["status"], approved.json()["changed_by"]) == (
        intro.pk,
        "approved",
        "Ana",
    )
    assert set_status(client, link, older_cut, "changes_requested").status_code == 200
    intro.refresh_from_db()
    older_cut.refresh_from_db()
    assert (intro.review_status, older_cut.review_status) == (ReviewStatus.APPROVED, ReviewStatus.CHANGES_REQUESTED)
    assert client.get(status_url(link, older_cut)).json()["status"] == "changes_requested"

    # The owner sees them on each video, named by the link, as any link's.
    owner = Client()
    assert project.created_by is not None
    owner.force_login(project.created_by)
    owner.post(reverse("workspace-switch"), {"workspace": project.workspace_id})
    owners = owner.get(f"/api/v1/videos/{intro.pk}/comments").json()["results"]
    assert [(c["body"], c["link_name"]) for c in owners] == [("Logo too big", link.name)]

    # The team's activity feed and the owner's digest record them as other links' guests' are.
    events = ActivityEvent.objects.filter(workspace=project.workspace, actor=None, actor_name="Ana")
    assert sorted((e.verb, e.target_id) for e in events) == sorted(
        [
            ("commented", str(intro.pk)),
            ("commented", str(intro.pk)),
            ("commented", str(older_cut.pk)),
            ("status_changed", str(intro.pk)),
            ("status_changed", str(older_cut.pk)),
        ]
    )
    assert comment_digests_send(now=timezone.now()) == 1
    text = mail.outbox[-1].body
    assert "Logo too big" in text and "Music too loud" in text
    assert f"Harbour intro (in “{project.workspace.name}”): Approved by Ana" in text
    assert "Changes requested by Ana" in text


def test_a_video_outside_the_project_is_a_404_and_a_project_link_names_its_video(
    team: Workspace, project: Project
) -> None:
    inside = in_project(project, "Harbour intro")
    other_project = in_project(ProjectFactory(created_by=team.created_by, workspace=team), "Other cut")
    top_level = VideoFactory(owner=team.created_by, workspace=team, ready=True)
    elsewhere = VideoFactory(ready=True)  # another workspace's
    link = project_link(project)
    client = guest()

    for video in (other_project, top_level, elsewhere):
        for answer in (
            client.get(comments_url(link, video)),
            comment(client, link, video, "Sneaky"),
            client.get(status_url(link, video)),
            set_status(client, link, video, "approved"),
        ):
            assert answer.status_code == 404, answer.content
            assert answer.json()["error"]["code"] == "not_found"
    assert client.get(comments_url(link) + "?video=abc").status_code == 404
    assert not Comment.objects.exists()

    missing = comment(client, link, None, "Which one?")
    assert missing.status_code == 400 and "video" in missing.json()["error"]["fields"]
    assert set_status(client, link, None, "approved").status_code == 400

    # Another kind of link shows one object and takes no `video`.
    video_link = ShareLinkFactory(video=inside, permission="comment")
    assert client.get(comments_url(video_link, inside)).status_code == 404
    assert client.get(comments_url(video_link)).status_code == 200


def test_moving_or_deleting_a_video_or_revoking_the_link_closes_it_at_once(team: Workspace, project: Project) -> None:
    moved = in_project(project, "Harbour intro")
    deleted = in_project(project, "Harbour outro")
    link = project_link(project)
    client = guest()
    made = comment(client, link, moved, "Logo too big").json()
    assert client.get(comments_url(link, moved)).status_code == 200

    video_move(video=moved, project=None, by=moved.owner)
    assert client.get(comments_url(link, moved)).status_code == 404
    assert set_status(client, link, moved, "approved").status_code == 404
    assert client.get(f"/s/{link.token}/v/{moved.pk}/").status_code == 404  # type: ignore[attr-defined]
    # Not even its own comment is the guest's to delete through the project any more.
    assert client.delete(f"/api/v1/shared/{link.token}/comments/{made['id']}").status_code == 404  # type: ignore[attr-defined]

    video_delete(video=deleted)
    assert client.get(comments_url(link, deleted)).status_code == 404

    kept = in_project(project, "Harbour cut")
    assert client.get(comments_url(link, kept)).status_code == 200
    link.revoked_at = timezone.now()
    link.save()
    assert client.get(comments_url(link, kept)).status_code == 404
    assert comment(client, link, kept, "Late").status_code == 404


def test_the_links_permissions_hold_on_a_project_link(project: Project) -> None:
    video = in_project(project, "Harbour intro")
    view_only = project_link(project, permission="view", allow_status=False)
    no_status = project_link(project, allow_status=False)
    client = guest()

    refused = comment(client, view_only, video, "Hello")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "comments_off"
    assert set_status(client, view_only, video, "approved").json()["error"]["code"] == "status_off"
    assert client.get(comments_url(view_only, video)).json()["can_comment"] is False
    assert comment(client, no_status, video, "Hello").status_code == 201
    assert set_status(client, no_status, video, "approved").json()["error"]["code"] == "status_off"
    assert client.get(status_url(no_status, video)).json()["can_set_status"] is False


def test_the_shared_video_page_of_a_project_link_comments_and_sets_the_status(project: Project) -> None:
    video = in_project(project, "Harbour intro")
    other = in_project(project, "Harbour outro")
    link = project_link(project)
    token = link.token  # type: ignore[attr-defined]
    client = guest()

    listing = client.get(f"/s/{token}/").content.decode()
    assert "comment on it and set its review status" in listing
    assert f'data-review-status-of="video:{video.pk}"' in listing

    page = client.get(f"/s/{token}/v/{video.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/api/v1/shared/{token}/comments?video={video.pk}" in html
    assert f"/ws/shared/{token}/?video={video.pk}" in html
    assert f'action="/s/{token}/v/{video.pk}/review-status/"' in html

    set_by_form = client.post(
        f"/s/{token}/v/{video.pk}/review-status/", {"status": "approved", "author_name": "Ana"}, follow=True
    )
    assert set_by_form.redirect_chain[-1][0] == f"/s/{token}/v/{video.pk}/"
    assert "Review status set to “Approved”" in set_by_form.content.decode()
    video.refresh_from_db()
    other.refresh_from_db()
    assert (video.review_status, other.review_status) == (ReviewStatus.APPROVED, ReviewStatus.IN_PROGRESS)

    outside = VideoFactory(owner=project.created_by, workspace=project.workspace, ready=True)
    form = {"status": "approved", "author_name": "Ana"}
    assert client.post(f"/s/{token}/v/{outside.pk}/review-status/", form).status_code == 404
    outside.refresh_from_db()
    assert outside.review_status == ReviewStatus.IN_PROGRESS


def a_comparison_in(project: Project, **fields: Any) -> Comparison:
    def side(title: str) -> Video:
        return VideoFactory(
            owner=project.created_by, workspace=project.workspace, title=title, duration=8.0, fps=15.0, comparable=True
        )

    return ComparisonFactory(
        owner=project.created_by,
        workspace=project.workspace,
        video_a=side("Cut A"),
        video_b=side("Cut B"),
        **{"project": project, **fields},
    )


def test_a_guest_comments_on_and_approves_a_comparison_of_the_project(team: Workspace, project: Project) -> None:
    # Its videos need not be in the project: the comparison is, and the link shows both its sides.
    comparison = a_comparison_in(project)
    elsewhere = a_comparison_in(ProjectFactory(created_by=team.created_by, workspace=team))
    link = project_link(project)
    token = link.token  # type: ignore[attr-defined]
    client = guest()
    url = f"/api/v1/shared/{token}/comments?comparison={comparison.pk}"

    made = client.post(
        url, {"side": "b", "start": 2.0, "body": "Cut too early", "author_name": "Ana"}, "application/json"
    )
    assert made.status_code == 201, made.content
    assert (made.json()["comparison_id"], made.json()["side"]) == (comparison.pk, "b")
    assert [c["body"] for c in client.get(url).json()["results"]] == ["Cut too early"]
    status = f"/api/v1/shared/{token}/review-status?comparison={comparison.pk}"
    changed = client.put(status, {"status": "changes_requested", "author_name": "Ana"}, "application/json")
    assert changed.status_code == 200 and changed.json()["target"] == "comparison"
    comparison.refresh_from_db()
    assert comparison.review_status == ReviewStatus.CHANGES_REQUESTED

    assert client.get(f"/api/v1/shared/{token}/comments?comparison={elsewhere.pk}").status_code == 404
    both = client.get(f"/api/v1/shared/{token}/comments?comparison={comparison.pk}&video={comparison.video_a_id}")
    assert both.status_code == 400

    # Its page, its JSON and both sides' media open under the link; the listing links it.
    listing = client.get(f"/s/{token}/").content.decode()
    assert f"/s/{token}/c/{comparison.pk}/" in listing and f"/s/{token}/c/{elsewhere.pk}/" not in listing
    page = client.get(f"/s/{token}/c/{comparison.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/api/v1/shared/{token}/comments?comparison={comparison.pk}" in html
    assert f'action="/s/{token}/c/{comparison.pk}/review-status/"' in html
    assert f'href="/s/{token}/" data-project-back' in html
    assert client.get(f"/s/{token}/c/{comparison.pk}/comparison.json").json()["id"] == comparison.pk
    assert client.get(media_url(token, link, comparison.video_b, "captions")).status_code == 200
    fresh = client.get(f"/s/{token}/media.json?comparison={comparison.pk}").json()
    assert set(fresh["media"]) == {"a", "b"}
    for refused in (f"/s/{token}/c/{elsewhere.pk}/", f"/s/{token}/c/{elsewhere.pk}/comparison.json"):
        assert client.get(refused).status_code == 404
    assert client.get(media_url(token, link, elsewhere.video_a, "captions")).status_code == 404

    # Moved out of the project, it is gone from the link, media included.
    comparison_move(comparison=comparison, project=None, by=comparison.owner)
    assert client.get(url).status_code == 404
    assert client.get(f"/s/{token}/c/{comparison.pk}/").status_code == 404
    assert client.get(media_url(token, link, comparison.video_b, "captions")).status_code == 404


def test_a_project_links_rate_limit_counts_every_video_together(project: Project, settings: Any) -> None:
    settings.REVIEW_COMMENT_RATE_PER_LINK = "2/min"
    intro, outro = in_project(project, "Harbour intro"), in_project(project, "Harbour outro")
    link = project_link(project)

    assert comment(guest(), link, intro, "One").status_code == 201
    assert comment(Client(headers={"X-Reviewer-Key": "b" * 40}), link, outro, "Two").status_code == 201
    refused = comment(Client(headers={"X-Reviewer-Key": "c" * 40}, REMOTE_ADDR="198.51.100.9"), link, outro, "Three")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
