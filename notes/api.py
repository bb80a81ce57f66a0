"""`/api/v1/videos/<ref>/notes…` and `/api/v1/notes…`: timestamped notes, for the video page and for
extensions. `<ref>` is my video's id, a YouTube video id or a (URL-encoded) YouTube link."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from notes import export
from notes.models import Note
from notes.selectors import note_get_for_user, notes_for_video, notes_search, parse_video_ref, video_for_ref
from notes.serializers import NoteCreateInput, NoteOutput, NoteUpdateInput
from notes.services import note_create, note_delete, note_update, video_for_notes
from sage.api.errors import error_responses
from sage.api.query import query_filters, text_filter
from videos.models import Video
from videos.viewing import require_view
from workspaces.current import acting_membership, request_actor
from workspaces.policy import Member, require

_REF = OpenApiParameter(
    "ref",
    str,
    OpenApiParameter.PATH,
    description="My video's id, a YouTube video id (11 characters) or a URL-encoded YouTube link.",
    examples=[OpenApiExample("A YouTube video id", value="dQw4w9WgXcQ")],
)
_NOTE_ID = OpenApiParameter("note_id", int, OpenApiParameter.PATH, description="The note's id.")
_FILE_TYPE = OpenApiParameter("file_type", str, OpenApiParameter.PATH, enum=["md", "json"], description="File type.")
_EXPORT_RESPONSES = {
    (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="A heading per video, a line per note."),
    (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="Every note, per video."),
}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _site(request: Request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _download(body: str, *, file_type: str, filename: str) -> HttpResponse:
    content_type = "text/markdown; charset=utf-8" if file_type == "md" else "application/json; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def video_notes_download(
    video: Video, notes: QuerySet[Note], *, file_type: str, site: str, actor: Member
) -> HttpResponse:
    """A video's notes and the reviewers' comments `actor` sees (the policy's `note.view` first)."""
    require_view(actor, video, "note.view")
    rendered = (
        export.video_notes_markdown(video, notes, site=site, actor=actor)
        if file_type == "md"
        else export.video_notes_json(video, notes, site=site, actor=actor)
    )
    return _download(rendered, file_type=file_type, filename=export.export_filename(video, file_type))


def all_notes_download(notes: QuerySet[Note], *, file_type: str, site: str, actor: Member) -> HttpResponse:
    """The workspace's notes `notes` (the acting workspace's), with the comments `actor` sees."""
    require(actor, "note.view", workspace_id=actor.workspace_id)
    notes = notes.select_related("video")
    if file_type == "md":
        rendered = export.notes_markdown(notes, site=site, actor=actor)
    else:
        rendered = export.notes_json(notes, site=site, actor=actor)
    return _download(rendered, file_type=file_type, filename=export.export_filename(None, file_type))


class VideoNotesApi(APIView):
    workspace_actions = {"GET": "note.view", "POST": "note.create"}

    @extend_schema(
        parameters=[_REF],
        responses={200: NoteOutput(many=True), **error_responses(404)},
        summary="A video's notes",
        tags=["notes"],
        description="In the order they come in the video. A YouTube video I have not added gives `[]`.",
    )
    def get(self, request: Request, ref: str) -> Response:
        _user(request)
        member = acting_membership(request)
        video = video_for_ref(member, parse_video_ref(ref))
        if video is None:
            return Response([])
        actor = request_actor(request)
        return Response(NoteOutput(notes_for_video(member, video), many=True, context={"actor": actor}).data)

    @extend_schema(
        parameters=[_REF],
        request=NoteCreateInput,
        responses={201: NoteOutput, **error_responses(400, 402, 403, 404)},
        summary="Add a note",
        tags=["notes"],
        description=(
            "A YouTube video I have not added yet is added. Empty `text`, with my AI-notes preference on, "
            "makes a note written from the transcript around `start` by a background task (its "
            '`ai_status` goes "waiting" (no transcript yet) → "generating" → "done" or "failed"). With a '
            "language model configured it is an AI note (`ai_generated` true): it costs `TOKEN_COST_AI_NOTE` "
            "tokens (402 without them), refunded if writing fails. Without one it is a transcript excerpt "
            "(`ai_generated` false): the transcript's own sentences, quoted, free."
        ),
    )
    def post(self, request: Request, ref: str) -> Response:
        _user(request)
        member = acting_membership(request)
        actor = request_actor(request)
        require(actor, "note.create", workspace_id=actor.workspace_id)  # before a YouTube video is added
        video_ref = parse_video_ref(ref)  # a ref that names no video is a 404 before anything is added
        if video_ref.video_id is not None:
            video_for_ref(member, video_ref)
        payload = NoteCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        video = video_for_notes(member=member, ref=video_ref)
        note = note_create(
            member=member, video=video, start=values["start"], end=values.get("end"), text=values["text"]
        )
        return Response(NoteOutput(note, context={"actor": actor}).data, status=status.HTTP_201_CREATED)


def _note_to_change(request: Request, note_id: int) -> Note:
    """Note `note_id` when the policy lets this member change it (`note.change`: a commenter their
    own, an editor anyone's): 404 for another workspace's, 403 for a note they may only read."""
    note = note_get_for_user(acting_membership(request), note_id)
    actor = request_actor(request)
    require(actor, "note.change", workspace_id=note.workspace_id, made_by=note.owner_id)
    return note


class NoteDetailApi(APIView):
    workspace_actions = {"GET": "note.view", "PATCH": "note.change", "DELETE": "note.change"}

    @extend_schema(parameters=[_NOTE_ID], responses={200: NoteOutput, **error_responses(404)}, summary="A note")
    def get(self, request: Request, note_id: int) -> Response:
        actor = request_actor(request)
        return Response(
            NoteOutput(note_get_for_user(acting_membership(request), note_id), context={"actor": actor}).data
        )

    @extend_schema(
        parameters=[_NOTE_ID],
        request=NoteUpdateInput,
        responses={200: NoteOutput, **error_responses(400, 403, 404)},
        summary="Change a note",
        description="A commenter changes only their own notes; editors and above anyone's (403 otherwise). "
        "Only the fields given change. Typing the text of an AI note still being written "
        "stops the writing and refunds it.",
    )
    def patch(self, request: Request, note_id: int) -> Response:
        note = _note_to_change(request, note_id)
        payload = NoteUpdateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        note = note_update(note=note, **payload.validated_data)
        return Response(NoteOutput(note, context={"actor": request_actor(request)}).data)

    @extend_schema(
        parameters=[_NOTE_ID],
        responses={204: None, **error_responses(403, 404)},
        summary="Delete a note",
        description="A commenter deletes only their own notes; editors and above anyone's (403 otherwise). An AI "
        "note deleted before it was written is refunded.",
    )
    def delete(self, request: Request, note_id: int) -> Response:
        note_delete(note=_note_to_change(request, note_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class NoteFilter(serializers.Serializer[Any]):
    q = text_filter("Words in the note's text or its video's title.")


class NoteListApi(generics.ListAPIView[Note]):
    workspace_actions = {"GET": "note.view"}
    serializer_class = NoteOutput

    def get_queryset(self) -> QuerySet[Note]:
        return notes_search(acting_membership(self.request), query_filters(NoteFilter, self.request).get("q", ""))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "actor": request_actor(self.request)}

    @extend_schema(
        parameters=[NoteFilter],
        responses={200: NoteOutput(many=True), **error_responses(400, 404)},
        summary="My notes",
        description="Across all my videos, newest first.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class VideoNotesExportApi(APIView):
    workspace_actions = {"GET": "note.view"}

    @extend_schema(
        parameters=[_REF, _FILE_TYPE],
        responses={**_EXPORT_RESPONSES, **error_responses(404)},
        summary="Export a video's notes",
        tags=["notes"],
        operation_id="videos_notes_export",
        description="A download: Markdown with a `[mm:ss]` link per note that opens the player there, or JSON.",
    )
    def get(self, request: Request, ref: str, file_type: str) -> HttpResponse:
        _user(request)
        member = acting_membership(request)
        video = video_for_ref(member, parse_video_ref(ref))
        if video is None:
            raise Http404("This YouTube video is not in your library, so it has no notes.")
        notes = notes_for_video(member, video)
        actor = request_actor(request)
        return video_notes_download(video, notes, file_type=file_type, site=_site(request), actor=actor)


class NotesExportApi(APIView):
    workspace_actions = {"GET": "note.view"}

    @extend_schema(
        parameters=[_FILE_TYPE],
        responses={**_EXPORT_RESPONSES, **error_responses(404)},
        summary="Export all my notes",
        operation_id="notes_export",
        description="A download: Markdown (a heading per video) or JSON.",
    )
    def get(self, request: Request, file_type: str) -> HttpResponse:
        actor = request_actor(request)
        return all_notes_download(
            notes_search(acting_membership(request)), file_type=file_type, site=_site(request), actor=actor
        )
