"""Issue 63, the policy proved from the schema: every operation of docs/openapi.yaml is one row of
`workspaces.policy` (its view declares which, or says it is no workspace's work), and calling it as
each actor (every role, a removed member, a member of another workspace, an API token of each single
scope, a share link's guest by permission) answers what `decide` says: refused is 403 (404 for what
is not in the actor's sight), allowed is anything but a refusal. Page forms are walked the same way.

Every call runs in a savepoint that is rolled back, so one team's objects serve every call (a delete
does not take the object from the next actor) and nothing queued on commit runs.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.services import api_token_create
from review_sessions.services import session_start_by_guest
from reviews.comments import comment_create_by_guest, reviewer_key_digest
from reviews.models import Comment, ShareLink
from reviews.presenters import share_link_path
from tests.clients import browser_switched_to
from tests.factories import (
    ComparisonFactory,
    ConversationFactory,
    NoteFactory,
    ProjectFactory,
    RecutJobFactory,
    ReviewSessionFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
    UploadFactory,
    UserFactory,
    VideoFactory,
    VideoStackFactory,
    team_member,
    team_owner,
)
from tests.workspaces.test_team_access import _workspace_pages
from workspaces.doors import NOT_WORKSPACE_WORK, declared_action, link_action, path_action, required_action
from workspaces.invitations import invitation_create
from workspaces.models import Membership, Role, Workspace
from workspaces.policy import NOT_FOUND, POLICY, LinkGuest, Member, Refusal, decide
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db

SCHEMA = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")

# The path parameters that name something a person made: an "own" row is walked with theirs and another's.
AUTHORED = ("comment_id", "note_id", "conversation_id", "upload_id", "code")
# The path parameters that name one of the team's objects (the others' operations act where one acts).
TEAM_OBJECTS = (
    "workspace_id",
    "video_id",
    "ref",
    "comparison_id",
    "recut_id",
    "stack_id",
    "project_id",
    "link_id",
    *AUTHORED,
)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the schema writes it
    file_type: str | None  # the first format a `.{file_type}` path names

    def url(self, ids: dict[str, str]) -> str:
        values = {**ids, "number": "1", "file_type": self.file_type or ""}
        if self.path.endswith("/restore") and "trashed_project_id" in ids:
            values["project_id"] = ids["trashed_project_id"]
        return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], self.path)

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


def schema_operations() -> list[Operation]:
    document = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    operations = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            file_type = None
            for parameter in item[method].get("parameters", []):
                if parameter["name"] == "file_type":
                    file_type = parameter["schema"]["enum"][0]
            operations.append(Operation(method.upper(), path, file_type))
    return operations


def view_of(operation: Operation) -> Any:
    ids = {name: "1" for name in operation.params} | {
        "upload_id": str(uuid.UUID(int=1)),
        "token": "t",
        "code": "c",
        "ref": "1",
    }
    return resolve(operation.url(ids)).func.cls  # type: ignore[attr-defined]


def action_of(operation: Operation) -> tuple[bool, str | None]:
    """Whether the operation names its row, and which (NOT_WORKSPACE_WORK: none)."""
    view = view_of(operation)
    if "workspace_id" in operation.params:
        # The workspace the path names: its row is declared for it (the member's role there decides).
        action = path_action(view, operation.method)
        return action is not None, action
    return declared_action(view, operation.method)


def test_every_operation_of_the_schema_names_its_row_of_the_policy() -> None:
    operations = schema_operations()
    assert len(operations) > 100  # the whole schema, not a corner of it
    undeclared, unknown = [], []
    for operation in operations:
        declared, action = action_of(operation)
        if not declared:
            undeclared.append(f"{operation.method} {operation.path}")
        elif action is not NOT_WORKSPACE_WORK and action not in POLICY:
            unknown.append(f"{operation.method} {operation.path}: {action}")
    assert undeclared == [], "declare `workspace_actions` (a row of workspaces.policy, or NOT_WORKSPACE_WORK)"
    assert unknown == []
    # A guest's operations are walked by link below: every one of them names the row a guest does.
    guests = [op for op in operations if op.path.startswith("/api/v1/shared/")]
    assert len(guests) >= 10
    assert [f"{op.method} {op.path}" for op in guests if link_action(view_of(op), op.method) not in POLICY] == []


def test_a_view_that_declares_nothing_is_an_editors_write_and_a_members_read() -> None:
    class Undeclared:
        pass

    assert required_action(Undeclared, "DELETE") == "video.change"
    assert required_action(Undeclared, "GET") == "workspace.view"
    # and the walk fails for it: it names no row
    assert declared_action(Undeclared, "GET") == (False, None)


# --- the actors and the team's objects ----------------------------------------------------------------


@dataclass
class Caller:
    """One actor as the site meets it: a client (a signed-in browser or a token's bearer) and the
    policy's actor it is."""

    name: str
    client: Client
    actor: Member
    user: User
    headers: dict[str, str]
    own: dict[str, str]  # the ids of what this person made, by path parameter


ROLES = (Role.OWNER, Role.ADMIN, Role.EDITOR, Role.COMMENTER, Role.VIEWER)


@dataclass
class Walk:
    team: Workspace
    owner: User
    theirs: dict[str, str]  # ids of the team's objects, made by the owner
    callers: list[Caller]
    links: dict[str, tuple[ShareLink, str]]  # by guest kind: the link and its token
    guest_session_code: str  # a session the sessions link's guest started


def _made_by(person: User, team: Workspace, comparison_id: int, video_id: int) -> dict[str, str]:
    """What `person` makes in the team (as an editor, before their role is set): their comment, note,
    conversation, upload and live session."""
    client = browser_switched_to(person, team)
    made = client.post(
        f"/api/v1/comparisons/{comparison_id}/comments",
        {"side": "a", "start": 1.0, "body": f"{person.email}'s"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    return {
        "comment_id": str(made.json()["id"]),
        "note_id": str(NoteFactory(owner=person, video_id=video_id, workspace=team).pk),
        "conversation_id": str(ConversationFactory(owner=person, workspace=team).pk),
        "upload_id": str(UploadFactory(owner=person, workspace=team).pk),
        "code": ReviewSessionFactory(
            comparison=ComparisonFactory(owner=person, workspace=team), started_by=person
        ).code,
    }


@pytest.fixture
def walk(team: Workspace) -> Walk:
    owner = team_owner(team)
    video = VideoFactory(owner=owner, workspace=team, ready=True, title="Harbour cut")
    comparison = ComparisonFactory(owner=owner, workspace=team)
    links: dict[str, tuple[ShareLink, str]] = {}
    for kind in ("view", "comment", "status", "sessions"):
        link: Any = ShareLinkFactory(  # the factory keeps `.token`
            comparison=comparison,
            permission="comment",
            allow_status=kind == "status",
            allow_sessions=kind == "sessions",
            name=kind,
        )
        links[kind] = (link, link.token)
    theirs = {
        "video_id": str(video.pk),
        "ref": str(video.pk),
        "comparison_id": str(comparison.pk),
        "recut_id": str(RecutJobFactory(comparison=comparison).pk),
        "stack_id": str(VideoStackFactory(owner=owner, workspace=team, versions=1).pk),
        "project_id": str(ProjectFactory(created_by=owner, workspace=team).pk),
        "link_id": str(links["comment"][0].pk),
        # Only a project in the trash is restored (another is no such project there).
        "trashed_project_id": str(ProjectFactory(created_by=owner, workspace=team, deleted_at=timezone.now()).pk),
    }
    theirs |= _made_by(owner, team, comparison.pk, video.pk)
    # The team itself: a member below every walked role to change or remove, an invitation to revoke.
    target = UserFactory(email="target@example.com")
    Membership.objects.create(workspace=team, user=target, role=Role.VIEWER)
    owners_membership = Membership.objects.get(workspace=team, user=owner)
    invitation = invitation_create(membership=owners_membership, email="invitee@example.com", role=Role.VIEWER)
    theirs |= {"workspace_id": str(team.pk), "user_id": str(target.pk), "invitation_id": str(invitation.pk)}
    # The owner's session lets the sessions link's guests in (for them, it is another's to end).
    theirs["code"] = ReviewSessionFactory(comparison=comparison, started_by=owner, link=links["sessions"][0]).code

    callers = []
    for role in ROLES:
        # Each makes their own things as an editor, before their role is set.
        person = owner if role == Role.OWNER else team_member(team, Role.EDITOR, email=f"{role}@example.com")
        own = theirs if role == Role.OWNER else _made_by(person, team, comparison.pk, video.pk)
        Membership.objects.filter(workspace=team, user=person).update(role=role)
        actor = Member(user_id=person.pk, workspace_id=team.pk, role=role)
        callers.append(Caller(str(role), browser_switched_to(person, team), actor, person, {}, own))

    removed = team_member(team, Role.EDITOR, email="removed@example.com")
    removed_client = browser_switched_to(removed, team)
    Membership.objects.filter(workspace=team, user=removed).delete()  # the same browser, still signed in
    personal = personal_workspace_of(removed)
    callers.append(Caller("removed", removed_client, Member(removed.pk, personal.pk, Role.OWNER), removed, {}, {}))
    other_team = TeamWorkspaceFactory(name="Elsewhere")
    outsider = other_team.created_by
    callers.append(
        Caller(
            "other workspace",
            browser_switched_to(outsider, other_team),
            Member(outsider.pk, other_team.pk, Role.OWNER),
            outsider,
            {},
            {},
        )
    )
    for scope in ApiToken.Scope.values:
        _, secret = api_token_create(user=owner, name=scope, scopes=[scope], workspace_id=team.pk)
        actor = Member(user_id=owner.pk, workspace_id=team.pk, role=Role.OWNER, scopes=frozenset({scope}))
        callers.append(Caller(f"token {scope}", Client(), actor, owner, {"authorization": f"Bearer {secret}"}, theirs))

    # Guests' own comments and the links as their kind says (made while each link allowed comments).
    for kind, (link, _) in links.items():
        comment_create_by_guest(
            link=link, reviewer_key=_guest_key(kind), body="Mine", author_name="Guest", side="a", start=1.0
        )
    ShareLink.objects.filter(pk=links["view"][0].pk).update(permission="view")
    guests_session = session_start_by_guest(
        link=links["sessions"][0], name="Guest", reviewer_key=_guest_key("sessions")
    )
    return Walk(team, owner, theirs, callers, links, guests_session.code)


def _guest_key(kind: str) -> str:
    return f"walk-guest-{kind}".ljust(32, "0")


class _Undo(Exception):
    """Raised to roll a call's savepoint back."""


def _call(client: Client, method: str, url: str, headers: dict[str, str]) -> Any:  # the test client's response
    response = None
    try:
        with transaction.atomic():
            response = getattr(client, method.lower())(
                url, data={} if method != "GET" else None, content_type="application/json", headers=headers
            )
            raise _Undo
    except _Undo:
        pass
    assert response is not None
    return response


def _expected_and_met(refusal: Refusal | None, response: Any) -> str | None:
    """None when the answer is what the policy said; else what is wrong, in words."""
    status = response.status_code
    if refusal is None:
        if status in (401, 403) or (status == 404 and _is_access_404(response)):
            return f"allowed by the policy, answered {status} {response.content[:160]!r}"
        return None
    if status != refusal.status:
        return f"policy says {refusal.status} ({refusal.message}), answered {status} {response.content[:160]!r}"
    return None


# 404s that say the object was found and lacks something (a comment drawn on nothing has no still):
# not a refusal. Every other 404 of an operation given real ids is one of sight.
FOUND_BUT_EMPTY = ("This comment has no still.",)


def _is_access_404(response: Any) -> bool:
    return response.json()["error"]["message"] not in FOUND_BUT_EMPTY


def _variants(operation: Operation, action: str, caller: Caller, walk: Walk) -> Iterator[tuple[dict[str, str], Any]]:
    """(ids, made_by) to call `operation` with: the team's objects, made by the owner, and for an
    "own" row also the caller's own."""
    rule = POLICY[action]
    yield walk.theirs, walk.owner.pk
    if rule.own_role is not None and caller.own and any(p in AUTHORED for p in operation.params):
        yield {**walk.theirs, **caller.own}, caller.user.pk


def test_every_api_operation_answers_each_actor_as_the_policy_says(walk: Walk) -> None:
    wrong: list[str] = []
    calls = 0
    for operation in schema_operations():
        _, action = action_of(operation)
        if action is NOT_WORKSPACE_WORK:
            continue
        on_object = any(p in TEAM_OBJECTS for p in operation.params)
        for caller in walk.callers:
            for ids, made_by in _variants(operation, action, caller, walk):
                workspace_id = walk.team.pk if on_object else caller.actor.workspace_id
                if not on_object:
                    made_by = caller.user.pk  # what one makes is one's own
                refusal = decide(caller.actor, action, workspace_id=workspace_id, made_by=made_by)
                response = _call(caller.client, operation.method, operation.url(ids), caller.headers)
                calls += 1
                problem = _expected_and_met(refusal, response)
                if (
                    problem is None
                    and refusal is not None
                    and caller.actor.scopes is not None
                    and refusal.status == 403
                ):
                    code = response.json()["error"]["code"]
                    if code not in ("insufficient_scope", "session_required"):
                        problem = f"refused a token with {code}, not its scope"
                if problem is not None:
                    own = " (own)" if made_by == caller.user.pk and on_object else ""
                    wrong.append(f"{operation.method} {operation.path}{own} as {caller.name} [{action}]: {problem}")
    assert calls > 1000
    assert wrong == [], "\n".join(wrong)


def test_every_guest_operation_answers_each_link_as_the_policy_says(walk: Walk) -> None:
    wrong: list[str] = []
    guest_comments = {
        kind: Comment.objects.get(link=link, author_key_digest=reviewer_key_digest(_guest_key(kind)))
        for kind, (link, _) in walk.links.items()
    }
    owners_comment = walk.theirs["comment_id"]
    for operation in schema_operations():
        if not operation.path.startswith("/api/v1/shared/"):
            continue
        method, path, action = operation.method, operation.path, link_action(view_of(operation), operation.method)
        assert action is not None
        for kind, (link, token) in walk.links.items():
            link.refresh_from_db()
            flags = frozenset(flag for flag in ("allow_status", "allow_sessions") if getattr(link, flag))
            guest = LinkGuest(link.pk, walk.team.pk, link.permission, flags, reviewer_key_digest(_guest_key(kind)))
            own_comment = str(guest_comments[kind].pk)
            # (ids, made_by, answer before the policy): another's comment is outside the guest's thread
            # (a 404 of sight, whatever the row says); the owner's session is seen, theirs to end.
            variants: list[tuple[dict[str, str], str, Refusal | None]] = [
                ({"comment_id": own_comment, "code": walk.theirs["code"]}, "someone else", None)
            ]
            if POLICY[action].guest_own and "comment_id" in operation.params:
                variants = [
                    ({"comment_id": owners_comment}, "someone else", NOT_FOUND),
                    ({"comment_id": own_comment}, guest.key_digest, None),
                ]
            elif POLICY[action].guest_own and "code" in operation.params:
                variants.append(({"code": walk.guest_session_code}, guest.key_digest, None))
            for ids, made_by, unseen in variants:
                if "code" in operation.params and kind != "sessions":
                    continue  # the session lets only the sessions link's guests in
                refusal = unseen or decide(guest, action, workspace_id=walk.team.pk, made_by=made_by)
                headers = {"X-Reviewer-Key": _guest_key(kind)}
                response = _call(Client(), method, operation.url({"token": token, "code": "", **ids}), headers)
                problem = _expected_and_met(refusal, response)
                if problem is not None:
                    own = " (own)" if made_by == guest.key_digest else ""
                    wrong.append(f"{method} {path} by a {kind} link guest{own} [{action}]: {problem}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_form_answers_each_role_as_the_policy_says(walk: Walk, role: str) -> None:
    caller = next(c for c in walk.callers if c.name == role)
    pages = _workspace_pages({**walk.theirs, "token": walk.links["comment"][1]})
    forms = [(name, path) for name, path, methods in pages if methods is None or "POST" in methods]
    assert len(forms) > 20
    wrong = []
    for name, path in forms:
        view = resolve(path).func
        action = required_action(view, "POST")
        if action is NOT_WORKSPACE_WORK:
            continue
        refusal = decide(caller.actor, action, workspace_id=walk.team.pk, made_by=caller.user.pk)
        refused = _call(caller.client, "POST", path, {}).status_code == 403
        if refused != (refusal is not None):
            wrong.append(f"{name} as {role} [{action}]: {'refused' if refused else 'let through'}")
    assert wrong == [], "\n".join(wrong)


def _page_forms(walk: Walk) -> list[tuple[str, str, str]]:
    """(URL name, path, policy action) of every page form that is the workspace's work."""
    pages = _workspace_pages({**walk.theirs, "token": walk.links["comment"][1]})
    forms = []
    for name, path, methods in pages:
        if methods is not None and "POST" not in methods:
            continue
        action = required_action(resolve(path).func, "POST")
        if action is not NOT_WORKSPACE_WORK:
            forms.append((name, path, action))
    assert len(forms) > 20
    return forms


def _refused_by_page(response: Any) -> bool:
    """A page's refusal: 403 or 404, or (to one not signed in) the sign-in page."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("name", ["removed", "other workspace"])
def test_every_page_form_answers_those_outside_the_team_as_the_policy_says(walk: Walk, name: str) -> None:
    # A removed member's browser still signed in, and a member of another team: the team's objects
    # are out of their sight (404); what a form makes without naming one is made in their own workspace.
    caller = next(c for c in walk.callers if c.name == name)
    wrong = []
    for form, path, action in _page_forms(walk):
        on_object = any(param in TEAM_OBJECTS for param in resolve(path).kwargs)
        workspace_id = walk.team.pk if on_object else caller.actor.workspace_id
        refusal = decide(caller.actor, action, workspace_id=workspace_id, made_by=caller.user.pk)
        refused = _refused_by_page(_call(caller.client, "POST", path, {}))
        if refused != (refusal is not None):
            wrong.append(f"{form} by {name} [{action}]: {'refused' if refused else 'let through'}")
    assert wrong == [], "\n".join(wrong)


def test_no_page_form_opens_to_a_link_guest_or_an_api_token(walk: Walk) -> None:
    # Pages are the signed-in browser's: a link's guest (its page's cookie, no account) and a token's
    # bearer are sent to sign in by every member form, whatever the policy lets them do elsewhere.
    guest = Client()
    assert guest.get(share_link_path(walk.links["comment"][1])).status_code == 200
    token = next(c for c in walk.callers if c.name == "token videos:write")
    wrong = []
    for form, path, action in _page_forms(walk):
        if "token" in resolve(path).kwargs:
            continue  # the link's own pages are the guests' (their walk is the guest API's)
        for who, client, headers in (("a link guest", guest, {}), ("a token", token.client, token.headers)):
            if not _refused_by_page(_call(client, "POST", path, headers)):
                wrong.append(f"{form} by {who} [{action}]: let through")
    assert wrong == [], "\n".join(wrong)
