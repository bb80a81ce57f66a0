"""Writes to share links: create, change, revoke, note an opening. Revoking closes the link's open
pages at once (`reviews.live`, after the commit)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from activity.services import Action, Target, Verb, activity_record, audit_record
from reviews.live import push_link_closed, push_link_updated
from reviews.models import ShareLink
from reviews.reach import live_links
from reviews.tokens import new_token, seal, token_digest
from sage.errors import Conflict, FieldInvalid, NotFound
from sage.text import NAME_BIDI_MESSAGE, has_bidi_controls
from videos.models import Comparison, Project, Video, VideoStack
from workspaces.models import Membership

NAME_MAX = 100
# `last_opened_at` says when, to the minute: a page that opens many requests writes at most once.
OPENED_RESOLUTION = timedelta(minutes=1)


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise FieldInvalid("Give the link a name.", field="name")
    if len(name) > NAME_MAX:
        raise FieldInvalid(f"At most {NAME_MAX} characters.", field="name")
    if has_bidi_controls(name):
        raise FieldInvalid(NAME_BIDI_MESSAGE, field="name")
    return name


@transaction.atomic
def share_link_create(
    *,
    member: Membership,
    shared: Comparison | Video | VideoStack | Project,
    name: str,
    permission: str = ShareLink.Permission.VIEW,
    show_owner_notes: bool = False,
    expires_at: datetime | None = None,
    password: str = "",
    allow_status: bool = False,
    allow_sessions: bool = False,
) -> tuple[ShareLink, str]:
    """A new link to `shared` (which the caller read through its ownership selector) and its token."""
    if shared.workspace_id != member.workspace_id:
        # The callers' selectors already answered 404 for anyone else; this keeps the service honest.
        raise NotFound()
    name = _clean_name(name)
    if permission not in ShareLink.Permission.values:
        raise FieldInvalid("Choose view or comment.", field="permission")
    if expires_at is not None and expires_at <= timezone.now():
        raise FieldInvalid("The expiry must be in the future.", field="expires_at")
    token = new_token()
    link = ShareLink.objects.create(
        owner=member.user,
        workspace_id=shared.workspace_id,
        comparison=shared if isinstance(shared, Comparison) else None,
        video=shared if isinstance(shared, Video) else None,
        stack=shared if isinstance(shared, VideoStack) else None,
        project=shared if isinstance(shared, Project) else None,
        name=name,
        permission=permission,
        show_owner_notes=show_owner_notes,
        allow_status=allow_status,
        allow_sessions=allow_sessions and not isinstance(shared, Project),
        expires_at=expires_at,
        password_hash=make_password(password) if password else "",
        token_digest=token_digest(token),
        token_sealed=seal(token),
    )
    _record_link(link, shared, actor=member.user, workspace_id=link.workspace_id, created=True)
    return link, token


def _shared_target(shared: Comparison | Video | VideoStack | Project) -> Target:
    if isinstance(shared, Comparison):
        return Target("comparison", shared.pk, shared.title)
    if isinstance(shared, Video):
        return Target("video", shared.pk, shared.label)
    if isinstance(shared, Project):
        return Target("project", shared.pk, shared.name)
    return Target("stack", shared.pk, shared.title)


def _record_link(
    link: ShareLink,
    shared: Comparison | Video | VideoStack | Project,
    *,
    actor: User | None,
    workspace_id: int,
    created: bool,
    action: str | None = None,
) -> None:
    target = _shared_target(shared)
    details = {"link_id": link.pk, "link_name": link.name, "permission": link.permission, "target_kind": target.kind}
    if actor is not None and actor.pk != link.owner_id:
        details["by_operator"] = True  # an operator's revocation, from the admin
    if created:
        activity_record(workspace_id=workspace_id, actor=actor, verb=Verb.SHARED, target=target, details=details)
    audit_record(
        workspace_id=workspace_id,
        actor=actor,
        action=action or (Action.LINK_CREATED if created else Action.LINK_REVOKED),
        target_label=f"{link.name} ({target.label})",
        details={**details, "target_id": target.id},
    )


@transaction.atomic
def share_link_update(
    *,
    link: ShareLink,
    permission: str | None = None,
    name: str | None = None,
    show_owner_notes: bool | None = None,
    allow_status: bool | None = None,
    allow_sessions: bool | None = None,
) -> ShareLink:
    """Change what a link allows (the owner turns comments, setting the review status or joining
    live sessions off or on) or its name. Open pages hear what they may do now (`link.updated`)."""
    changed: list[str] = []
    if permission is not None and permission != link.permission:
        if permission not in ShareLink.Permission.values:
            raise FieldInvalid("Choose view or comment.", field="permission")
        link.permission = permission
        changed.append("permission")
    if name is not None:
        name = _clean_name(name)
        if name != link.name:
            link.name = name
            changed.append("name")
    if show_owner_notes is not None and show_owner_notes != link.show_owner_notes:
        link.show_owner_notes = show_owner_notes
        changed.append("show_owner_notes")
    if allow_status is not None and allow_status != link.allow_status:
        link.allow_status = allow_status
        changed.append("allow_status")
    if allow_sessions is not None and allow_sessions != link.allow_sessions and link.project_id is None:
        link.allow_sessions = allow_sessions
        changed.append("allow_sessions")
    if changed:
        link.save(update_fields=changed)
    # Guests' open pages hear what they may do now; their open session sockets close when they may
    # no longer join (review_sessions.consumers).
    if {"permission", "allow_status", "allow_sessions"} & set(changed):
        push_link_updated(link)
    return link


@transaction.atomic
def share_link_revoke(*, link: ShareLink, by: User | None = None) -> ShareLink:
    """Revoke at once; revoking again keeps the first time. Every lookup checks `revoked_at`, so the
    next request through the link is a 404, and its open pages are closed after the commit. `by`:
    the member who revoked it (None: its owner)."""
    revoked = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db(fields=["revoked_at"])
    if revoked:
        push_link_closed(link.pk)
        actor = by or link.owner
        _record_link(link, link.shared_object, actor=actor, workspace_id=link.workspace_id, created=False)
    return link


class LinkNotLive(Conflict):
    code = "link_not_live"
    default_message = "This link is revoked or expired: make a new one instead."


@transaction.atomic
def share_link_rotate(*, link: ShareLink, by: User) -> tuple[ShareLink, str]:
    """A new token (a new URL) for a live link, in one step: the old URL opens nothing from this
    commit on and its open pages close, while the link keeps its name, settings and comments. For a
    URL copied by someone who should no longer have it (a member who left, a forwarded e-mail)."""
    token = new_token()
    changed = ShareLink.objects.filter(live_links(), pk=link.pk).update(
        token_digest=token_digest(token), token_sealed=seal(token)
    )
    if not changed:
        raise LinkNotLive()
    link.refresh_from_db(fields=["token_digest", "token_sealed"])
    push_link_closed(link.pk)  # pages opened by the old URL; the new one's guests open again
    _record_link(
        link,
        link.shared_object,
        actor=by,
        workspace_id=link.workspace_id,
        created=False,
        action=Action.LINK_ROTATED,
    )
    return link, token


@transaction.atomic
def share_links_revoke(*, links: QuerySet[ShareLink], by: User | None = None) -> int:
    """Revoke every still-live link in `links` (operators, in bulk: `by`, who the audit log names);
    returns how many were revoked."""
    live = list(links.filter(revoked_at__isnull=True).select_for_update().values_list("pk", flat=True))
    revoked = ShareLink.objects.filter(pk__in=live, revoked_at__isnull=True).update(revoked_at=timezone.now())
    for pk in live:
        push_link_closed(pk)
    for link in ShareLink.objects.filter(pk__in=live).select_related("owner", "comparison", "video", "stack"):
        # In the owner's workspace, where the link's own audit entries are.
        _record_link(link, link.shared_object, actor=by, workspace_id=link.workspace_id, created=False)
    return revoked


def share_link_opened(*, link: ShareLink) -> None:
    """Note that someone opened the link: one guarded UPDATE, which writes nothing when the last
    opening was under a minute ago (a page's many requests, many reviewers at once)."""
    now = timezone.now()
    recent = now - OPENED_RESOLUTION
    if link.last_opened_at is not None and link.last_opened_at > recent:
        return
    written = ShareLink.objects.filter(pk=link.pk).exclude(last_opened_at__gt=recent).update(last_opened_at=now)
    if written:
        link.last_opened_at = now
