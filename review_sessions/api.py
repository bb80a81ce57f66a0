"""`/api/v1/sessions…` (members) and `/api/v1/shared/<token>/sessions…` (a link's guests): start,
list and read live review sessions, hand over and end them. What happens inside one goes over its
socket (`review_sessions.consumers`; docs/api.md, "Review sessions")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from review_sessions.frames import guest_name
from review_sessions.models import Participant, ReviewSession
from review_sessions.presenters import participants_json, session_json
from review_sessions.selectors import (
    live_sessions_for_user,
    live_sessions_of_link,
    participants_of,
    review_session_for_link,
    review_session_for_user,
)
from review_sessions.services import (
    START,
    Steerer,
    require_sessions_on,
    session_end,
    session_handover,
    session_start,
    session_start_by_guest,
)
from reviews.access import share_link_for_request
from reviews.comments import comment_rate_check, reviewer_key_digest
from reviews.comments_api import REVIEWER_KEY_HEADER
from reviews.models import ShareLink
from reviews.selectors import reviewed_object_get_for_user
from reviews.services import share_link_opened
from sage.api.errors import error_responses
from sage.api.fields import IdField, TextField
from sage.api.query import query_filters
from sage.api.schema import AutoSchema
from sage.client_address import address_bucket, client_address
from workspaces.current import acting_membership, request_actor
from workspaces.doors import NOT_WORKSPACE_WORK, WorkspaceRolePermission
from workspaces.policy import may, require

# Taking part in a review writes comments' kind of thing: the scope that writes videos' reviews.
_CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="The session's code (from its join link).")
_TOKEN = OpenApiParameter("token", str, OpenApiParameter.PATH, description="The share link's token (from its URL).")
_REVIEWER_KEY = OpenApiParameter(
    REVIEWER_KEY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="The guest's browser's reviewer key (as comments'): a guest who starts a session presents it, "
    "and their socket's hello with the same key is recognised as them.",
)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class ParticipantOutput(serializers.Serializer[Any]):
    """The schema of `participant_json`."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    guest = serializers.BooleanField(help_text="A link's guest, not a member.")
    following = serializers.BooleanField(help_text="Their page follows the presenter (false: looking around).")
    connected = serializers.BooleanField(help_text="At least one of their pages is open on the session.")
    presenter = serializers.BooleanField()


class ApartEndsOutput(serializers.Serializer[Any]):
    a = serializers.FloatField()
    b = serializers.FloatField()


class ApartOutput(serializers.Serializer[Any]):
    """The schema of `review_sessions.apart.Apart`."""

    a = serializers.FloatField(help_text="A's own time (s) at `at`.")
    b = serializers.FloatField(help_text="B's own time (s) at `at`.")
    ends = ApartEndsOutput(
        allow_null=True, help_text="Where Play stops on each (the move's end); null: played through."
    )


class StateOutput(serializers.Serializer[Any]):
    playing = serializers.BooleanField()
    position = serializers.FloatField(help_text="Seconds on the page's timeline at `at`.")
    rate = serializers.FloatField(help_text="0.25 to 4.")
    difference = serializers.IntegerField(allow_null=True, help_text="The compare page's current difference.")
    threshold = serializers.FloatField(allow_null=True)
    at = serializers.IntegerField(help_text="Server epoch milliseconds at which `position` held.")
    apart = ApartOutput(
        allow_null=True,
        help_text="The compare page's players each at its own place (a moved difference shown on both sides); "
        "null: in step along the timeline.",
    )
    seq = serializers.IntegerField(help_text="+1 per state change.")


class TargetOutput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["comparison", "video", "stack"])
    id = serializers.IntegerField()
    title = serializers.CharField()


