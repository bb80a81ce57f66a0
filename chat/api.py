"""`/api/v1/conversations…` and `/api/v1/messages/search`: chat for extensions and scripts.

Users authenticate as for the rest of the API; guests send `X-Guest-Session-ID` (or carry the guest
cookie). Asking (`POST …/messages`) answers with the whole answer as JSON, or as Server-Sent Events
with `Accept: text/event-stream`. Either way the response streams from the event loop, so a long
answer never holds one of the server's threads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.guests import GUEST_HEADER, Viewer, viewer_from_request, viewer_remember
from chat import admission, live, selectors, services
from chat.models import Conversation, Message
from sage.api.errors import SERVER_ERROR_MESSAGE, error_responses
from sage.api.fields import ClientIdField, IdField, TextField
from sage.api.query import query_filters, text_filter
from sage.availability import unavailability
from videos.selectors import video_get_for_user
from videos.text_embedding.model import embed_query
from workspaces.current import acting_membership, acting_workspace_id, request_actor
from workspaces.doors import WorkspaceRolePermission
from workspaces.policy import require
from workspaces.token_scopes import TokenScopePermission

logger = logging.getLogger(__name__)

SEARCH_LIMIT_MAX = 50
_CONVERSATION_ID = OpenApiParameter("conversation_id", int, OpenApiParameter.PATH, description="The conversation's id.")
_GUEST = OpenApiParameter(
    GUEST_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="For guests (no account): a UUID naming the guest's session.",
)


class EventStreamRenderer(BaseRenderer):
    """Lets a client ask for `text/event-stream`. Answers stream through StreamingHttpResponse and
    errors are switched back to JSON (`finalize_response`), so this renders only as a last resort."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return f"event: error\ndata: {json.dumps(data)}\n\n".encode()


# Guests may chat: no account is needed, the viewer is a user or a guest id. Members and their tokens
# are asked the policy's `chat.view` and `chat.ask` (their own conversations; asking is an editor's).
GUESTS_WELCOME = [AllowAny, TokenScopePermission, WorkspaceRolePermission]


class CitationOutput(serializers.Serializer[Any]):
    video_id = serializers.IntegerField()
    start = serializers.FloatField(help_text="Seconds from the start of the video.")
    end = serializers.FloatField()
    text = serializers.CharField(help_text="The quoted transcript passage, plain text.")


class MessageOutput(serializers.ModelSerializer[Message]):
    citations = serializers.SerializerMethodField()
    reply_to = serializers.IntegerField(source="reply_to_id", allow_null=True, read_only=True)
    error = serializers.CharField(source="error_message", read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "role",
            "content",
            "status",
            "citations",
            "cost",
            "client_id",
            "reply_to",
            "error",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CitationOutput(many=True))
    def get_citations(self, message: Message) -> Any:
        return message.citations


class ConversationOutput(serializers.ModelSerializer[Conversation]):
    video = serializers.IntegerField(source="video_id", allow_null=True, read_only=True, help_text="Null: the library.")
    video_title = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = ["id", "title", "video", "video_title", "created_at", "updated_at", "deleted_at"]
        read_only_fields = fields

    def get_video_title(self, conversation: Conversation) -> str | None:
        return conversation.video.title if conversation.video else None


class ConversationInput(serializers.Serializer[Any]):
    video = IdField(required=False, allow_null=True, help_text="One of my videos; omit for my whole library.")


class MessageInput(serializers.Serializer[Any]):
    text = TextField(
        trim_whitespace=False,
        error_messages={"blank": "Type a question first: the message is empty."},
        help_text="The question.",
    )
    client_id = ClientIdField(
        help_text="Your id for this question: sending it again returns the first answer, charged once.",
    )


class AnswerOutput(serializers.Serializer[Any]):
    question = MessageOutput()
    answer = MessageOutput()


def _viewer(request: Request, *, create_guest: bool = False) -> Viewer:
    """The asker: a guest, or a member in the workspace the request acts in."""
    viewer = viewer_from_request(request, create_guest=create_guest)
    return viewer if viewer.user is None else replace(viewer, workspace_id=acting_workspace_id(request))


