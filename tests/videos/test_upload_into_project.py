"""Uploading straight into a project (issue 65): the project's page offers it, the upload page says
where the videos go, and the upload API files the new video there; another workspace's project is a
404 with nothing made, and a new version still goes where its stack is."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import ProjectFactory, VideoFactory
from videos.models import Upload, Video

pytestmark = pytest.mark.django_db

UPLOADS = "/api/v1/uploads"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_projects_page_leads_to_an_upload_page_that_files_into_it(user) -> None:
    project = ProjectFactory(created_by=user, name="Spring campaign")
    page = Client()
    page.force_login(user)

    assert (
        f'href="/videos/upload/?project={project.pk}"' in page.get(f"/videos/projects/{project.pk}/").content.decode()
    )
    upload_page = page.get(f"/videos/upload/?project={project.pk}").content.decode()
    assert "Upload videos into “<bdi>Spring campaign</bdi>”" in upload_page
    assert f'"project": {{"id": {project.pk}, "name": "Spring campaign"}}' in upload_page  # what upload.js sends


def test_an_upload_into_a_project_makes_its_video_there(user) -> None:
    project = ProjectFactory(created_by=user)

    made = api(user).post(UPLOADS, {"filename": "teaser.mp4", "size": 1000, "project": project.pk}, format="json")

    assert made.status_code == 201, made.content
    assert Video.objects.get(pk=made.json()["video_id"]).project_id == project.pk


def test_another_workspaces_project_is_not_found_and_nothing_is_made(user, other_user) -> None:
    theirs = ProjectFactory(created_by=other_user)

    refused = api(user).post(UPLOADS, {"filename": "teaser.mp4", "size": 1000, "project": theirs.pk}, format="json")

    assert refused.status_code == 404
    assert not Upload.objects.exists() and not Video.objects.filter(owner=user).exists()


def test_a_new_version_goes_where_its_stack_is_whatever_project_is_asked(user) -> None:
    first = VideoFactory(owner=user, ready=True)
    elsewhere = ProjectFactory(created_by=user)

    made = api(user).post(
        UPLOADS, {"filename": "cut2.mp4", "size": 1000, "version_of": first.pk, "project": elsewhere.pk}, format="json"
    )

    assert made.status_code == 201, made.content
    assert Video.objects.get(pk=made.json()["video_id"]).project_id is None  # v1's project: none