class SessionOutput(serializers.Serializer[Any]):
    """The schema of `session_json` (which writes the data: one shape for the API and the socket)."""

    code = serializers.CharField()
    url = serializers.CharField(help_text="The members' join page.")
    guest_url = serializers.CharField(
        allow_null=True,
        help_text="The link's guests' join page, which holds the link's token: for the link's guests and members "
        "whose role may share (null for viewers and commenters, and without a link).",
    )
    target = TargetOutput()
    presenter = ParticipantOutput(allow_null=True)
    state = StateOutput()
    participants = ParticipantOutput(many=True)
    started_by_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="The session's hard limit.")
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.ChoiceField(choices=ReviewSession.EndReason.choices, allow_null=True)
    live = serializers.BooleanField()


_SESSION_LIST = inline_serializer("ReviewSessions", {"results": SessionOutput(many=True)})


def _with_guest_url(request: Request, session: ReviewSession) -> bool:
    """Whether this request may read the session's guest URL: a guest holds the link already; a
    member, when their role may read links' URLs (`share_link.read_url`)."""
    user = request.user
    if not isinstance(user, User):
        return True  # the guests' door: the link in its path is the one the URL holds
    return may(request_actor(request), "share_link.read_url", workspace_id=session.workspace_id)


def _require_steering(request: Request, session: ReviewSession) -> None:
    """The policy's `review_session.steer`, asked with whose the session is to this member: theirs
    when they started it or present it (the service asks again, under its lock)."""
    user = _user(request)
    presenter = (
        Participant.objects.filter(pk=session.presenter_id, user=user).exists() if session.presenter_id else False
    )
    made_by = user.pk if presenter or session.started_by_id == user.pk else session.started_by_id
    require(request_actor(request), "review_session.steer", workspace_id=session.workspace_id, made_by=made_by)


def _one(request: Request, session: ReviewSession, *, status_code: int = status.HTTP_200_OK) -> Response:
    fresh = ReviewSession.objects.select_related(
        "comparison__video_a", "comparison__video_b", "video", "stack", "link"
    ).get(pk=session.pk)
    body = session_json(fresh, participants_of(fresh), request=request, with_guest_url=_with_guest_url(request, fresh))
    return Response(body, status=status_code)


def _many(request: Request, sessions: Any) -> Response:
    results = [
        session_json(one, participants_of(one), request=request, with_guest_url=_with_guest_url(request, one))
        for one in sessions
    ]
    return Response({"results": results})


class SessionStartInput(serializers.Serializer[Any]):
    """What the code reads (each optional here: the service wants exactly one object); the schema
    below says exactly one."""

    comparison = IdField(required=False)
    video = IdField(required=False)
    stack = IdField(required=False)
    link = IdField(
        required=False,
        allow_null=True,
        help_text="A share link of the same object that allows sessions: its guests may join too.",
    )


def _start_schema(kind: str) -> type[serializers.Serializer[Any]]:
    fields = {
        kind: IdField(
            help_text=f"The {kind}'s id."
            if kind != "stack"
            else "The stack's id: its newest version against the one before."
        ),
        "link": IdField(
            required=False,
            allow_null=True,
            help_text="A share link of the same object that allows sessions: its guests may join too.",
        ),
    }
    return type(f"{kind.capitalize()}SessionStartInput", (serializers.Serializer,), fields)


class _BodyOfOneOf(AutoSchema):
    """Says the start body is required: drf-spectacular reads "required" from a serializer's required
    fields, and a oneOf of three (each requiring its own) has none at its top."""

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> tuple[Any, bool]:
        schema, required = super()._get_request_for_media_type(serializer, direction)  # type: ignore[no-untyped-call]
        return schema, required or isinstance(serializer, PolymorphicProxySerializer)


_START_SCHEMA = PolymorphicProxySerializer(
    component_name="SessionStartInput",
    serializers=[_start_schema(kind) for kind in ("comparison", "video", "stack")],
    resource_type_field_name=None,
)


class SessionListQuery(serializers.Serializer[Any]):
    comparison = IdField(required=False, help_text="Only the sessions of this comparison.")
    video = IdField(required=False, help_text="Only the sessions of this video.")
    stack = IdField(required=False, help_text="Only the sessions of this stack.")


