"""Recording what happened: `activity_record` for the workspace's feed, `audit_record` for its audit
log. Each action's own service calls one of them where it commits, in one line.

Recording never breaks the action it records. It runs inside the caller's transaction where there is
one, so an action that is undone (an error, a lost race, a rollback) leaves no event behind, and one
that commits cannot lose its event. The insert is wrapped in a savepoint: if writing the row fails
(a bad label, a database refusal), only the savepoint is rolled back and logged, and the caller's
transaction goes on as if nothing had been recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User
from activity.models import ActivityEvent, AuditEntry
from sage.client_address import client_address, current_client_address

logger = logging.getLogger(__name__)

Verb = ActivityEvent.Verb
Action = AuditEntry.Action

_LABEL_MAX = 200


@dataclass(frozen=True)
class Target:
    """What an event is about, as it is named now: "video" 12 "Cut 3 (v2)"."""

    kind: str
    id: object
    label: str


def _shortened(text: str, limit: int = _LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def activity_record(
    *,
    workspace_id: int,
    actor: User | None,
    verb: str,
    target: Target,
    details: dict[str, Any] | None = None,
    actor_name: str = "",
) -> ActivityEvent | None:
    """Add an event to `workspace_id`'s feed. `actor` None is a guest on a share link, named by
    `actor_name` (a guest's name as they gave it). Returns None if it could not be recorded."""
    try:
        with transaction.atomic():  # a savepoint inside the caller's transaction (see the module)
            return ActivityEvent.objects.create(
                workspace_id=workspace_id,
                actor_id=actor.pk if actor is not None else None,
                actor_name=_shortened(actor_name or (actor.name if actor is not None else "") or "Someone", 150),
                verb=verb,
                target_kind=target.kind,
                target_id=str(target.id),
                target_label=_shortened(target.label),
                details=details or {},
            )
    except Exception:
        logger.exception("activity event %s on %s %s not recorded", verb, target.kind, target.id)
        return None


def audit_record(
    *,
    workspace_id: int | None,
    actor: User | None,
    action: str,
    target_label: str,
    details: dict[str, Any] | None = None,
    request: HttpRequest | Request | None = None,
) -> AuditEntry | None:
    """Add an entry to the audit log (`workspace_id` None: a site-wide action). The client's address
    is the given request's, else the one of the request being served, if any (none in a task).
    Returns None if it could not be recorded."""
    address = client_address(request) if request is not None else current_client_address()
    try:
        with transaction.atomic():  # a savepoint inside the caller's transaction (see the module)
            return AuditEntry.objects.create(
                workspace_id=workspace_id,
                workspace_name=_workspace_name(workspace_id),
                actor_id=actor.pk if actor is not None else None,
                actor_email=actor.email if actor is not None else "",
                action=action,
                target_label=_shortened(target_label),
                details=details or {},
                client_address=address if address != "unknown" else None,
            )
    except Exception:
        logger.exception("audit entry %s (%s) not recorded", action, target_label)
        return None


def _workspace_name(workspace_id: int | None) -> str:
    if workspace_id is None:
        return ""
    # The workspace's model by the column that names it: workspaces sits above activity (it records here).
    workspaces = AuditEntry._meta.get_field("workspace").related_model
    assert workspaces is not None and not isinstance(workspaces, str)
    return workspaces._default_manager.filter(pk=workspace_id).values_list("name", flat=True).first() or ""
