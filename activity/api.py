"""`/api/v1/activity`: the acting workspace's activity feed, newest first, page by page by cursor
(any member); `/api/v1/audit`: its audit log, filtered (its admins and owner only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from activity.models import ActivityEvent, AuditEntry
from activity.presenters import event_sentence
from activity.selectors import (
    FEED_PAGE_MAX,
    FEED_PAGE_SIZE,
    AuditFilters,
    Cursor,
    activity_for_workspace,
    audit_for_workspace,
)
from sage.api.errors import ErrorSerializer, error_responses
from sage.api.fields import TextField
from sage.api.query import choice_filter, query_filters
from workspaces.current import request_actor
from workspaces.policy import require


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated ran before the handler
    return request.user


class ActivityEventOutput(serializers.ModelSerializer[ActivityEvent]):
    text = serializers.SerializerMethodField(help_text='The event as the feed reads it: "Ana uploaded Cut 3".')
    actor_id = serializers.IntegerField(
        allow_null=True, help_text="The account that acted; null for a guest on a share link or a deleted account."
    )
    actor_name = serializers.CharField(help_text="The actor's name when it happened.")
    target_label = serializers.CharField(help_text="What it was done to, named as it was then (it may be gone since).")

    class Meta:
        model = ActivityEvent
        fields = [
            "id",
            "verb",
            "text",
            "actor_id",
            "actor_name",
            "target_kind",
            "target_id",
            "target_label",
            "details",
            "created_at",
        ]
        read_only_fields = fields

    def get_text(self, event: ActivityEvent) -> str:
        return event_sentence(event)


class ActivityPageOutput(serializers.Serializer[Any]):
    next = serializers.CharField(
        allow_null=True, help_text="The `cursor` of the next (older) page; null on the page with the oldest event."
    )
    results = ActivityEventOutput(many=True)


class ActivityQuery(serializers.Serializer[Any]):
    cursor = TextField(
        required=False,
        max_length=200,
        help_text="Where to go on from: a page's `next`. Absent: the newest events.",
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=FEED_PAGE_MAX, help_text=f"Events on a page (default {FEED_PAGE_SIZE})."
    )


class ActivityApi(APIView):
    workspace_actions = {"GET": "workspace.view"}

    @extend_schema(
        parameters=[ActivityQuery],
        responses={
            200: ActivityPageOutput,
            **error_responses(400),
            404: OpenApiResponse(response=ErrorSerializer, description="No such page: a cursor this API did not give."),
        },
        summary="My workspace's activity, newest first",
        description="What members (and guests on share links) did in the workspace I act in: uploads, "
        "comparisons, comments, shares, members added and removed. Paginated by cursor: pass a page's `next` "
        "as `cursor` for the older events after it; events recorded meanwhile never shift the pages.",
    )
    def get(self, request: Request) -> Response:
        query = query_filters(ActivityQuery, request)
        before = Cursor.decode(query["cursor"]) if query.get("cursor") else None
        actor = request_actor(request)  # the workspace this request acts in, read once
        page = activity_for_workspace(actor.workspace_id, before=before, limit=query.get("limit", FEED_PAGE_SIZE))
        body = {"next": page.next.encode() if page.next else None, "results": page.events}
        return Response(ActivityPageOutput(body).data)


class AuditEntryOutput(serializers.ModelSerializer[AuditEntry]):
    actor_id = serializers.IntegerField(allow_null=True, help_text="The account that acted; null once deleted.")
    actor_email = serializers.CharField(help_text="The actor's address when it happened; empty for the site's own.")

    class Meta:
        model = AuditEntry
        # Not the client's address: operators see it in the admin; a workspace's admins have no need
        # to know where their colleagues connect from.
        fields = ["id", "action", "actor_id", "actor_email", "target_label", "details", "created_at"]
        read_only_fields = fields


class AuditQuery(serializers.Serializer[Any]):
    action = choice_filter(AuditEntry.Action.values, "Only entries of this action.")
    actor = TextField(required=False, allow_blank=True, max_length=254, help_text="Part of the actor's e-mail address.")
    since = serializers.DateField(required=False, help_text="From this day (UTC), included.")
    until = serializers.DateField(
        required=False, help_text="To this day (UTC), included (before `since`: no entries, as asked)."
    )


class AuditApi(generics.ListAPIView[AuditEntry]):
    workspace_actions = {"GET": "workspace.audit"}
    serializer_class = AuditEntryOutput

    def get_queryset(self) -> QuerySet[AuditEntry]:
        actor = request_actor(self.request)
        require(actor, "workspace.audit", workspace_id=actor.workspace_id)  # anyone else: a 403 saying who may
        return audit_for_workspace(actor.workspace_id, AuditFilters(**query_filters(AuditQuery, self.request)))

    @extend_schema(
        parameters=[AuditQuery],
        responses={
            200: AuditEntryOutput(many=True),
            **error_responses(400),
            403: OpenApiResponse(
                response=ErrorSerializer,
                description="Not allowed: only the workspace's admins and owner read its audit log (or an API "
                "token without the `read` scope).",
            ),
            404: OpenApiResponse(response=ErrorSerializer, description="No such page: past the last one."),
        },
        summary="My workspace's audit log, newest first",
        description="Who created or revoked share links, changed roles, added or removed members, sent or "
        "revoked invitations, bought tokens, created or revoked API tokens, in the workspace I act in. "
        "Only its admins and owner may read it (403 for other members). Paginated; a page past the end is a 404.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
