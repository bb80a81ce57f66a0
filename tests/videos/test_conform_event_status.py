"""Each event of a change list carries where the team is with it ("To do", "Done", "Question"): set by
whoever may comment, through the API and the page's form, shown in the list, its JSON and its CSV; a
viewer, a stranger, an event that is not there and a status that does not exist are refused clearly."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.activity.test_feed import feed_lines
from tests.clients import client_in
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory
from tests.videos.conform_pair import made
from videos.models import ChangeEventStatus, Comparison
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db

REMOVED = "removed-250-250"  # v1's 10–12 s (frames 250–300) taken out where v2 is at its frame 250


@dataclass(frozen=True)
class Team:
    workspace: Workspace
    owner: User
    commenter: User
    viewer: User

    def browser(self, person: User) -> Client:
        return client_in(person, self.workspace)


def team_pair() -> tuple[Comparison, Team]:
    workspace = TeamWorkspaceFactory()
    owner = Membership.objects.get(workspace=workspace, role=Role.OWNER).user
    commenter, viewer = (
        MembershipFactory(workspace=workspace, role=role).user for role in (Role.COMMENTER, Role.VIEWER)
    )
    return made(workspace=workspace, owner=owner), Team(workspace, owner, commenter, viewer)


def put(client: Client, comparison: Comparison, key: str, status: object) -> Any:
    url = reverse("api-comparison-change-event-status", args=[comparison.pk, key])
    return client.put(url, {"status": status}, content_type="application/json")


def test_a_commenter_marks_an_event_done_and_the_list_its_json_and_its_csv_say_so() -> None:
    comparison, team = team_pair()
    team.commenter.display_name = "Eli"
    team.commenter.save()
    editor_page = team.browser(team.commenter)

    answer = put(editor_page, comparison, REMOVED, "done")

    assert answer.status_code == 200, answer.content
    assert answer.json() | {"status_at": None} == {
        "comparison": comparison.pk,
        "key": REMOVED,
        "number": 2,
        "status": "done",
        "status_label": "Done",
        "status_by": "Eli",
        "status_at": None,
    }
    owner = team.browser(team.owner)
    events = owner.get(reverse("api-comparison-changes", args=[comparison.pk])).json()["events"]
    assert [(event["key"], event["status"], event["status_by"]) for event in events] == [
        ("kept-0-0", "todo", ""),
        (REMOVED, "done", "Eli"),
        ("kept-300-250", "todo", ""),
        ("inserted-new-350", "todo", ""),
        ("kept-400-425", "todo", ""),
    ]
    sheet = owner.get(reverse("api-comparison-change-file", args=[comparison.pk, "csv"])).content.decode("utf-8-sig")
    assert [row["status"] for row in csv.DictReader(io.StringIO(sheet))] == ["todo", "done", "todo", "todo", "todo"]
    page = owner.get(reverse("compare:changes", args=[comparison.pk])).content.decode()
    assert "(5; <span data-events-done>1</span> done)" in page
    assert 'data-event-key="removed-250-250" data-event-status="done"' in page and "by Eli" in page
    assert (
        feed_lines(owner.get("/activity/"))[0]
        == f"Eli marked a change in “{comparison.title}” — event 2 (Removed) as “Done”"
    )


def test_the_pages_form_sets_a_status_without_javascript_and_says_so() -> None:
    comparison, team = team_pair()
    browser = team.browser(team.owner)
    url = reverse("compare:change-event-status", args=[comparison.pk, "inserted-new-350"])

    answer = browser.post(url, {"status": "question"}, follow=True)

    assert answer.redirect_chain[-1][0].endswith(f"/compare/{comparison.pk}/changes/#event-4")
    assert "Event 4 marked “Question”." in answer.content.decode()
    assert ChangeEventStatus.objects.get(comparison=comparison, event_key="inserted-new-350").status == "question"


def test_a_viewer_a_stranger_a_missing_event_and_an_unknown_status_are_refused_and_nothing_is_stored() -> None:
    comparison, team = team_pair()
    put(team.browser(team.owner), comparison, REMOVED, "question")

    viewer = put(team.browser(team.viewer), comparison, REMOVED, "done")
    stranger = put(client_in(UserFactory()), comparison, REMOVED, "done")
    missing = put(team.browser(team.owner), comparison, "removed-1-1", "done")
    unknown = put(team.browser(team.owner), comparison, REMOVED, "finished")

    assert viewer.status_code == 403 and "comment" in viewer.json()["error"]["message"].lower()
    assert stranger.status_code == 404
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_such_event"
    assert unknown.status_code == 400 and "status" in unknown.json()["error"]["fields"]
    assert list(ChangeEventStatus.objects.values_list("event_key", "status")) == [(REMOVED, "question")]
    page = team.browser(team.viewer).get(reverse("compare:changes", args=[comparison.pk]))
    assert "data-event-status-form" not in page.content.decode() and "Question" in page.content.decode()