class SessionsApi(APIView):
    workspace_actions = {"GET": "video.view", "POST": START}
    schema = _BodyOfOneOf()

    @extend_schema(
        parameters=[SessionListQuery],
        responses={200: _SESSION_LIST, **error_responses(400)},
        summary="The live sessions of a comparison, a video or a stack",
        description="The live sessions of the workspace, only those of the object(s) given (each filter narrows).",
        operation_id="sessions_list",
    )
    def get(self, request: Request) -> Response:
        # From the query string as the other filters read it: `?comparison=` names no id (400), it is
        # not "no filter" (DRF's rule for HTML form input).
        return _many(
            request, live_sessions_for_user(acting_membership(request), **query_filters(SessionListQuery, request))
        )

    @extend_schema(
        request=_START_SCHEMA,
        responses={201: SessionOutput, **error_responses(400, 403, 404, 409)},
        summary="Start a live review session",
        description="On a comparison, a video or a stack (its newest version against the one before). The starter "
        "presents first; join over the socket `/ws/sessions/<code>/`. Needs a commenter's role.",
    )
    def post(self, request: Request) -> Response:
        given = SessionStartInput(data=request.data)
        given.is_valid(raise_exception=True)
        _user(request)
        member = acting_membership(request)
        target = reviewed_object_get_for_user(member, given.validated_data)
        session = session_start(member=member, target=target, link_id=given.validated_data.get("link"))
        return _one(request, session, status_code=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[_CODE],
        responses={200: SessionOutput, **error_responses(404)},
        summary="A live review session (ended ones stay readable)",
        operation_id="sessions_retrieve",
    )
    def get(self, request: Request, code: str) -> Response:
        return _one(request, review_session_for_user(acting_membership(request), code))


class SessionParticipantsApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[_CODE],
        responses={200: ParticipantOutput(many=True), **error_responses(404)},
        summary="Who is in a session",
    )
    def get(self, request: Request, code: str) -> Response:
        session = review_session_for_user(acting_membership(request), code)
        return Response(participants_json(session, participants_of(session)))


class HandoverInput(serializers.Serializer[Any]):
    participant = IdField(help_text="The participant who presents next (connected, a guest or a commenter+).")


class SessionHandoverApi(APIView):
    workspace_actions = {"POST": "review_session.steer"}

    @extend_schema(
        parameters=[_CODE],
        request=HandoverInput,
        responses={200: SessionOutput, **error_responses(400, 403, 404, 409)},
        summary="Hand a session's control to another participant",
        description="By the presenter, whoever started the session, or an admin of the workspace (taking over "
        "from a presenter who is away).",
    )
    def post(self, request: Request, code: str) -> Response:
        session = review_session_for_user(acting_membership(request), code)
        _require_steering(request, session)  # before the input: a refusal says so, not what is missing
        given = HandoverInput(data=request.data)
        given.is_valid(raise_exception=True)
        session_handover(
            session_id=session.pk,
            to_participant_id=given.validated_data["participant"],
            steerer=Steerer(user=_user(request)),
        )
        return _one(request, session)


class SessionEndApi(APIView):
    workspace_actions = {"POST": "review_session.steer"}

    @extend_schema(
        parameters=[_CODE],
        request=None,
        responses={200: SessionOutput, **error_responses(403, 404)},
        summary="End a session now (again: no change)",
        description="By the presenter, whoever started the session, or an admin. Its pages hear `session.ended`.",
    )
    def post(self, request: Request, code: str) -> Response:
        session = review_session_for_user(acting_membership(request), code)
        _require_steering(request, session)
        session_end(session_id=session.pk, reason=ReviewSession.EndReason.ENDED, by=Steerer(user=_user(request)))
        return _one(request, session)


# --- guests --------------------------------------------------------------------------------------


