"""Project actions in the feed and the audit log (issue 52): creating, renaming, moving things in and
out, deleting and restoring a project are events the members read; deleting, restoring and the
trash's purge are also in the audit log its admins read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from activity.models import ActivityEvent, AuditEntry
from tests.activity.conftest import team_of
from tests.clients import client_in
from tests.factories import UserFactory, VideoFactory
from videos.models import Project
from videos.projects.services import projects_purge
from workspaces.models import Role

pytestmark = pytest.mark.django_db

JSON = "application/json"


def test_a_projects_life_reads_in_the_feed_page_and_api_and_deleting_it_is_audited() -> None:
    ana, ben = UserFactory(display_name="Ana"), UserFactory(display_name="Ben")
    team = team_of(ana, {ben: Role.VIEWER})
    cut = VideoFactory(owner=ana, workspace=team, title="Cut 3", ready=True)
    api = client_in(ana, team)

    made = api.post("/api/v1/projects", {"name": "Harbour"}, content_type=JSON)
    assert made.status_code == 201, made.content
    project_id = made.json()["id"]
    assert api.patch(f"/api/v1/projects/{project_id}", {"name": "Harbour ad"}, content_type=JSON).status_code == 200
    assert api.post(f"/api/v1/videos/{cut.pk}/move", {"project": project_id}, content_type=JSON).status_code == 200
    # Moving it where it already is changes nothing, and tells nothing.
    assert api.post(f"/api/v1/videos/{cut.pk}/move", {"project": project_id}, content_type=JSON).status_code == 200
    assert api.post(f"/api/v1/videos/{cut.pk}/move", {"project": None}, content_type=JSON).status_code == 200
    assert api.delete(f"/api/v1/projects/{project_id}").status_code == 204
    assert api.post(f"/api/v1/projects/{project_id}/restore").status_code == 200

    # A viewer reads the feed: every step, in words.
    viewer = client_in(ben, team)
    texts = [event["text"] for event in reversed(viewer.get("/api/v1/activity").json()["results"])]
    assert texts == [
        "Ana created the project “Harbour”",
        "Ana renamed the project “Harbour ad” (was “Harbour”)",
        "Ana moved “Cut 3” to the project “Harbour ad”",
        "Ana moved “Cut 3” out of its project",
        "Ana deleted the project “Harbour ad”",
        "Ana restored the project “Harbour ad”",
    ]
    page = viewer.get("/activity/").content.decode()
    assert "renamed the project" in page and "(was “Harbour”)" in page
    assert f'href="/videos/projects/{project_id}/"' in page  # the project's page, while it exists

    audit = client_in(ana, team).get("/api/v1/audit").json()["results"]
    assert [(entry["action"], entry["actor_email"], entry["target_label"]) for entry in reversed(audit)] == [
        ("project_deleted", ana.email, "Harbour ad"),
        ("project_restored", ana.email, "Harbour ad"),
    ]


def test_the_library_pages_record_the_same_events() -> None:
    ana = UserFactory(display_name="Ana")
    team = team_of(ana)
    cut = VideoFactory(owner=ana, workspace=team, title="Cut 3", ready=True)
    browser = client_in(ana, team)

    browser.post("/videos/projects/new/", {"name": "Teaser"})
    project = Project.objects.get(workspace=team)
    browser.post(f"/videos/{cut.pk}/move/", {"project": project.pk})
    browser.post(f"/videos/projects/{project.pk}/delete/")
    browser.post(f"/videos/projects/{project.pk}/restore/")

    verbs = list(ActivityEvent.objects.filter(workspace=team).order_by("id").values_list("verb", flat=True))
    assert verbs == ["project_created", "moved", "project_deleted", "project_restored"]


def test_the_trash_purging_a_project_is_audited_as_the_sites_doing() -> None:
    ana = UserFactory()
    team = team_of(ana)
    long_ago = timezone.now() - dt.timedelta(days=settings.PROJECT_TRASH_DAYS + 1)
    Project.objects.create(workspace=team, name="Old pitch", created_by=ana, deleted_at=long_ago)

    assert projects_purge() == 1

    entry = AuditEntry.objects.get(workspace=team)
    assert (entry.action, entry.actor_id, entry.target_label) == ("project_purged", None, "Old pitch")
    page = client_in(ana, team).get("/workspaces/audit/").content.decode()
    assert "Project deleted for good" in page and "Old pitch" in page
