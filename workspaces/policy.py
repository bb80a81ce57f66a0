"""Who may do what: the role policy, written once, and the one question every door asks of it.

`POLICY` is the table: for each action on a workspace's work, the lowest role that may do it to
anyone's object, the lowest that may do it to their own (what they made), which share links'
guests may, and the scope an API token needs. `decide(actor, action, workspace_id=, made_by=)`
answers "may this actor do this to this object in this workspace" from the table alone, with the
actor explicit (`Member` with a role and, for an API token, its scopes; `LinkGuest` with its link's
permission) and the object's workspace passed in: nothing is read from the request or the `User`.
docs/api.md's role table is rendered from `POLICY` (`policy_table_markdown`; a test fails when they
differ).

What was taken from others: from django-rules, one entry point asked with a permission's name, an
actor and the object (its `has_perm(name, user, obj)`), with "is the author" as a predicate joined
to the role's by "or" (its `is_book_author | is_editor`), and its DRF mixin's map from a view's
method to a permission (our doors' `workspace_actions`). From Zulip, roles as ranked values compared
with one function, never lists of roles, and its message rule: authors act on their own, a higher
role on anyone's. Unlike django-rules the rules are data, not code, so docs/api.md's table is
rendered from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404


class Role(models.TextChoices):
    """A member's role in a workspace, lowest first: a role may do everything the roles below it may."""

    VIEWER = "viewer", "Viewer"
    COMMENTER = "commenter", "Commenter"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"


# The ladder, written once: each role's rank.
ROLE_RANK: dict[str, int] = {role: rank for rank, role in enumerate(Role.values)}

# API token scopes (accounts.models.ApiToken.Scope), named here so the table is self-contained.
READ = "read"
VIDEOS_WRITE = "videos:write"
NOTES_WRITE = "notes:write"
CHAT = "chat"
BILLING_READ = "billing:read"
SESSION_ONLY = None  # no token may: the signed-in browser only

# Share links' permissions (reviews.models.ShareLink.Permission): a guest by a link's permission.
LINK_VIEW = "view"
LINK_COMMENT = "comment"
_LINK_RANK = {LINK_VIEW: 0, LINK_COMMENT: 1}


@dataclass(frozen=True)
class Rule:
    """One row of the policy. `role`: the lowest role that may do it to anyone's object (None: to
    nobody's but their own; another's is not even seen, a 404); `own_role`:
    the lowest that may do it to what they made (None: the same as `role`); `link`: the lowest link
    permission whose guests may (None: no guest), to what they made through it when `guest_own`, on
    links that also have `link_flag` on; `scope`: what an API token needs (None: no token may)."""

    role: str | None
    description: str
    own_role: str | None = None
    link: str | None = None
    guest_own: bool = False
    link_flag: str | None = None
    scope: str | None = READ