class _GuestApi(APIView):
    """No account: the link is the capability (`reviews.access`), as the shared comments' API."""

    workspace_actions = dict.fromkeys(("GET", "POST"), NOT_WORKSPACE_WORK)  # a link's guest: the link decides
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny, WorkspaceRolePermission]

    def _link(self, request: Request, token: str) -> ShareLink:
        link = share_link_for_request(request, token)
        share_link_opened(link=link)
        return link


class GuestSessionStartInput(serializers.Serializer[Any]):
    name = TextField(max_length=60, name=True, help_text="The guest's name, as the others see it.")


class SharedSessionsApi(_GuestApi):
    link_actions = {"GET": "video.view", "POST": START}

    @extend_schema(
        parameters=[_TOKEN],
        responses={200: _SESSION_LIST, **error_responses(403, 404)},
        summary="The live sessions a link's guests may join (guest)",
        operation_id="shared_sessions_list",
    )
    def get(self, request: Request, token: str) -> Response:
        return _many(request, live_sessions_of_link(self._link(request, token)))

    @extend_schema(
        parameters=[_TOKEN, _REVIEWER_KEY],
        request=GuestSessionStartInput,
        responses={201: SessionOutput, **error_responses(400, 403, 404, 429)},
        summary="Start a live session from a link (guest)",
        description="Needs a link that allows sessions (`allow_sessions`, with comments on; else 403 "
        "`sessions_off`). Rate-limited as comments are (per link and client address; 429 with Retry-After). "
        "The guest presents first; their socket's hello carries the same reviewer key.",
    )
    def post(self, request: Request, token: str) -> Response:
        link = self._link(request, token)
        require_sessions_on(link)  # before the input: a refusal says so, not what is missing
        # Counted as a comment is (per link and address): each start writes a session and a feed entry.
        comment_rate_check(link=link, client=address_bucket(client_address(request)))
        data = request.data if isinstance(request.data, dict) else {}
        name = guest_name(data.get("name"))
        session = session_start_by_guest(link=link, name=name, reviewer_key=request.headers.get(REVIEWER_KEY_HEADER))
        return _one(request, session, status_code=status.HTTP_201_CREATED)


class SharedSessionDetailApi(_GuestApi):
    link_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[_TOKEN, _CODE],
        responses={200: SessionOutput, **error_responses(403, 404)},
        summary="A session a link's guests may join (guest)",
        operation_id="shared_sessions_retrieve",
    )
    def get(self, request: Request, token: str, code: str) -> Response:
        return _one(request, review_session_for_link(self._link(request, token), code))


class GuestSessionEndInput(serializers.Serializer[Any]):
    reviewer_key = serializers.CharField(
        required=False,
        help_text="The guest's browser's reviewer key, as the socket's hello sends it (or in the X-Reviewer-Key "
        "header, as the other guest endpoints take it).",
    )


_ENDING_KEY = OpenApiParameter(
    REVIEWER_KEY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="The guest's browser's reviewer key, when the body does not carry it as `reviewer_key`.",
)


class SharedSessionEndApi(_GuestApi):
    link_actions = {"POST": "review_session.steer"}

    @extend_schema(
        parameters=[_TOKEN, _CODE, _ENDING_KEY],
        request=GuestSessionEndInput,
        responses={200: SessionOutput, **error_responses(400, 403, 404)},
        summary="End a session for everyone (guest; again: no change)",
        description="By the guest who presents or who started the session (told by their reviewer key). Its "
        "pages hear `session.ended`. Anyone else: 403.",
        operation_id="shared_sessions_end",
    )
    def post(self, request: Request, token: str, code: str) -> Response:
        session = review_session_for_link(self._link(request, token), code)
        given = GuestSessionEndInput(data=request.data if isinstance(request.data, dict) else {})
        given.is_valid(raise_exception=True)
        key = given.validated_data.get("reviewer_key") or request.headers.get(REVIEWER_KEY_HEADER)
        steerer = Steerer(key_digest=reviewer_key_digest(key))
        session_end(session_id=session.pk, reason=ReviewSession.EndReason.ENDED, by=steerer)
        return _one(request, session)
