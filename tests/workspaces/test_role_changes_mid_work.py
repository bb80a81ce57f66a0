"""Issue 63, races: a role that changes, or a membership that ends, while a member's work is under way.

An upload in parts is many requests over minutes. Each request is judged by the role its member has
when it comes, never by the one they had when the work began: an editor made viewer halfway through
is refused the next part and the completion (with the policy's sentence), nothing is charged and
nothing already sent is lost, so the upload goes on where it stopped once the role is given back;
a member removed halfway is refused as a stranger's token is.
"""

from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from tests.factories import MembershipFactory, TeamWorkspaceFactory
from videos.models import Upload, UploadPart, Video
from workspaces.models import Membership, Role, Workspace
from workspaces.services import member_change_role, membership_remove

pytestmark = pytest.mark.django_db

PART = 64 * 1024
UPLOADS = "/api/v1/uploads"


@pytest.fixture(autouse=True)
def _small_parts(settings) -> None:
    settings.UPLOAD_PART_SIZE = PART


def _editor_with_a_token(team: Workspace) -> tuple[Membership, APIClient]:
    editor = MembershipFactory(workspace=team, role=Role.EDITOR)
    _, secret = api_token_create(
        user=editor.user, name="Uploader", scopes=["read", "videos:write"], workspace_id=team.pk
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return editor, client


def _send(client: APIClient, upload: dict, number: int, data: bytes):
    chunk = data[(number - 1) * PART : number * PART]
    return client.put(f"{UPLOADS}/{upload['id']}/parts/{number}", chunk, content_type="application/octet-stream")


def _owner(team: Workspace) -> Membership:
    return Membership.objects.get(workspace=team, role=Role.OWNER)


def test_an_editor_made_viewer_mid_upload_is_refused_and_loses_nothing_of_what_was_sent() -> None:
    team = TeamWorkspaceFactory()
    editor, client = _editor_with_a_token(team)
    data = os.urandom(PART * 2 + 100)
    upload = client.post(UPLOADS, {"filename": "cut-v3.mp4", "size": len(data)}, format="json").json()
    assert _send(client, upload, 1, data).status_code == 200

    member_change_role(membership=_owner(team), member=editor, role=Role.VIEWER)

    refused_part = _send(client, upload, 2, data)
    refused_completion = client.post(f"{UPLOADS}/{upload['id']}/complete")
    assert (refused_part.status_code, refused_completion.status_code) == (403, 403)
    assert "editors of this workspace" in refused_part.json()["error"]["message"]
    video = Video.objects.get(pk=upload["video_id"])
    assert video.status == Video.Status.UPLOADING  # not queued, so nothing is processed or charged
    assert UploadPart.objects.filter(upload_id=upload["id"]).count() == 1  # the part sent before stays
    assert client.get(f"{UPLOADS}/{upload['id']}").status_code == 200  # a viewer may still see it

    member_change_role(membership=_owner(team), member=Membership.objects.get(pk=editor.pk), role=Role.EDITOR)

    for number in (2, 3):
        assert _send(client, upload, number, data).status_code == 200
    completed = client.post(f"{UPLOADS}/{upload['id']}/complete")
    assert completed.status_code == 200, completed.content
    assert Video.objects.get(pk=upload["video_id"]).status == Video.Status.QUEUED


def test_a_member_removed_mid_upload_is_refused_as_their_token_has_left_the_workspace() -> None:
    team = TeamWorkspaceFactory()
    editor, client = _editor_with_a_token(team)
    data = os.urandom(PART + 100)
    upload = client.post(UPLOADS, {"filename": "cut-v3.mp4", "size": len(data)}, format="json").json()
    assert _send(client, upload, 1, data).status_code == 200

    membership_remove(membership=_owner(team), member=editor)

    refused = _send(client, upload, 2, data)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_workspace_left"
    assert client.post(f"{UPLOADS}/{upload['id']}/complete").status_code == 401
    # What they had sent stays the team's: the upload is its, unfinished, for the idle reaper.
    assert Upload.objects.get(pk=upload["id"]).workspace_id == team.pk
    assert Video.objects.get(pk=upload["video_id"]).status == Video.Status.UPLOADING
