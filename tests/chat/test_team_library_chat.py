"""Issue 52, chat over the library in a team: a member's conversation started in the team asks every
video of the team, whoever uploaded it, and none of any other workspace."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.chat.test_api import body_of
from tests.factories import UserFactory, VideoFactory
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db(transaction=True)


def ask_over_the_library(client: Client, question: str) -> dict:
    """A new conversation over the library (no video), asked `question`: the finished answer."""
    created = client.post("/api/v1/conversations", {}, content_type="application/json")
    assert created.status_code == 201
    asked = client.post(
        f"/api/v1/conversations/{created.json()['id']}/messages",
        {"text": question, "client_id": "q1"},
        content_type="application/json",
    )
    assert asked.status_code == 201
    return json.loads(body_of(asked))["answer"]


def test_a_team_conversation_over_the_library_cites_a_colleagues_video_and_no_one_elses() -> None:
    editor, producer, stranger = UserFactory(), UserFactory(), UserFactory()
    team = Workspace.objects.create(name="North Studio", kind=Workspace.Kind.TEAM, created_by=editor)
    Membership.objects.create(workspace=team, user=editor, role=Role.OWNER)
    Membership.objects.create(workspace=team, user=producer, role=Role.EDITOR)
    sourdough = VideoFactory(owner=editor, workspace=team, cooking=True)  # the editor's upload
    theirs = VideoFactory(owner=stranger, cooking=True)  # the same words, in the stranger's own workspace
    in_team = Client()
    in_team.force_login(producer)
    assert in_team.post(reverse("workspace-switch"), {"workspace": team.pk}).status_code == 302
    outside = Client()
    outside.force_login(stranger)

    answer = ask_over_the_library(in_team, "How hot should the oven be?")
    elsewhere = ask_over_the_library(outside, "How hot should the oven be?")

    assert answer["status"] == "complete" and "[00:40]" in answer["content"]
    assert {citation["video_id"] for citation in answer["citations"]} == {sourdough.pk}
    assert {citation["video_id"] for citation in elsewhere["citations"]} == {theirs.pk}