POLICY: dict[str, Rule] = {
    # The workspace itself.
    "workspace.view": Rule(Role.VIEWER, "See the workspace, its members and its work"),
    "workspace.rename": Rule(Role.ADMIN, "Rename the workspace", scope=SESSION_ONLY),
    "workspace.manage_members": Rule(
        Role.ADMIN, "Invite, change roles, remove members (up to their own role)", scope=SESSION_ONLY
    ),
    "workspace.transfer": Rule(Role.OWNER, "Transfer ownership", scope=SESSION_ONLY),
    "workspace.audit": Rule(Role.ADMIN, "Read the audit log"),
    "workspace.billing_detail": Rule(
        Role.ADMIN, "Read the team's usage, token history, payments and receipts", scope=BILLING_READ
    ),
    # Videos, stacks, comparisons, projects.
    "video.view": Rule(Role.VIEWER, "Watch, read transcripts, search, export markers", link=LINK_VIEW),
    "video.change": Rule(
        Role.EDITOR, "Upload, compare, change, move and delete videos, stacks, projects", scope=VIDEOS_WRITE
    ),
    "recut.create": Rule(
        Role.EDITOR,
        "Recut sound laid to a comparison's v1 to its v2 (paid from the workspace's tokens)",
        scope=VIDEOS_WRITE,
    ),
    "chat.ask": Rule(
        None,
        "Chat with videos (paid from the workspace's tokens), and trash or restore one's conversations",
        own_role=Role.EDITOR,
        scope=CHAT,
    ),
    # Share links: a link's URL is a capability, shown only to who may share.
    "share_link.view": Rule(Role.VIEWER, "See a share link's name, settings and state (not its URL)"),
    "share_link.read_url": Rule(Role.EDITOR, "Read a share link's secret URL (and a session's guest URL)"),
    "share_link.manage": Rule(
        Role.EDITOR, "Create, change, revoke a share link, and rotate its token", scope=VIDEOS_WRITE
    ),
    # Comments (members' and guests').
    "comment.view": Rule(Role.VIEWER, "Read comments (a guest: their link's thread)", link=LINK_VIEW),
    "comment.create": Rule(
        Role.COMMENTER, "Comment, draw, reply, resolve and re-open", link=LINK_COMMENT, scope=VIDEOS_WRITE
    ),
    "comment.delete": Rule(
        Role.EDITOR,
        "Delete a comment (with its replies)",
        own_role=Role.COMMENTER,
        link=LINK_VIEW,
        guest_own=True,
        scope=VIDEOS_WRITE,
    ),
    "review_status.set": Rule(
        Role.COMMENTER, "Set a review status", link=LINK_COMMENT, link_flag="allow_status", scope=VIDEOS_WRITE
    ),
    "review_session.start": Rule(
        Role.COMMENTER,
        "Start and present a live review session",
        link=LINK_COMMENT,
        link_flag="allow_sessions",
        scope=VIDEOS_WRITE,
    ),
    # Notes.
    "note.view": Rule(Role.VIEWER, "Read and export notes"),
    "note.create": Rule(Role.COMMENTER, "Take a note", scope=NOTES_WRITE),
    "note.change": Rule(Role.EDITOR, "Change or delete a note", own_role=Role.COMMENTER, scope=NOTES_WRITE),
    # billing (layers): who answers for the workspace's money (its reads: `workspace.billing_detail`).
    "billing.pay": Rule(Role.ADMIN, "Buy tokens for the workspace and pay for its plan", scope=SESSION_ONLY),
    # API reads (walk): what the API's reads and private work are, so every operation is one row.
    "workspace.invitations": Rule(Role.ADMIN, "See the workspace's pending invitations"),
    "workspace.leave": Rule(Role.VIEWER, "Leave a team workspace (its owner transfers it first)", scope=SESSION_ONLY),
    "workspace.billing": Rule(Role.VIEWER, "See the wallet that pays for the workspace's work", scope=BILLING_READ),
    "upload.view": Rule(None, "See one's own upload while its parts arrive", own_role=Role.VIEWER),
    "upload.change": Rule(None, "Send, complete or cancel one's own upload", own_role=Role.EDITOR, scope=VIDEOS_WRITE),
    "chat.view": Rule(None, "Read one's own conversations and search one's messages", own_role=Role.VIEWER),
    "review_session.steer": Rule(
        Role.ADMIN,
        "Hand over or end a live session (its starter or presenter: their own)",
        own_role=Role.COMMENTER,
        link=LINK_COMMENT,
        guest_own=True,
        link_flag="allow_sessions",
        scope=VIDEOS_WRITE,
    ),
}


@dataclass(frozen=True)
class Member:
    """A signed-in person acting in `workspace_id` with `role`; through an API token, with its
    `scopes` (None: the browser session, which may do all its role may)."""

    user_id: int
    workspace_id: int
    role: str
    scopes: frozenset[str] | None = None


@dataclass(frozen=True)
class LinkGuest:
    """Whoever holds a live share link (no account): the link's workspace and permission, and the
    digest of the reviewer key their browser keeps (what marks the comments they made)."""

    link_id: int
    workspace_id: int
    permission: str
    flags: frozenset[str] = frozenset()  # the link's switches that are on: "allow_status", "allow_sessions"
    key_digest: str = ""


Actor = Member | LinkGuest


@dataclass(frozen=True)
class Refusal:
    """Why not: 404 when the object is not in the actor's sight at all, 403 with a sentence otherwise."""

    status: int
    message: str


NOT_FOUND = Refusal(404, "Not found.")

# What a role that does not reach says, by the role it takes.
_NEEDS: dict[str, str] = {
    Role.COMMENTER: "Viewers of this workspace can watch and read, not comment or take notes.",
    Role.EDITOR: "Only editors of this workspace can do this (upload, compare, chat, share).",
    Role.ADMIN: "Only admins of this workspace can do this.",
    Role.OWNER: "Only the owner of this workspace can do this.",
}


def role_refusal(role: str) -> str:
    """The sentence a member hears when `role` is what it takes."""
    return _NEEDS.get(role, "Your role in this workspace does not allow this.")


