"""What an export holds is what its actor sees on the page and through the API (issue 63): the
comparison's report, its marker files and the notes' export carry the comments the policy lets that
actor read, by the same selectors, for every role, a link's guest (their link's thread) and nobody
else (another workspace, a removed member, anyone outside the shared sample's workspace)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from accounts.models import User
from reviews.comments import comment_create_by_guest, comment_reply_by_owner
from reviews.live import link_guest
from reviews.member_comments import comment_create_by_member
from reviews.models import ShareLink
from tests.factories import (
    ApiTokenFactory,
    ComparisonFactory,
    MembershipFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
    UserFactory,
    VideoFactory,
    member_in,
)
from videos.models import Comparison, Video
from videos.review_comments import comments_on_comparison
from workspaces.current import SESSION_KEY
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db

KEY = "k" * 40
ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.COMMENTER, Role.VIEWER]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the guests' rate counts
    yield
    cache.clear()


def member_client(user: User, workspace: Workspace) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = workspace.pk
    session.save()
    return client


def side(team: Workspace, owner: User, title: str) -> Any:
    return VideoFactory(owner=owner, workspace=team, title=title, duration=8.0, fps=15.0, comparable=True)


def commented_comparison(team: Workspace, owner: User) -> tuple[Comparison, ShareLink, ShareLink]:
    """A team's comparison with a thread on each of two links (a reply on the first) and a member's
    own comment on no link."""
    comparison = ComparisonFactory(
        owner=owner, workspace=team, video_a=side(team, owner, "Cut A"), video_b=side(team, owner, "Cut B")
    )
    first = ShareLinkFactory(comparison=comparison, permission="comment", name="Client")
    second = ShareLinkFactory(comparison=comparison, permission="comment", name="Agency")
    made = comment_create_by_guest(
        link=first, reviewer_key=KEY, body="Logo too big", author_name="Ana", side="b", start=3.0
    ).comment
    comment_reply_by_owner(member=member_in(owner, team.pk), comment=made, body="Shrunk it")
    comment_create_by_guest(link=second, reviewer_key=KEY, body="Music loud", author_name="Bo", side="b", start=5.0)
    comment_create_by_member(
        member=member_in(owner, team.pk), shared=comparison, side="b", start=6.0, body="Check the grade"
    )
    return comparison, first, second


def ids_on_page(client: Client, comparison: Comparison) -> set[int]:
    """Every comment and reply the member's API (what the page's script reads) lists."""
    response = client.get(f"/api/v1/comparisons/{comparison.pk}/comments")
    assert response.status_code == 200, response.content
    threads = response.json()["results"]
    return {c["id"] for c in threads} | {r["id"] for c in threads for r in c["replies"]}


def exported(client: Client, comparison: Comparison) -> tuple[set[int], set[int], list[str]]:
    """The comment ids of the report's JSON and CSV, and the comment markers' names in the CSV markers."""
    report = client.get(f"/api/v1/comparisons/{comparison.pk}/export.json")
    assert report.status_code == 200, report.content
    table = client.get(f"/api/v1/comparisons/{comparison.pk}/export.csv").content.decode()
    rows = [row for row in csv.DictReader(io.StringIO(table)) if row["record"] == "comment"]
    markers = client.get(f"/api/v1/comparisons/{comparison.pk}/markers.csv?include=comments").content.decode()
    names = [row["name"] for row in csv.DictReader(io.StringIO(markers.removeprefix("\ufeff")))]
    return {c["id"] for c in report.json()["comments"]}, {int(row["comment_id"]) for row in rows}, sorted(names)


@pytest.mark.parametrize("role", ROLES)
def test_each_roles_exports_hold_the_comments_its_page_shows(role: str) -> None:
    team = TeamWorkspaceFactory()
    owner = team.created_by
    assert owner is not None
    comparison, _, _ = commented_comparison(team, owner)
    user = owner if role == Role.OWNER else MembershipFactory(workspace=team, role=role).user
    client = member_client(user, team)

    shown = ids_on_page(client, comparison)
    in_json, in_csv, marker_names = exported(client, comparison)

    assert len(shown) == 4  # two threads, a reply, a member's own
    assert in_json == shown and in_csv == shown
    # A marker per thread on B: the reply is in its thread's note.
    assert len(marker_names) == 3 and all(name.startswith("Comment: ") for name in marker_names)


def test_a_link_guest_exports_only_their_links_thread_as_the_guest_api_shows_it() -> None:
    team = TeamWorkspaceFactory()
    owner = team.created_by
    assert owner is not None
    comparison, first, _ = commented_comparison(team, owner)
    guest = Client(headers={"X-Reviewer-Key": KEY}, REMOTE_ADDR="203.0.113.5")
    threads = guest.get(f"/api/v1/shared/{first.token}/comments").json()["results"]  # type: ignore[attr-defined]
    shown = {c["id"] for c in threads} | {r["id"] for c in threads for r in c["replies"]}

    held = comments_on_comparison(comparison, actor=link_guest(first))

    assert {comment.id for comment in held} == shown
    assert sorted(comment.body for comment in held) == ["Logo too big", "Shrunk it"]


def test_an_api_tokens_export_is_its_members_and_needs_the_read_scope() -> None:
    team = TeamWorkspaceFactory()
    owner = team.created_by
    assert owner is not None
    comparison, _, _ = commented_comparison(team, owner)
    viewer = MembershipFactory(workspace=team, role=Role.VIEWER).user
    reading = ApiTokenFactory(user=viewer, scopes=["read"], workspace_id=team.pk)
    chatting = ApiTokenFactory(user=viewer, scopes=["chat"], workspace_id=team.pk)
    url = f"/api/v1/comparisons/{comparison.pk}/export.json"

    by_token = Client(headers={"Authorization": f"Bearer {reading.secret}"}).get(url)
    refused = Client(headers={"Authorization": f"Bearer {chatting.secret}"}).get(url)

    assert {c["id"] for c in by_token.json()["comments"]} == ids_on_page(member_client(viewer, team), comparison)
    assert refused.status_code == 403


def test_a_removed_member_or_another_workspace_gets_404_from_every_export_url() -> None:
    team = TeamWorkspaceFactory()
    owner = team.created_by
    assert owner is not None
    comparison, _, _ = commented_comparison(team, owner)
    stored = default_storage.save(f"videos/{comparison.video_b_id}/original.mp4", ContentFile(b"\x00" * 1024))
    Video.objects.filter(pk=comparison.video_b_id).update(storage_key=stored)
    leaving = MembershipFactory(workspace=team, role=Role.EDITOR)
    client = member_client(leaving.user, team)
    urls = [
        f"/api/v1/comparisons/{comparison.pk}/export.json",
        f"/api/v1/comparisons/{comparison.pk}/markers.edl",
        f"/api/v1/comparisons/{comparison.pk}/markers.fcpxml?stills=1",
        f"/api/v1/videos/{comparison.video_b_id}/notes/export.json",
        f"/videos/{comparison.video_b_id}/file",  # the player's URL: not signed, asked again each time
    ]
    for url in urls:  # copied while a member
        assert client.get(url).status_code == 200, url

    Membership.objects.filter(pk=leaving.pk).delete()
    outsider = member_client(UserFactory(), team)
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert outsider.get(url).status_code == 404, url


def test_the_shared_samples_export_holds_none_of_its_workspaces_comments_for_others() -> None:
    sample_owner = UserFactory(is_sample_owner=True)
    comparison = ComparisonFactory(owner=sample_owner)
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    comment_create_by_guest(link=link, reviewer_key=KEY, body="Internal note", author_name="Ana", side="b", start=1.0)
    visitor = Client()
    visitor.force_login(UserFactory())

    page = visitor.get(f"/compare/{comparison.pk}/")
    report = visitor.get(f"/api/v1/comparisons/{comparison.pk}/export.json")
    markers = visitor.get(f"/api/v1/comparisons/{comparison.pk}/markers.csv?include=comments")

    assert page.status_code == 200 and "Internal note" not in page.content.decode()
    assert report.status_code == 200 and report.json()["comments"] == []
    assert markers.status_code == 200 and "Internal note" not in markers.content.decode()
