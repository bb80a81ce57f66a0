"""Storage is counted per plan that pays (issue 52): a team's uploads, by any member, count against its
owner's plan together with the owner's own videos; a member's personal uploads count against their
own plan only, and their team uploads not at all."""

from __future__ import annotations

import pytest
from django.test import Client

from billing.models import Plan
from tests.clients import client_in as browser
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory, VideoFactory
from videos.models import Upload
from workspaces.models import Role
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db

UPLOADS = "/api/v1/uploads"
MB = 1024 * 1024  # as the site counts a megabyte


def upload(client: Client, size: int):
    return client.post(UPLOADS, {"filename": "cut.mp4", "size": size}, content_type="application/json")


def test_a_teams_uploads_count_against_its_owners_plan_and_not_the_uploaders() -> None:
    Plan.objects.filter(slug="team").update(storage_quota_bytes=10 * MB, max_upload_bytes=10 * MB)
    Plan.objects.filter(slug="free").update(storage_quota_bytes=5 * MB, max_upload_bytes=5 * MB)
    team = TeamWorkspaceFactory(name="Northlight")
    owner = team.created_by
    editor = MembershipFactory(workspace=team, role=Role.EDITOR, user=UserFactory()).user  # on the Free plan
    # The owner's own stored video counts for the plan too: one plan, one storage allowance.
    VideoFactory(owner=owner, workspace=personal_workspace_of(owner), storage_key="videos/1/a.mp4", size=4 * MB)
    # The editor's own videos are theirs: nothing of the team's.
    VideoFactory(owner=editor, workspace=personal_workspace_of(editor), storage_key="videos/2/b.mp4", size=4 * MB)
    in_team = browser(editor, team)

    # 4 MB (the editor's own) + 4 MB would pass the editor's 5 MB Free plan by the old count: the team pays.
    assert upload(in_team, 4 * MB).status_code == 201
    refused = upload(in_team, 3 * MB)  # 4 + 4 + 3 > the owner's 10 MB
    assert refused.status_code == 400
    assert "of this workspace's owner's Team plan's 10 MB storage" in refused.json()["error"]["message"]

    # The owner uploading into their personal workspace meets the same allowance.
    refused = upload(browser(owner), 3 * MB)
    assert refused.status_code == 400
    assert "of your 10 MB storage" in refused.json()["error"]["message"]
    # The editor's personal allowance does not see the team's upload: 4 + 1 fits their 5 MB.
    assert upload(browser(editor), 1 * MB).status_code == 201
    assert Upload.objects.filter(workspace=team).count() == 1

    page = in_team.get("/videos/upload/").content.decode()
    assert '<span class="storage-used">8 MB</span> of 10 MB used' in page