def _conversation(
    request: Request, viewer: Viewer, conversation_id: int, *, include_deleted: bool = False
) -> Conversation:
    """The viewer's conversation, asked of the policy with its author for a member (`chat.view` to
    read, `chat.ask` to change: one's own only; the selector finds no one else's either)."""
    conversation = selectors.conversation_get_for_viewer(viewer, conversation_id, include_deleted=include_deleted)
    if viewer.user is not None:
        assert conversation.workspace_id is not None  # a member's lives in the workspace it was started in
        action = "chat.view" if request.method in ("GET", "HEAD") else "chat.ask"
        actor = request_actor(request)
        require(actor, action, workspace_id=conversation.workspace_id, made_by=conversation.owner_id)
    return conversation


class ConversationFilter(serializers.Serializer[Any]):
    q = text_filter("Words in the title.")
    deleted = serializers.BooleanField(required=False, help_text="true: list the trash (restorable) instead.")
    trash = serializers.BooleanField(required=False, help_text="The same as `deleted` (its first name).")


class ConversationListApi(generics.ListAPIView[Conversation]):
    workspace_actions = {"GET": "chat.view", "POST": "chat.ask"}
    permission_classes = GUESTS_WELCOME

    serializer_class = ConversationOutput

    def get_queryset(self) -> QuerySet[Conversation]:
        filters = query_filters(ConversationFilter, self.request)
        trash = filters.get("deleted", filters.get("trash", False))
        return selectors.conversations_for_viewer(
            _viewer(self.request), deleted=trash, title_contains=filters.get("q", "")
        )

    @extend_schema(
        parameters=[ConversationFilter, _GUEST],
        responses={200: ConversationOutput(many=True), **error_responses(400, 404)},
        summary="My conversations",
        description="Newest activity first. Paginated.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        parameters=[_GUEST],
        request=ConversationInput,
        responses={201: ConversationOutput, **error_responses(400, 403, 404, 409)},
        summary="Start a conversation",
        description="About one of my ready videos (409 `video_not_ready` for one still processing, failed or "
        "cancelled), or (without `video`) my whole library. Guests own no videos: their conversations are "
        "about nothing of theirs and get the extractive 'no transcript' answer.",
    )
    def post(self, request: Request) -> Response:
        payload = ConversationInput(data=request.data)
        payload.is_valid(raise_exception=True)
        viewer = _viewer(request, create_guest=True)
        video = None
        if (video_id := payload.validated_data.get("video")) is not None:
            if viewer.user is None:
                raise serializers.ValidationError({"video": ["Guests have no videos: sign in to chat about one."]})
            video = video_get_for_user(acting_membership(request), video_id)
        conversation = services.conversation_create(viewer=viewer, video=video)
        response = Response(ConversationOutput(conversation).data, status=status.HTTP_201_CREATED)
        viewer_remember(request, response, viewer)
        return response


