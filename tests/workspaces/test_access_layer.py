"""Issue 63, the access layer: every door asks `workspaces.policy`, and what it answers is what a
person meets at the API and on the pages: share links' URLs only for roles that may share (and a
new URL in one action), comments and notes changed by the policy's "own", ownership transfers that
race, and refusals logged as refusals. docs/api.md's role table is the policy's."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from accounts.services import api_token_create
from reviews.models import Comment
from tests.clients import browser_switched_to
from tests.factories import (
    ComparisonFactory,
    NoteFactory,
    ProjectFactory,
    ReviewSessionFactory,
    ShareLinkFactory,
    VideoFactory,
    VideoStackFactory,
    team_member,
    team_owner,
)
from workspaces.models import Membership, Role, Workspace
from workspaces.policy import POLICY, LinkGuest, Member, decide, with_policy_table

pytestmark = pytest.mark.django_db

API_DOC = Path(settings.BASE_DIR) / "docs" / "api.md"


# --- the table -----------------------------------------------------------------------------------


def test_the_role_table_in_the_api_docs_is_the_policys() -> None:
    document = API_DOC.read_text(encoding="utf-8")
    assert with_policy_table(document) == document, "run `manage.py policy_table --write` (make schema)"
    for action in POLICY:
        assert f"`{action}`" in document


def test_the_policy_answers_by_role_authorship_workspace_link_and_scope() -> None:
    commenter = Member(user_id=7, workspace_id=1, role=Role.COMMENTER)
    editor = Member(user_id=8, workspace_id=1, role=Role.EDITOR)
    assert decide(commenter, "comment.delete", workspace_id=1, made_by=7) is None
    assert decide(commenter, "comment.delete", workspace_id=1, made_by=8).status == 403  # type: ignore[union-attr]
    assert decide(editor, "comment.delete", workspace_id=1, made_by=7) is None
    assert decide(editor, "comment.delete", workspace_id=2, made_by=8).status == 404  # type: ignore[union-attr]
    reader = Member(user_id=8, workspace_id=1, role=Role.EDITOR, scopes=frozenset({"read"}))
    assert decide(reader, "share_link.read_url", workspace_id=1) is None
    assert "'videos:write' scope" in decide(reader, "share_link.manage", workspace_id=1).message  # type: ignore[union-attr]
    guest = LinkGuest(link_id=3, workspace_id=1, permission="view", key_digest="k")
    assert decide(guest, "comment.create", workspace_id=1).status == 403  # type: ignore[union-attr]
    assert decide(guest, "comment.delete", workspace_id=1, made_by="k") is None
    assert decide(guest, "comment.delete", workspace_id=1, made_by="other").status == 403  # type: ignore[union-attr]
    assert decide(guest, "review_status.set", workspace_id=1) is not None
    status_guest = LinkGuest(link_id=3, workspace_id=1, permission="comment", flags=frozenset({"allow_status"}))
    assert decide(status_guest, "review_status.set", workspace_id=1) is None


# --- share links' URLs ---------------------------------------------------------------------------


def _links_of_every_kind(team: Workspace) -> list[tuple[str, Any]]:  # factories keep `.token`
    owner = team_owner(team)
    comparison = ComparisonFactory(owner=owner, workspace=team)
    video = VideoFactory(owner=owner, workspace=team, ready=True)
    stack = VideoStackFactory(owner=owner, workspace=team)
    project = ProjectFactory(created_by=owner, workspace=team)
    return [
        (f"/api/v1/comparisons/{comparison.pk}/share-links", ShareLinkFactory(comparison=comparison)),
        (f"/api/v1/videos/{video.pk}/share-links", ShareLinkFactory(video=video)),
        (f"/api/v1/stacks/{stack.pk}/share-links", ShareLinkFactory(stack=stack)),
        (f"/api/v1/projects/{project.pk}/share-links", ShareLinkFactory(project=project)),
    ]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COMMENTER])
def test_roles_that_may_not_share_read_links_without_their_url(team: Workspace, role: str) -> None:
    links = _links_of_every_kind(team)
    client = browser_switched_to(team_member(team, role), team)

    for list_path, link in links:
        listed = client.get(list_path)
        assert listed.status_code == 200
        assert [(row["id"], row["url"]) for row in listed.json()] == [(link.pk, None)]
        detail = client.get(f"/api/v1/share-links/{link.pk}")
        assert detail.status_code == 200 and detail.json()["url"] is None
        assert link.token not in listed.content.decode() + detail.content.decode()
    # Nor do they change one: 403, and the link is as it was.
    link = links[0][1]
    for action in ("revoke", "rotate"):
        assert client.post(f"/api/v1/share-links/{link.pk}/{action}").status_code == 403
    assert client.get(f"/s/{link.token}/").status_code == 200


def test_editors_and_their_read_tokens_read_the_url(team: Workspace) -> None:
    links = _links_of_every_kind(team)
    editor = team_member(team, Role.EDITOR)
    _, secret = api_token_create(user=editor, name="script", scopes=["read"], workspace_id=team.pk)
    for client, headers in ((browser_switched_to(editor, team), {}), (Client(), {"authorization": f"Bearer {secret}"})):
        for list_path, link in links:
            [row] = client.get(list_path, headers=headers).json()
            assert row["url"] == f"http://testserver/s/{link.token}/"


def test_a_sessions_guest_url_is_only_for_roles_that_may_share(team: Workspace) -> None:
    owner = team_owner(team)
    comparison = ComparisonFactory(owner=owner, workspace=team)
    link = ShareLinkFactory(comparison=comparison, permission="comment", allow_sessions=True)
    session = ReviewSessionFactory(comparison=comparison, started_by=owner, link=link)

    def guest_urls(role: str) -> list[str | None]:
        client = browser_switched_to(team_member(team, role), team)
        one = client.get(f"/api/v1/sessions/{session.code}").json()["guest_url"]
        listed = [row["guest_url"] for row in client.get("/api/v1/sessions").json()["results"]]
        return [one, *listed]

    assert guest_urls(Role.VIEWER) == [None, None]
    assert guest_urls(Role.COMMENTER) == [None, None]
    wanted = f"http://testserver/s/{link.token}/sessions/{session.code}/"
    assert guest_urls(Role.EDITOR) == [wanted, wanted]
    # The link's own guests hold the token already: their door gives it.
    guest = Client().get(f"/api/v1/shared/{link.token}/sessions/{session.code}")
    assert guest.json()["guest_url"] == wanted


def test_the_share_panel_and_its_urls_are_only_on_pages_of_roles_that_may_share(team: Workspace) -> None:
    owner = team_owner(team)
    video = VideoFactory(owner=owner, workspace=team, ready=True)
    link = ShareLinkFactory(video=video)
    page = reverse("videos:video", args=[video.pk])

    for role in (Role.VIEWER, Role.COMMENTER):
        shown = browser_switched_to(team_member(team, role), team).get(page)
        assert shown.status_code == 200
        assert link.token not in shown.content.decode()
        assert 'id="share-links"' not in shown.content.decode()
    editors_page = browser_switched_to(team_member(team, Role.EDITOR), team).get(page).content.decode()
    assert f"/s/{link.token}/" in editors_page


def test_rotating_gives_a_new_url_and_the_old_one_stops_at_once(team: Workspace) -> None:
    editor = team_member(team, Role.EDITOR)
    comparison = ComparisonFactory(owner=team_owner(team), workspace=team)
    link = ShareLinkFactory(comparison=comparison, permission="comment", name="Client")
    old_token = link.token
    client = browser_switched_to(editor, team)

    rotated = client.post(f"/api/v1/share-links/{link.pk}/rotate")

    assert rotated.status_code == 200
    body = rotated.json()
    new_token = body["url"].removeprefix("http://testserver/s/").removesuffix("/")
    assert new_token != old_token and (body["id"], body["name"], body["state"]) == (link.pk, "Client", "active")
    assert Client().get(f"/s/{old_token}/").status_code == 404
    assert Client().get(f"/api/v1/shared/{old_token}/comments").status_code == 404
    assert Client().get(f"/s/{new_token}/").status_code == 200
    # The page's form does the same, and says so.
    page = client.post(reverse("reviews:share-link-rotate", args=[link.pk]), follow=True)
    assert "has a new URL" in page.content.decode()
    assert Client().get(f"/s/{new_token}/").status_code == 404
    # A revoked link has no URL to replace.
    client.post(f"/api/v1/share-links/{link.pk}/revoke")
    refused = client.post(f"/api/v1/share-links/{link.pk}/rotate")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "link_not_live"


def test_a_rotation_is_in_the_audit_log(team: Workspace) -> None:
    owner = team_owner(team)
    link = ShareLinkFactory(comparison=ComparisonFactory(owner=owner, workspace=team), name="Client")
    client = browser_switched_to(owner, team)
    assert client.post(f"/api/v1/share-links/{link.pk}/rotate").status_code == 200
    [entry, *_] = client.get("/api/v1/audit").json()["results"]
    assert (entry["action"], entry["actor_email"]) == ("link_rotated", owner.email)


# --- comments and notes by the policy's "own" -------------------------------------------------------


def _comment_as(client: Client, comparison_id: int, body: str) -> int:
    made = client.post(
        f"/api/v1/comparisons/{comparison_id}/comments",
        {"side": "a", "start": 1.0, "body": body},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    return int(made.json()["id"])


def test_a_commenter_deletes_only_their_own_comment_and_an_editor_anyones(team: Workspace) -> None:
    comparison = ComparisonFactory(owner=team_owner(team), workspace=team)
    commenter, editor = team_member(team, Role.COMMENTER), team_member(team, Role.EDITOR)
    as_commenter, as_editor = browser_switched_to(commenter, team), browser_switched_to(editor, team)
    owners = _comment_as(browser_switched_to(team_owner(team), team), comparison.pk, "The owner's")
    mine = _comment_as(as_commenter, comparison.pk, "Mine")
    theirs = _comment_as(as_editor, comparison.pk, "The editor's")

    refused = as_commenter.delete(f"/api/v1/comments/{owners}")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].startswith("Commenters may do this only to what they made")
    assert as_commenter.delete(f"/api/v1/comments/{theirs}").status_code == 403
    assert as_commenter.delete(f"/api/v1/comments/{mine}").status_code == 204
    assert as_editor.delete(f"/api/v1/comments/{owners}").status_code == 204
    assert list(Comment.objects.values_list("pk", flat=True)) == [theirs]


def test_a_commenter_changes_and_deletes_only_their_own_notes(team: Workspace) -> None:
    owner, commenter = team_owner(team), team_member(team, Role.COMMENTER)
    video = VideoFactory(owner=owner, workspace=team, ready=True, duration=60)
    owners_note = NoteFactory(owner=owner, video=video, workspace=team, text="Logo too big")
    client = browser_switched_to(commenter, team)

    edit = client.patch(f"/api/v1/notes/{owners_note.pk}", {"text": "mine now"}, content_type="application/json")
    assert edit.status_code == 403
    assert client.delete(f"/api/v1/notes/{owners_note.pk}").status_code == 403
    owners_note.refresh_from_db()
    assert owners_note.text == "Logo too big"

    made = client.post(
        f"/api/v1/videos/{video.pk}/notes", {"start": 3, "text": "Mine"}, content_type="application/json"
    )
    assert made.status_code == 201
    mine = made.json()["id"]
    edited = client.patch(f"/api/v1/notes/{mine}", {"text": "Mine, again"}, content_type="application/json")
    assert edited.status_code == 200
    assert client.delete(f"/api/v1/notes/{mine}").status_code == 204
    # An editor changes anyone's.
    as_editor = browser_switched_to(team_member(team, Role.EDITOR), team)
    assert as_editor.delete(f"/api/v1/notes/{owners_note.pk}").status_code == 204


# --- refusals in the log -------------------------------------------------------------------------


def test_a_page_forms_refusal_is_logged_as_one_line_without_a_traceback(
    team: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    video = VideoFactory(owner=team_owner(team), workspace=team, ready=True)
    client = browser_switched_to(team_member(team, Role.VIEWER), team)

    with caplog.at_level(logging.WARNING, logger="django.request"):
        refused = client.post(reverse("reviews:video-share-link-create", args=[video.pk]), {"name": "client"})

    assert refused.status_code == 403
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == (
        f"Refused (403): /sharing/videos/{video.pk}/links/: Only editors of this workspace can do this "
        "(upload, compare, chat, share)."
    )


# --- the doors ask the policy, with no exemption by module ------------------------------------------


def _page_views(patterns: list[Any]) -> list[Any]:
    views = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            views += _page_views(pattern.url_patterns)
        else:
            views.append(pattern.callback)
    return views


def test_every_action_a_door_declares_is_a_row_of_the_policy() -> None:
    declared: list[str | None] = []
    for view in _page_views(get_resolver().url_patterns):
        for holder in (view, getattr(view, "cls", None)):
            declared += getattr(holder, "workspace_actions", {}).values()
    assert len(declared) > 30
    assert {action for action in declared if action is not None} <= set(POLICY)


def test_a_viewer_still_changes_what_is_not_the_workspaces(team: Workspace) -> None:
    viewer = team_member(team, Role.VIEWER)
    client = browser_switched_to(viewer, team)

    profile = client.post(reverse("accounts:profile"), {"display_name": "Ana"})
    switched = client.post(reverse("workspace-switch"), {"workspace": team.pk})
    left = client.post(reverse("workspaces:leave", args=[team.pk]))

    assert (profile.status_code, switched.status_code, left.status_code) == (302, 302, 302)
    assert not Membership.objects.filter(workspace=team, user=viewer).exists()