def reaches(role: str, needed: str | None) -> bool:
    """Whether `role` may do what `needed` may (None: nobody)."""
    return needed is not None and ROLE_RANK[role] >= ROLE_RANK[needed]


def decide(actor: Actor, action: str, *, workspace_id: int, made_by: int | str | None = None) -> Refusal | None:
    """None when `actor` may do `action` to an object of `workspace_id`, else why not. `made_by`: who
    made the object, a member's user id or a guest's reviewer-key digest (None: nobody in particular)."""
    rule = POLICY[action]
    if actor.workspace_id != workspace_id:
        return NOT_FOUND  # another workspace's: nothing said about it
    if isinstance(actor, LinkGuest):
        own = bool(actor.key_digest) and made_by == actor.key_digest
        if rule.link is None or _LINK_RANK[actor.permission] < _LINK_RANK[rule.link]:
            return Refusal(403, "This link does not allow this.")
        if rule.link_flag is not None and rule.link_flag not in actor.flags:
            return Refusal(403, "This link does not allow this.")
        if rule.guest_own and not own:
            # What another made through the link (a session they started): seen, not theirs to change.
            # (Another's comment is not even named: the guest's thread answers 404 before this.)
            return Refusal(403, "This link's guests may do this only to what they made.")
        return None
    if actor.scopes is not None and (rule.scope is None or rule.scope not in actor.scopes):
        if rule.scope is None:
            return Refusal(403, "API tokens cannot do this; sign in on the site instead.")
        return Refusal(403, f"This API token lacks the '{rule.scope}' scope.")
    if reaches(actor.role, rule.role):
        return None
    if rule.own_role is not None and reaches(actor.role, rule.own_role):
        if made_by is not None and made_by == actor.user_id:
            return None
        if rule.role is None:
            return NOT_FOUND  # private work (an upload, a conversation): another's is not in sight
        label = Role(actor.role).label
        return Refusal(403, f"{label}s may do this only to what they made; {_plural(rule.role)} may to anyone's.")
    return Refusal(403, role_refusal(rule.own_role or rule.role or Role.OWNER))


def may(actor: Actor, action: str, *, workspace_id: int, made_by: int | str | None = None) -> bool:
    return decide(actor, action, workspace_id=workspace_id, made_by=made_by) is None


def require(actor: Actor, action: str, *, workspace_id: int, made_by: int | str | None = None) -> None:
    """`decide`, raised: Http404 or PermissionDenied (a 403 with the refusal's sentence), which pages
    and the API answer alike."""
    refusal = decide(actor, action, workspace_id=workspace_id, made_by=made_by)
    if refusal is None:
        return
    if refusal.status == 404:
        raise Http404(refusal.message)
    raise PermissionDenied(refusal.message)


def _plural(role: str) -> str:
    return f"{Role(role).label.lower()}s and above"


# --- the table as docs/api.md shows it -------------------------------------------------------------

TABLE_START = "<!-- role table: generated from workspaces/policy.py by `manage.py policy_table --write` -->"
TABLE_END = "<!-- end of role table -->"
_ROLES = list(Role)


def _cell(rule: Rule, role: str) -> str:
    if reaches(role, rule.role):
        return "yes"
    if rule.own_role is not None and reaches(role, rule.own_role):
        return "own"
    return "—"


def _guest_cell(rule: Rule) -> str:
    if rule.link is None:
        return "—"
    permission = "any link" if rule.link == LINK_VIEW else f"`{rule.link}` link"
    if rule.link_flag is not None:
        permission += f" with `{rule.link_flag}`"
    return f"{permission}, own" if rule.guest_own else permission


def policy_table_markdown() -> str:
    """The role table docs/api.md holds between its markers: one row per action of `POLICY`."""
    head = ["Action", "`action`", *(f"`{role}`" for role in _ROLES), "link guest", "API token"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for action, rule in POLICY.items():
        scope = "session only" if rule.scope is None else f"`{rule.scope}`"
        cells = [rule.description, f"`{action}`", *(_cell(rule, role) for role in _ROLES), _guest_cell(rule), scope]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def with_policy_table(document: str) -> str:
    """`document` (docs/api.md) with the table between its markers rendered from `POLICY`."""
    before, found, rest = document.partition(TABLE_START)
    if not found:
        raise ValueError("docs/api.md has no role table marker.")
    _, found_end, after = rest.partition(TABLE_END)
    if not found_end:
        raise ValueError("docs/api.md's role table has no end marker.")
    return f"{before}{TABLE_START}\n{policy_table_markdown()}\n{TABLE_END}{after}"