class ConversationDetailApi(APIView):
    workspace_actions = {"GET": "chat.view", "DELETE": "chat.ask"}
    permission_classes = GUESTS_WELCOME

    @extend_schema(
        parameters=[_CONVERSATION_ID, _GUEST],
        responses={200: ConversationOutput, **error_responses(400, 404)},
        summary="A conversation",
        description="Conversations in the trash are found too (see `deleted_at`).",
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = _conversation(request, _viewer(request), conversation_id, include_deleted=True)
        return Response(ConversationOutput(conversation).data)

    @extend_schema(
        parameters=[_CONVERSATION_ID, _GUEST],
        responses={204: None, **error_responses(400, 403, 404)},
        summary="Move a conversation to the trash",
        description="Restorable for 30 days, then deleted for good.",
    )
    def delete(self, request: Request, conversation_id: int) -> Response:
        conversation = _conversation(request, _viewer(request), conversation_id)
        services.conversation_delete(conversation=conversation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationRestoreApi(APIView):
    workspace_actions = {"POST": "chat.ask"}
    permission_classes = GUESTS_WELCOME

    @extend_schema(
        parameters=[_CONVERSATION_ID, _GUEST],
        request=None,
        responses={200: ConversationOutput, **error_responses(400, 403, 404)},
        summary="Take a conversation out of the trash",
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = _conversation(request, _viewer(request), conversation_id, include_deleted=True)
        return Response(ConversationOutput(services.conversation_restore(conversation=conversation)).data)


_SSE_DESCRIPTION = (
    'With `Accept: text/event-stream` the answer streams as Server-Sent Events: `data: {"content": '
    '"…"}` per piece, then `data: {"message": {…}}` (the finished answer with its citations), then '
    '`data: [DONE]`. A failure mid-answer sends `data: {"error": {"code", "message"}}` before the '
    "final message."
)


class ServerSentEvent(serializers.Serializer[Any]):
    """One event of the stream, as an event-stream parser gives it."""

    data = serializers.CharField(  # type: ignore[assignment]  # a field named `data`, as the stream names it
        help_text='JSON (`{"content"}`, `{"message"}` or `{"error"}`), or `[DONE]`.'
    )
    event = serializers.CharField(required=False, help_text="Unset: every event is a plain `message` event.")


class MessageListApi(APIView):
    workspace_actions = {"GET": "chat.view", "POST": "chat.ask"}
    permission_classes = GUESTS_WELCOME

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def get_renderers(self) -> list[BaseRenderer]:
        # Only asking streams; the list is JSON whatever the client accepts. The schema names the
        # event stream on the success response alone (errors are JSON), so it is not listed for it.
        if self.request.method != "POST" or getattr(self, "swagger_fake_view", False):
            return [JSONRenderer()]
        return super().get_renderers()

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and isinstance(response.accepted_renderer, EventStreamRenderer):
            # An error before the stream began (400, 402, 404, 429…) is an ordinary JSON error.
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(
        parameters=[_CONVERSATION_ID, _GUEST],
        responses={200: MessageOutput(many=True), **error_responses(400, 404)},
        summary="A conversation's messages",
        description="Oldest first. An answer still being written has `status: streaming` and its text so far.",
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = _conversation(request, _viewer(request), conversation_id, include_deleted=True)
        messages = selectors.messages_for_conversation(conversation).select_related("reply_to")
        return Response(MessageOutput(messages, many=True).data)

    @extend_schema(
        parameters=[_CONVERSATION_ID, _GUEST],
        request=MessageInput,
        responses={
            (201, "application/json"): OpenApiResponse(AnswerOutput, description="The question and its whole answer."),
            (201, "text/event-stream"): OpenApiResponse(ServerSentEvent, description=_SSE_DESCRIPTION),
            200: OpenApiResponse(
                AnswerOutput, description="A replayed `client_id`: the first answer, not charged again."
            ),
            **error_responses(400, 402, 403, 404, 409, 429, 503),
        },
        summary="Ask a question",
        description="Costs the configured tokens per answer (refunded if it fails) and counts against today's "
        "chat quota. One answer at a time per conversation (409 while one is being written). A few answers are "
        "written at once per account (more: 429 `too_many_answers`) and per server (more: 503 `busy`); both "
        "say when to ask again in `Retry-After`, and cost nothing. " + _SSE_DESCRIPTION,
    )
    def post(self, request: Request, conversation_id: int) -> Response | StreamingHttpResponse:
        viewer = _viewer(request)
        conversation = _conversation(request, viewer, conversation_id)
        payload = MessageInput(data=request.data)
        payload.is_valid(raise_exception=True)
        # Before paying: a question refused for want of room (429 for this account, 503 for this
        # process) costs nothing.
        let_in = admission.admit(viewer)
        try:
            start = services.answer_begin(
                viewer=viewer,
                conversation=conversation,
                text=payload.validated_data["text"],
                client_id=payload.validated_data.get("client_id", ""),
            )
        except services.ChatInputError as error:
            let_in.release()
            raise serializers.ValidationError({"text": [error.message]}) from None
        except BaseException:
            let_in.release()
            raise
        wants_events = isinstance(request.accepted_renderer, EventStreamRenderer)
        if start.replayed:
            let_in.release()
            if wants_events:
                return _event_stream(_replayed_events(start.answer.pk))
            body = AnswerOutput({"question": start.question, "answer": start.answer}).data
            return Response(body, status=status.HTTP_200_OK)
        job = live.answer_job(start)
        if wants_events:
            events = _answer_events(job, let_in)
            let_in.release_when_dropped(events)
            return _event_stream(events)
        whole = _answer_json(job, let_in)
        let_in.release_when_dropped(whole)
        return StreamingHttpResponse(whole, status=status.HTTP_201_CREATED, content_type="application/json")


def _event_stream(events: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must pass each event on as it comes
    return response


def _event(data: Any) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


def _load(message_id: int) -> dict[str, Any]:
    return dict(MessageOutput(Message.objects.select_related("reply_to").get(pk=message_id)).data)


async def _answer_events(job: live.AnswerJob, let_in: admission.Admission) -> AsyncIterator[bytes]:
    # The response has begun (200): whatever fails from here is said in the stream, which always
    # ends with `[DONE]`, and never escapes into the server (which would not close the response).
    try:
        async with let_in.turn():
            async for frame in live.stream_answer(job):
                if frame["type"] == "chunk":
                    yield _event({"content": frame["text"]})
                elif frame["type"] == "error":
                    yield _event({"error": {"code": frame["code"], "message": frame["message"]}})
        yield _event({"message": await live.db(_load)(job.answer_id)})
    except Exception as error:
        logger.warning("answer %s: the event stream ended early", job.answer_id, exc_info=True)
        yield _event({"error": _stream_failure(error)})
    finally:
        await let_in.arelease()
    yield b"data: [DONE]\n\n"


def _stream_failure(error: Exception) -> dict[str, str]:
    problem = unavailability(error)
    if problem is not None:
        return {"code": problem.code, "message": problem.message}
    return {"code": "server_error", "message": SERVER_ERROR_MESSAGE}


async def _replayed_events(answer_id: int) -> AsyncIterator[bytes]:
    try:
        message = await live.db(_load)(answer_id)
    except Exception as error:
        yield _event({"error": _stream_failure(error)})
    else:
        if message["content"]:
            yield _event({"content": message["content"]})
        yield _event({"message": message})
    yield b"data: [DONE]\n\n"


async def _answer_json(job: live.AnswerJob, let_in: admission.Admission) -> AsyncIterator[bytes]:
    # Written on the event loop, then sent whole: the JSON body is the finished answer.
    try:
        async with let_in.turn():
            await live.drain(live.stream_answer(job))
        question, answer = await live.db(_load)(job.question_id), await live.db(_load)(job.answer_id)
    except Exception as error:
        logger.warning("answer %s: the answer could not be read back", job.answer_id, exc_info=True)
        yield json.dumps({"error": {**_stream_failure(error), "fields": {}}}).encode()
        return
    finally:
        await let_in.arelease()
    yield json.dumps({"question": question, "answer": answer}).encode()


class MessageSearchInput(serializers.Serializer[Any]):
    q = TextField(max_length=500, help_text="What the message was about.")
    limit = serializers.IntegerField(min_value=1, max_value=SEARCH_LIMIT_MAX, default=10, required=False)


class MessageHitOutput(serializers.Serializer[Any]):
    conversation = serializers.IntegerField(source="message.conversation_id")
    conversation_title = serializers.CharField(source="message.conversation.title")
    message = MessageOutput()
    score = serializers.FloatField(help_text="Cosine similarity, 1 = same meaning.")


class MessageSearchApi(APIView):
    workspace_actions = {"GET": "chat.view"}
    permission_classes = GUESTS_WELCOME

    @extend_schema(
        parameters=[MessageSearchInput, _GUEST],
        responses={200: MessageHitOutput(many=True), **error_responses(400)},
        summary="Search my past messages",
        description=(
            "My questions and answers (outside the trash) closest in meaning to `q`, best first; "
            "messages too far from it in meaning are left out, so an unrelated query finds nothing."
        ),
    )
    def get(self, request: Request) -> Response:
        payload = MessageSearchInput(data=request.query_params.dict())  # as JSON: `?limit=` is not "no limit"
        payload.is_valid(raise_exception=True)
        query = payload.validated_data["q"].strip()  # a NUL or a lone surrogate was refused (400)
        if not query:
            return Response([])
        hits = selectors.search_my_messages(
            _viewer(request), embed_query(query), limit=payload.validated_data.get("limit", 10)
        )
        return Response(MessageHitOutput(hits, many=True).data)
