"""Issue 52, access: a team's members work on one library, each as far as their role reaches, and
nobody else sees any of it. Every door is tried the way people use it: pages and the API with a
signed-in browser (the header switcher's session), an API token (its own workspace), the sockets."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from accounts.services import api_token_create
from sage.api import urls as api_urls
from tests.clients import browser_switched_to
from tests.factories import (
    CommentFactory,
    ComparisonFactory,
    ConversationFactory,
    NoteFactory,
    ProjectFactory,
    ReviewSessionFactory,
    ShareLinkFactory,
    UploadFactory,
    UserFactory,
    VideoFactory,
    VideoStackFactory,
    team_member,
)
from videos.models import Comparison, Video
from workspaces.models import Membership, Role, Workspace
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db


def test_a_team_shares_one_library_and_nobody_else_sees_it(team: Workspace) -> None:
    editor, viewer, stranger = team_member(team, Role.EDITOR), team_member(team, Role.VIEWER), UserFactory()
    cut = VideoFactory(owner=editor, workspace=team, title="Harbour cut v1", ready=True)
    own = VideoFactory(owner=viewer, title="My holiday", ready=True)  # the viewer's personal workspace

    in_team = browser_switched_to(viewer, team)
    assert "Harbour cut v1" in in_team.get(reverse("videos:library")).content.decode()
    assert "My holiday" not in in_team.get(reverse("videos:library")).content.decode()
    assert in_team.get(reverse("videos:video", args=[cut.pk])).status_code == 200
    assert [row["title"] for row in in_team.get("/api/v1/videos").json()["results"]] == ["Harbour cut v1"]

    # Back in their personal workspace, the team's video is not there, theirs is.
    personal = browser_switched_to(viewer, personal_workspace_of(viewer))
    assert [row["title"] for row in personal.get("/api/v1/videos").json()["results"]] == ["My holiday"]
    assert personal.get(f"/api/v1/videos/{cut.pk}").status_code == 404

    # Someone outside the team: 404 for every id of it, in pages and the API, and cannot switch in.
    outside = browser_switched_to(stranger, None)
    assert outside.get(reverse("videos:video", args=[cut.pk])).status_code == 404
    assert outside.get(f"/api/v1/videos/{cut.pk}").status_code == 404
    assert outside.post(reverse("workspace-switch"), {"workspace": team.pk}).status_code == 404
    assert outside.get(f"/api/v1/videos/{own.pk}").status_code == 404


def test_the_header_switcher_lists_my_workspaces_and_says_where_i_am(team: Workspace) -> None:
    editor = team_member(team, Role.EDITOR)
    client = browser_switched_to(editor, None)
    header = client.get(reverse("videos:library")).content.decode()
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', header)
    assert [(name, bool(selected)) for _, selected, name in options] == [
        (f"{personal_workspace_of(editor).name} (personal)", True),
        ("North Studio", False),
    ]

    client.post(reverse("workspace-switch"), {"workspace": team.pk})
    header = client.get(reverse("videos:library")).content.decode()
    assert f'<option value="{team.pk}" selected>North Studio</option>' in header


def _ids_for_every_kind(team: Workspace, editor: User) -> dict[str, str]:
    video = VideoFactory(owner=editor, workspace=team, ready=True)
    comparison = ComparisonFactory(owner=editor, workspace=team)
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    comment = CommentFactory(link=link, side="a")
    return {
        "video_id": str(video.pk),
        "ref": str(video.pk),
        "comparison_id": str(comparison.pk),
        "stack_id": str(VideoStackFactory(owner=editor, workspace=team).pk),
        "project_id": str(ProjectFactory(created_by=editor, workspace=team).pk),
        "link_id": str(link.pk),
        "comment_id": str(comment.pk),
        "note_id": str(NoteFactory(owner=editor, video=video, workspace=team).pk),
        "conversation_id": str(ConversationFactory(owner=editor, workspace=team).pk),
        "upload_id": str(UploadFactory(owner=editor, workspace=team).pk),
        "token_id": "1",
        "number": "1",
        "token": "not-a-token",
        "code": ReviewSessionFactory(comparison=comparison, started_by=editor).code,
    }


def _api_writes() -> list[tuple[str, str]]:
    """(method, URL name) of every write the API has."""
    writes = []
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern) and not isinstance(pattern, URLResolver)
        view = getattr(pattern.callback, "cls", None)
        if view is None or pattern.name is None:
            continue
        writes += [(method, pattern.name) for method in ("post", "put", "patch", "delete") if hasattr(view, method)]
    return writes


def _path_for(name: str, ids: dict[str, str]) -> str:
    pattern = next(p for p in api_urls.urlpatterns if isinstance(p, URLPattern) and p.name == name)
    wanted = set(pattern.pattern.regex.groupindex)
    kwargs = {key: ids[key] for key in wanted if key in ids}
    if "file_type" in wanted:
        kwargs["file_type"] = re.search(r"\(\?P<file_type>([a-z]+)", pattern.pattern.regex.pattern).group(1)  # type: ignore[union-attr]
    return reverse(name, kwargs=kwargs)


# The API's writes that are no workspace's work: one's own account and tokens, and what a share link's
# guest does (a guest's door is the link, whoever is signed in).
NOT_THE_WORKSPACES = {
    ("patch", "api-me"),
    ("post", "api-tokens"),
    ("delete", "api-token-detail"),
    ("delete", "api-token-current"),
    ("post", "api-extension-connect"),
}
# What a commenter may write beyond a viewer: notes, their own comments and drawings, replies/resolving
# reviewers' comments, review statuses, and live review sessions (their services refuse handing over and
# ending to anyone but the presenter, the starter or an admin).
COMMENTERS = {
    ("post", "api-comparison-comments"),
    ("post", "api-video-comments"),
    ("post", "api-stack-comments"),
    ("post", "api-video-notes"),
    ("post", "api-comment-replies"),
    ("post", "api-comment-resolve"),
    ("post", "api-comment-reopen"),
    ("put", "api-video-review-status"),
    ("put", "api-comparison-review-status"),
    ("post", "api-sessions"),
    ("post", "api-session-handover"),
    ("post", "api-session-end"),
}
# What a commenter may do only to what they made (workspaces.policy's "own"): the ids here are an
# editor's note and a guest's comment, so the commenter is refused with a sentence saying so.
COMMENTERS_OWN_ONLY = {
    ("patch", "api-note-detail"),
    ("delete", "api-note-detail"),
    ("delete", "api-comment-detail"),
}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COMMENTER])
def test_every_api_write_refuses_roles_that_do_not_reach_it(team: Workspace, role: str) -> None:
    editor, person = team_member(team, Role.EDITOR), team_member(team, role)
    ids = _ids_for_every_kind(team, editor)
    if role == Role.COMMENTER:
        # Handing over and ending are the session's presenter's or starter's (or an admin's): theirs.
        comparison = Comparison.objects.get(pk=ids["comparison_id"])
        ids["code"] = ReviewSessionFactory(comparison=comparison, started_by=person).code
    client = browser_switched_to(person, team)
    writes = _api_writes()
    assert len(writes) > 30  # the matrix covers the API, not a corner of it

    refused: list[tuple[str, str]] = []
    let_through: list[tuple[str, str]] = []
    for method, name in writes:
        # A guest's door is the link; a workspace's own settings check roles there (test_team_rules).
        if name.startswith(("api-shared", "api-workspace")) or (method, name) in NOT_THE_WORKSPACES:
            continue
        response = getattr(client, method)(_path_for(name, ids), data={}, content_type="application/json")
        (refused if response.status_code == 403 else let_through).append((method, name))
        if response.status_code == 403 and role == Role.COMMENTER:
            message = response.json()["error"]["message"]
            if (method, name) in COMMENTERS_OWN_ONLY:
                assert message.startswith("Commenters may do this only to what they made")
            else:
                assert "editors of this workspace" in message

    may_write = COMMENTERS if role == Role.COMMENTER else set()
    assert set(let_through) == may_write
    assert set(refused) & may_write == set()


def test_a_viewer_reads_everything_and_changes_nothing(team: Workspace) -> None:
    editor, viewer = team_member(team, Role.EDITOR), team_member(team, Role.VIEWER)
    video = VideoFactory(owner=editor, workspace=team, title="Logo pass", ready=True)
    NoteFactory(owner=editor, video=video, workspace=team, text="Logo too big at 0:12")
    client = browser_switched_to(viewer, team)

    notes = client.get(f"/api/v1/videos/{video.pk}/notes").json()
    assert [note["text"] for note in notes] == ["Logo too big at 0:12"]
    refused = client.post(
        f"/api/v1/videos/{video.pk}/notes", {"start": 3, "text": "mine"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].startswith("Viewers of this workspace can watch and read")
    # A page's form post is refused the same way, with a page that says why.
    page = client.post(reverse("reviews:video-share-link-create", args=[video.pk]), {"name": "client"})
    assert page.status_code == 403
    assert "editors of this workspace" in page.content.decode()
    assert Video.objects.get(pk=video.pk).share_links.count() == 0


def test_a_commenter_takes_notes_in_the_team_and_they_are_the_teams(team: Workspace) -> None:
    editor, commenter = team_member(team, Role.EDITOR), team_member(team, Role.COMMENTER)
    video = VideoFactory(owner=editor, workspace=team, title="Logo pass", ready=True)

    made = browser_switched_to(commenter, team).post(
        f"/api/v1/videos/{video.pk}/notes", {"start": 12, "text": "Logo too big"}, content_type="application/json"
    )
    assert made.status_code == 201
    seen_by_editor = browser_switched_to(editor, team).get(f"/api/v1/videos/{video.pk}/notes").json()
    assert [note["text"] for note in seen_by_editor] == ["Logo too big"]


def test_an_api_token_acts_in_its_own_workspace_and_stops_when_its_user_leaves(team: Workspace) -> None:
    editor = team_member(team, Role.EDITOR)
    VideoFactory(owner=editor, workspace=team, title="Team cut", ready=True)
    VideoFactory(owner=editor, title="Personal clip", ready=True)
    _, team_secret = api_token_create(user=editor, name="script", scopes=["read"], workspace_id=team.pk)
    # Made without a choice, a token acts in its user's personal workspace.
    _, personal_secret = api_token_create(user=editor, name="mine", scopes=["read"])

    def titles(secret: str) -> tuple[int, list[str]]:
        response = Client().get("/api/v1/videos", headers={"authorization": f"Bearer {secret}"})
        return response.status_code, [row["title"] for row in response.json().get("results", [])]

    assert titles(team_secret) == (200, ["Team cut"])
    assert titles(personal_secret) == (200, ["Personal clip"])

    Membership.objects.filter(workspace=team, user=editor).delete()
    gone = Client().get("/api/v1/videos", headers={"authorization": f"Bearer {team_secret}"})
    assert gone.status_code == 401
    assert "no longer one you belong to" in gone.json()["error"]["message"]
    assert titles(personal_secret) == (200, ["Personal clip"])


def test_a_removed_member_loses_the_teams_pages_and_media_at_once(team: Workspace) -> None:
    editor = team_member(team, Role.EDITOR)
    cut = VideoFactory(owner=editor, workspace=team, title="Harbour cut", ready=True)
    client = browser_switched_to(editor, team)
    assert client.get(reverse("videos:video", args=[cut.pk])).status_code == 200

    Membership.objects.filter(workspace=team, user=editor).delete()

    # The same browser, the same session: the next request acts in their personal workspace.
    assert client.get(reverse("videos:video", args=[cut.pk])).status_code == 404
    assert client.get(f"/api/v1/videos/{cut.pk}").status_code == 404
    assert client.get(reverse("videos:poster", args=[cut.pk])).status_code == 404
    assert "Harbour cut" not in client.get(reverse("videos:library")).content.decode()
    # What they made stays the team's.
    assert Video.objects.get(pk=cut.pk).workspace_id == team.pk


def _page_urls(patterns: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
    """Every page route of the site (not the API's), with its pattern's full text."""
    found: list[tuple[str, URLPattern]] = []
    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _page_urls(pattern.url_patterns, text)
        elif not text.startswith("api"):
            found.append((text, pattern))
    return found


# Page modules whose forms write a workspace's work (the others: sign-in, settings, billing, a guest's
# shared pages, the workspace pages, which check roles in the workspace they name).
WORKSPACE_PAGES = ("videos.", "reviews.views", "chat.", "notes.", "showcase.")


def _accepted_methods(view: Any) -> set[str] | None:
    """The methods a page view answers (None: any), read from the view itself: a class's handlers,
    or the list `require_http_methods` (and `require_GET`, `require_POST`...) closed over. The role
    middleware answers a viewer's POST before the view's own 405, so only this tells a form's route
    from a page that only reads."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {method.upper() for method in view_class.http_method_names if hasattr(view_class, method)}
    while view is not None:
        methods = inspect.getclosurevars(view).nonlocals.get("request_method_list")
        if methods is not None:
            return set(methods)
        view = getattr(view, "__wrapped__", None)
    return None


def _workspace_pages(ids: dict[str, str]) -> list[tuple[str, str, set[str] | None]]:
    """(URL name, path, accepted methods) of every page route of the apps that hold a workspace's work."""
    pages = []
    for text, pattern in _page_urls(get_resolver().url_patterns):
        if not pattern.callback.__module__.startswith(WORKSPACE_PAGES):
            continue
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids.get(m.group(1), "1"), text).replace("^", "")
        if "(?P" in path or "\\" in path:
            continue  # a regular-expression route: its writes are the API's
        pages.append((str(pattern.name), path, _accepted_methods(pattern.callback)))
    return pages


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COMMENTER])
def test_no_page_form_lets_a_role_write_what_it_may_not(team: Workspace, role: str) -> None:
    editor, person = team_member(team, Role.EDITOR), team_member(team, role)
    ids = _ids_for_every_kind(team, editor)
    client = browser_switched_to(person, team)
    pages = _workspace_pages(ids)
    forms = [(name, path) for name, path, methods in pages if methods is None or "POST" in methods]
    reads = [(name, path) for name, path, methods in pages if methods is not None and "POST" not in methods]
    assert len(forms) > 20 and len(reads) > 10  # both kinds are told apart, and the matrix covers them

    let_through = [name for name, path in forms if client.post(path).status_code != 403]

    commenters = {"video-review-status", "comparison-review-status"} if role == Role.COMMENTER else set()
    assert set(let_through) == commenters
    # A page that only reads is open to every member's GET (the ids are the team's, or none: a 404).
    refused_reads = [name for name, path in reads if client.get(path).status_code == 403]
    assert refused_reads == []
