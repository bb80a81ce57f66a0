"""Issue 52, projects: a workspace's videos, stacks and comparisons filed in folders that editors
create, rename, move things into, delete (to a trash) and restore; project share links."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reviews.shared import media_url
from tests.factories import (
    ComparisonFactory,
    NoteFactory,
    ProjectFactory,
    ShareLinkFactory,
    UserFactory,
    VideoFactory,
    VideoStackFactory,
)
from tests.videos.test_compare_pages import comparable_video, edited_visual
from videos.compare.services import comparison_create
from videos.models import Project, Video
from videos.projects.services import MoveRefused, projects_purge, video_move
from videos.versions.services import version_add
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Workspace:
    owner = UserFactory()
    workspace = Workspace.objects.create(name="North Studio", kind=Workspace.Kind.TEAM, created_by=owner)
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace


def member(team: Workspace, role: str) -> User:
    user = UserFactory(email=f"{role}-{uuid.uuid4().hex[:6]}@example.com")
    Membership.objects.create(workspace=team, user=user, role=role)
    return user


def browser_in(user: User, workspace: Workspace) -> Client:
    client = Client()
    client.force_login(user)
    assert client.post(reverse("workspace-switch"), {"workspace": workspace.pk}).status_code == 302
    return client


def move(client: Client, url: str, project_id: int | None) -> Any:
    return client.post(url, {"project": project_id}, content_type="application/json")


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json()["results"])


def test_an_editor_files_videos_in_a_project_and_the_list_filters_by_it(team: Workspace) -> None:
    editor = member(team, Role.EDITOR)
    client = browser_in(editor, team)
    created = client.post("/api/v1/projects", {"name": "Harbour ad"}, content_type="application/json")
    assert created.status_code == 201
    project_id = created.json()["id"]
    cut = VideoFactory(owner=editor, workspace=team, title="Harbour cut", ready=True)
    VideoFactory(owner=editor, workspace=team, title="Loose clip", ready=True)

    moved = client.post(f"/api/v1/videos/{cut.pk}/move", {"project": project_id}, content_type="application/json")
    assert moved.status_code == 200 and moved.json() == {"project": project_id}
    assert titles(client.get(f"/api/v1/videos?project={project_id}")) == ["Harbour cut"]
    assert titles(client.get("/api/v1/videos?project=none")) == ["Loose clip"]
    assert client.get("/api/v1/videos?project=abc").status_code == 400
    listed = client.get("/api/v1/projects").json()["results"]
    assert [(row["name"], row["video_count"]) for row in listed] == [("Harbour ad", 1)]

    # The same name again, in any case, is refused; a rename to a free one is not.
    again = client.post("/api/v1/projects", {"name": "harbour AD"}, content_type="application/json")
    assert again.status_code == 400 and "already a project" in again.json()["error"]["message"]
    renamed = client.patch(f"/api/v1/projects/{project_id}", {"name": "Harbour ad (final)"}, "application/json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Harbour ad (final)"

    # Back to the top level.
    client.post(f"/api/v1/videos/{cut.pk}/move", {"project": None}, content_type="application/json")
    assert titles(client.get("/api/v1/videos?project=none")) == ["Harbour cut", "Loose clip"]


def test_a_stack_moves_whole_and_a_new_version_joins_its_stacks_project(team: Workspace) -> None:
    editor = member(team, Role.EDITOR)
    client = browser_in(editor, team)
    project = ProjectFactory(created_by=editor, workspace=team)
    stack = VideoStackFactory(owner=editor, workspace=team)
    v1 = VideoFactory(owner=editor, workspace=team, stack=stack, version=1, ready=True)
    VideoFactory(owner=editor, workspace=team, stack=stack, version=2, ready=True)

    # Moving one version moves the stack and every version in it.
    assert client.post(f"/api/v1/videos/{v1.pk}/move", {"project": project.pk}, "application/json").status_code == 200
    assert set(Video.objects.filter(stack=stack).values_list("project_id", flat=True)) == {project.pk}
    assert client.get("/api/v1/stacks").json()["results"][0]["project"] == project.pk

    v3 = VideoFactory(owner=editor, workspace=team, ready=True)
    version_add(previous=stack.versions.get(version=2), video=v3)
    v3.refresh_from_db()
    assert v3.project_id == project.pk

    # A comparison moves on its own.
    comparison = ComparisonFactory(owner=editor, workspace=team)
    moved = client.post(f"/api/v1/comparisons/{comparison.pk}/move", {"project": project.pk}, "application/json")
    assert moved.status_code == 200
    comparison.refresh_from_db()
    assert comparison.project_id == project.pk


@pytest.mark.parametrize("kind", ["video", "stack", "comparison"])
def test_every_kind_moves_alike_and_another_workspaces_one_is_404(team: Workspace, kind: str) -> None:
    editor = member(team, Role.EDITOR)
    project = ProjectFactory(created_by=editor, workspace=team)
    make: Any = {"video": VideoFactory, "stack": VideoStackFactory, "comparison": ComparisonFactory}[kind]
    ours, theirs = make(owner=editor, workspace=team), make(owner=UserFactory())
    client = browser_in(editor, team)

    moved = client.post(f"/api/v1/{kind}s/{ours.pk}/move", {"project": project.pk}, "application/json")
    assert (moved.status_code, moved.json()) == (200, {"project": project.pk})
    ours.refresh_from_db()
    assert ours.project_id == project.pk
    assert client.post(f"/api/v1/{kind}s/{ours.pk}/move", {"project": "x"}, "application/json").status_code == 400

    assert client.post(f"/api/v1/{kind}s/{theirs.pk}/move", {"project": None}, "application/json").status_code == 404
    back = client.post(f"/api/v1/{kind}s/{ours.pk}/move", {"project": None}, "application/json")
    assert back.json() == {"project": None}


def test_a_viewer_cannot_create_or_move_and_other_workspaces_projects_are_404(team: Workspace) -> None:
    editor, viewer = member(team, Role.EDITOR), member(team, Role.VIEWER)
    project = ProjectFactory(created_by=editor, workspace=team)
    cut = VideoFactory(owner=editor, workspace=team, ready=True)
    as_viewer = browser_in(viewer, team)
    assert as_viewer.post("/api/v1/projects", {"name": "Mine"}, content_type="application/json").status_code == 403
    assert (
        as_viewer.post(f"/api/v1/videos/{cut.pk}/move", {"project": project.pk}, "application/json").status_code == 403
    )
    assert as_viewer.delete(f"/api/v1/projects/{project.pk}").status_code == 403
    assert as_viewer.get(f"/api/v1/projects/{project.pk}").status_code == 200  # viewers read

    # Someone else's workspace: its project is no project here, to read or to move into.
    stranger = UserFactory()
    elsewhere = ProjectFactory(created_by=stranger)
    as_editor = browser_in(editor, team)
    assert as_editor.get(f"/api/v1/projects/{elsewhere.pk}").status_code == 404
    assert (
        as_editor.post(f"/api/v1/videos/{cut.pk}/move", {"project": elsewhere.pk}, "application/json").status_code
        == 404
    )
    assert (
        as_editor.post(f"/api/v1/projects/{elsewhere.pk}/share-links", {"name": "x"}, "application/json").status_code
        == 404
    )
    cut.refresh_from_db()
    assert cut.project_id is None


def test_deleting_a_project_hides_its_contents_everywhere_and_restoring_brings_them_back(team: Workspace) -> None:
    editor = member(team, Role.EDITOR)
    client = browser_in(editor, team)
    project = ProjectFactory(created_by=editor, workspace=team, name="Old campaign")
    inside = VideoFactory(owner=editor, workspace=team, title="Campaign cut", ready=True, project=project)
    VideoFactory(owner=editor, workspace=team, title="Other cut", ready=True)
    comparison = ComparisonFactory(owner=editor, workspace=team, project=project)

    assert client.delete(f"/api/v1/projects/{project.pk}").status_code == 204
    assert titles(client.get("/api/v1/videos")) == ["Other cut"]
    assert client.get(f"/api/v1/videos/{inside.pk}").status_code == 404
    assert client.get(f"/api/v1/comparisons/{comparison.pk}").status_code == 404
    assert client.get("/api/v1/projects").json()["results"] == []
    assert [row["name"] for row in client.get("/api/v1/projects?deleted=true").json()["results"]] == ["Old campaign"]
    library = client.get(reverse("videos:library")).content.decode()
    assert "Campaign cut" not in library and "Other cut" in library
    assert Video.objects.filter(pk=inside.pk).exists()  # hidden, not destroyed

    # A new project may take the name meanwhile; restoring then asks for a rename first.
    taken = client.post("/api/v1/projects", {"name": "old campaign"}, content_type="application/json").json()
    refused = client.post(f"/api/v1/projects/{project.pk}/restore")
    assert refused.status_code == 409 and "rename" in refused.json()["error"]["message"]
    client.delete(f"/api/v1/projects/{taken['id']}")

    assert client.post(f"/api/v1/projects/{project.pk}/restore").status_code == 200
    assert titles(client.get("/api/v1/videos")) == ["Campaign cut", "Other cut"]
    assert client.get(f"/api/v1/comparisons/{comparison.pk}").status_code == 200


def test_the_trash_is_purged_after_its_days_with_what_it_holds(team: Workspace) -> None:

    editor = member(team, Role.EDITOR)
    old = ProjectFactory(created_by=editor, workspace=team, deleted_at=timezone.now() - dt.timedelta(days=31))
    recent = ProjectFactory(created_by=editor, workspace=team, deleted_at=timezone.now() - dt.timedelta(days=2))
    gone = VideoFactory(owner=editor, workspace=team, project=old)
    kept = VideoFactory(owner=editor, workspace=team, project=recent)
    assert projects_purge() == 1
    assert not Project.objects.filter(pk=old.pk).exists() and not Video.objects.filter(pk=gone.pk).exists()
    assert Video.objects.filter(pk=kept.pk).exists()


def test_a_project_link_shows_its_videos_and_nothing_else(team: Workspace) -> None:
    editor = member(team, Role.EDITOR)
    project = ProjectFactory(created_by=editor, workspace=team, name="Harbour ad")
    shown = VideoFactory(owner=editor, workspace=team, title="Harbour cut", ready=True, project=project)
    outside = VideoFactory(owner=editor, workspace=team, title="Secret cut", ready=True)
    link = ShareLinkFactory(project=project)
    guest = Client()

    page = guest.get(f"/s/{link.token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Harbour cut" in html and "Secret cut" not in html
    video_page = guest.get(f"/s/{link.token}/v/{shown.pk}/")
    assert video_page.status_code == 200 and "Harbour cut" in video_page.content.decode()
    assert guest.get(f"/s/{link.token}/v/{outside.pk}/").status_code == 404

    # The media URLs the page carries are for its video; one forged for a video outside the project
    # (a validly signed claim for this link) is refused.

    poster = re.search(r'/s/[^"]+/media/[^"]+/', video_page.content.decode())
    assert poster is not None
    assert guest.get(media_url(link.token, link, outside, "captions")).status_code == 404
    assert guest.get(media_url(link.token, link, shown, "captions")).status_code == 200

    # Deleted project: the link stops; revoked: the same.
    browser_in(editor, team).delete(f"/api/v1/projects/{project.pk}")
    assert guest.get(f"/s/{link.token}/").status_code == 404
    browser_in(editor, team).post(f"/api/v1/projects/{project.pk}/restore")
    assert guest.get(f"/s/{link.token}/").status_code == 200
    browser_in(editor, team).post(f"/api/v1/share-links/{link.pk}/revoke")
    assert guest.get(f"/s/{link.token}/v/{shown.pk}/").status_code == 404


def test_the_library_files_videos_in_projects_through_its_forms(team: Workspace) -> None:
    editor, viewer = member(team, Role.EDITOR), member(team, Role.VIEWER)
    client = browser_in(editor, team)
    cut = VideoFactory(owner=editor, workspace=team, title="Harbour cut", ready=True)
    VideoFactory(owner=editor, workspace=team, title="Loose clip", ready=True)

    created = client.post(reverse("videos:project_create"), {"name": "Harbour ad"}, follow=True)
    project = Project.objects.get(workspace=team, name="Harbour ad")
    assert "Project “Harbour ad” created" in created.content.decode()
    moved = client.post(reverse("videos:move", args=[cut.pk]), {"project": str(project.pk)}, follow=True)
    assert "“Harbour cut” moved to “Harbour ad”" in moved.content.decode()

    in_project = client.get(reverse("videos:library"), {"project": project.pk}).content.decode()
    assert "Harbour cut" in in_project and "Loose clip" not in in_project
    top_level = client.get(reverse("videos:library"), {"project": "none"}).content.decode()
    assert "Loose clip" in top_level and "Harbour cut" not in top_level
    everything = client.get(reverse("videos:library")).content.decode()
    assert "Move to…" in everything and "New project" in everything
    assert re.search(r"Harbour ad</a>\s*<span class=\"muted\" data-project-count>1</span>", everything)

    # The project page; rename; delete to the trash and restore from Deleted projects.
    page = client.get(reverse("videos:project", args=[project.pk])).content.decode()
    assert "Harbour cut" in page
    # Delete asks first: the button that deletes sits behind "Delete project", with what it does.
    assert re.search(r"<summary[^>]*>Delete project</summary>", page)
    assert "Delete “<bdi>Harbour ad</bdi>”?" in page
    client.post(reverse("videos:project_rename", args=[project.pk]), {"name": "Harbour ad v2"})
    deleted = client.post(reverse("videos:project_delete", args=[project.pk]), follow=True).content.decode()
    assert "can be restored" in deleted and "Harbour cut" not in deleted
    trash = client.get(reverse("videos:deleted_projects")).content.decode()
    assert "Harbour ad v2" in trash and ">Restore</button>" in trash
    # A viewer reads the trash but is offered no Restore it could not use.
    viewers_trash = browser_in(viewer, team).get(reverse("videos:deleted_projects")).content.decode()
    assert "Harbour ad v2" in viewers_trash and ">Restore</button>" not in viewers_trash
    client.post(reverse("videos:project_restore", args=[project.pk]))
    assert "Harbour cut" in client.get(reverse("videos:library")).content.decode()

    # A viewer gets the pages but no writes; another workspace's project is a 404.
    as_viewer = browser_in(viewer, team)
    viewers_page = as_viewer.get(reverse("videos:project", args=[project.pk]))
    assert viewers_page.status_code == 200 and "Delete project" not in viewers_page.content.decode()
    viewers_library = as_viewer.get(reverse("videos:library")).content.decode()
    assert "Harbour ad v2" in viewers_library and "Move to…" not in viewers_library
    assert "New project" not in viewers_library
    assert as_viewer.post(reverse("videos:project_create"), {"name": "Mine"}).status_code == 403
    assert as_viewer.post(reverse("videos:move", args=[cut.pk]), {"project": ""}).status_code == 403
    elsewhere = ProjectFactory(created_by=UserFactory())
    assert client.get(reverse("videos:project", args=[elsewhere.pk])).status_code == 404
    assert client.get(reverse("videos:library"), {"project": elsewhere.pk}).status_code == 404
    assert client.post(reverse("videos:move", args=[cut.pk]), {"project": str(elsewhere.pk)}).status_code == 404


def test_a_deleted_projects_videos_and_notes_leave_search_and_the_notes_api_until_restored() -> None:
    owner = UserFactory()
    client = Client()
    client.force_login(owner)
    project = ProjectFactory(created_by=owner)
    video = VideoFactory(owner=owner, cooking=True, project=project)
    NoteFactory(owner=owner, video=video, text="Proofing time matters")
    question = {"q": "How long do I bake the sourdough?"}
    assert client.get("/api/v1/search", question).json() != []
    assert len(client.get("/api/v1/notes").json()["results"]) == 1

    client.delete(f"/api/v1/projects/{project.pk}")
    assert client.get("/api/v1/search", question).json() == []
    assert client.get("/api/v1/notes").json()["results"] == []

    client.post(f"/api/v1/projects/{project.pk}/restore")
    assert client.get("/api/v1/search", question).json() != []


def test_an_editor_shares_a_project_from_its_page_and_revokes_the_link(team: Workspace) -> None:
    editor = member(team, Role.EDITOR)
    client = browser_in(editor, team)
    project = ProjectFactory(created_by=editor, workspace=team, name="Harbour ad")
    VideoFactory(owner=editor, workspace=team, title="Harbour cut", ready=True, project=project)
    made = client.post(
        reverse("reviews:project-share-link-create", args=[project.pk]),
        {"name": "Client", "permission": "view"},
        follow=True,
    )
    page = made.content.decode()
    assert "Share link “Client” made" in page
    url = re.search(r'value="(http[^"]+/s/[^"]+/)"', page)
    assert url is not None
    guest = Client()
    assert "Harbour cut" in guest.get(url.group(1)).content.decode()

    link_id = project.share_links.get().pk
    revoked = client.post(reverse("reviews:share-link-revoke", args=[link_id]), follow=True)
    assert revoked.redirect_chain[-1][0].startswith(reverse("videos:project", args=[project.pk]))
    assert guest.get(url.group(1)).status_code == 404


def test_the_library_costs_the_same_queries_however_many_projects_and_videos(team: Workspace) -> None:

    editor = member(team, Role.EDITOR)
    client = browser_in(editor, team)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("videos:library")).status_code == 200
        return len(captured)

    first = ProjectFactory(created_by=editor, workspace=team)
    VideoFactory(owner=editor, workspace=team, ready=True, project=first)
    queries()  # the first page of a team made without its service also makes its wallet: counted after
    few = queries()
    for _ in range(4):
        project = ProjectFactory(created_by=editor, workspace=team)
        VideoFactory.create_batch(2, owner=editor, workspace=team, ready=True, project=project)
    assert queries() == few


def test_a_project_link_may_let_guests_comment_and_set_statuses(team: Workspace) -> None:
    editor = member(team, Role.EDITOR)
    client = browser_in(editor, team)
    project = ProjectFactory(created_by=editor, workspace=team)
    url = f"/api/v1/projects/{project.pk}/share-links"
    made = client.post(url, {"name": "Client", "permission": "comment", "allow_status": True}, "application/json")
    assert made.status_code == 201 and made.json()["project"] == project.pk
    assert (made.json()["permission"], made.json()["allow_status"]) == ("comment", True)
    link_id = made.json()["id"]
    turned_off = client.patch(f"/api/v1/share-links/{link_id}", {"permission": "view"}, "application/json")
    assert turned_off.status_code == 200 and turned_off.json()["permission"] == "view"
    assert [row["id"] for row in client.get(url).json()] == [link_id]


def test_a_new_comparison_is_filed_in_the_project_both_its_videos_are_in() -> None:

    owner = UserFactory()
    project = ProjectFactory(created_by=owner)
    original = comparable_video(owner, "Original cut", project=project)
    edited = comparable_video(owner, "Edited cut", edited_visual(), project=project)
    elsewhere = comparable_video(owner, "Loose cut", edited_visual())

    together, _ = comparison_create(user=owner, video_a=original, video_b=edited, alignment="none")
    apart, _ = comparison_create(user=owner, video_a=original, video_b=elsewhere, alignment="none")
    assert together.project_id == project.pk
    assert apart.project_id is None


def test_the_move_service_refuses_another_workspaces_project_itself(team: Workspace) -> None:
    editor = member(team, Role.EDITOR)
    cut = VideoFactory(owner=editor, workspace=team)
    with pytest.raises(MoveRefused):
        video_move(video=cut, project=ProjectFactory(created_by=editor), by=editor)  # the editor's personal workspace
    cut.refresh_from_db()
    assert cut.project_id is None
