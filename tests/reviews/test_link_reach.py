"""What a share link reaches is defined once (`reviews.reach`): its page, the guest API, its media
and the members' own view agree. Each test is a place where they used to disagree: a comparison
whose video went to the trash with its project stayed open through a link (and listed, opened and
played through a project's link) while its members had lost sight of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from reviews.models import ShareLink
from reviews.shared import media_url
from tests.factories import ComparisonFactory, ProjectFactory, ShareLinkFactory, VideoFactory
from videos.models import Comparison, Project, Video
from videos.projects.services import project_delete, project_restore
from workspaces.current import SESSION_KEY
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

KEY = "k" * 40


def a_project(team: Workspace, name: str) -> Project:
    return ProjectFactory(created_by=team.created_by, workspace=team, name=name)


def side(team: Workspace, title: str, project: Project | None = None) -> Video:
    return VideoFactory(
        owner=team.created_by, workspace=team, title=title, duration=8.0, fps=15.0, comparable=True, project=project
    )


def comparison_of(team: Workspace, *, a_in: Project | None, project: Project | None = None) -> Comparison:
    return ComparisonFactory(
        owner=team.created_by,
        workspace=team,
        video_a=side(team, "Cut A", a_in),
        video_b=side(team, "Cut B"),
        project=project,
    )


def maker(team: Workspace) -> User:
    assert team.created_by is not None
    return team.created_by


def guest() -> Client:
    return Client(headers={"X-Reviewer-Key": KEY}, REMOTE_ADDR="203.0.113.5")


def member(team: Workspace) -> Client:
    client = Client()
    client.force_login(maker(team))
    session = client.session
    session[SESSION_KEY] = team.pk
    session.save()
    return client


def token(link: ShareLink) -> str:
    return link.token  # type: ignore[attr-defined]  # ShareLinkFactory's


def comment(client: Client, url: str, **fields: Any) -> Any:
    sent = {"side": "a", "start": 1.0, "body": "Too dark", "author_name": "Ana", **fields}
    return client.post(url, sent, content_type="application/json")


def test_a_comparison_link_closes_with_a_trashed_project_of_either_video(team: Workspace) -> None:
    # The comparison is at the workspace's top level; only its video A is in the project.
    edits = a_project(team, "Edits")
    comparison = comparison_of(team, a_in=edits)
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    client, owners = guest(), member(team)
    comments = f"/api/v1/shared/{token(link)}/comments"
    poster = media_url(token(link), link, comparison.video_b, "captions")
    assert client.get(f"/s/{token(link)}/").status_code == 200
    assert comment(client, comments).status_code == 201
    assert client.get(poster).status_code == 200

    project_delete(project=edits, by=maker(team))
    # Members lose the comparison with its video: so does the link, every door of it.
    assert owners.get(f"/api/v1/comparisons/{comparison.pk}").status_code == 404
    assert client.get(f"/s/{token(link)}/").status_code == 404
    assert client.get(f"/s/{token(link)}/comparison.json").status_code == 404
    assert client.get(comments).status_code == 404
    assert comment(client, comments, body="Still here?").status_code == 404
    assert client.get(poster).status_code == 404

    project_restore(project=edits, by=maker(team))
    assert client.get(f"/s/{token(link)}/").status_code == 200
    assert [row["body"] for row in client.get(comments).json()["results"]] == ["Too dark"]


def test_a_project_link_leaves_out_a_comparison_whose_video_is_in_the_trash(team: Workspace) -> None:
    harbour, archive = a_project(team, "Harbour"), a_project(team, "Archive")
    kept = comparison_of(team, a_in=None, project=harbour)
    hidden = comparison_of(team, a_in=archive, project=harbour)
    link = ShareLinkFactory(project=harbour, permission="comment")
    client = guest()
    listing, hidden_page = f"/s/{token(link)}/", f"/s/{token(link)}/c/{hidden.pk}/"
    hidden_comments = f"/api/v1/shared/{token(link)}/comments?comparison={hidden.pk}"
    hidden_media = media_url(token(link), link, hidden.video_a, "captions")
    assert hidden_page in client.get(listing).content.decode()
    assert client.get(hidden_page).status_code == 200
    assert client.get(hidden_media).status_code == 200

    project_delete(project=archive, by=maker(team))
    # The project's link is live (its project is not in the trash): the other comparison stays.
    html = client.get(listing).content.decode()
    assert f"/s/{token(link)}/c/{kept.pk}/" in html and hidden_page not in html
    assert client.get(f"/s/{token(link)}/c/{kept.pk}/").status_code == 200
    for refused in (hidden_page, f"{hidden_page}comparison.json", hidden_comments, hidden_media):
        assert client.get(refused).status_code == 404, refused
    assert comment(client, hidden_comments).status_code == 404
    assert client.get(f"/s/{token(link)}/media.json?comparison={hidden.pk}").status_code == 404
    assert member(team).get(f"/api/v1/comparisons/{hidden.pk}").status_code == 404
