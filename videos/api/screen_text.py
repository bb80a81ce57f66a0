"""`/api/v1/videos/{id}/screen-text` and `…/transcript.{txt,vtt}`: the text shown in my video, and
its transcript as files with that text among the said lines."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sage.api.errors import error_responses
from videos.models import ScreenTextLine
from videos.screen_text.selectors import screen_lines_for_video
from videos.screen_text.state import FAILED_MESSAGE, ScreenTextState, screen_text_state
from videos.selectors import video_get_for_user
from videos.transcript_files import ON_SCREEN, transcript_text, transcript_webvtt
from workspaces.current import acting_membership

_VIDEO_ID = OpenApiParameter("video_id", int, OpenApiParameter.PATH, description="The video's id.")
CONTENT_TYPES = {"txt": "text/plain; charset=utf-8", "vtt": "text/vtt; charset=utf-8"}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class BoxOutput(serializers.Serializer[Any]):
    left = serializers.FloatField(help_text="From the frame's left edge, as a fraction of its width (0-1).")
    top = serializers.FloatField(help_text="From the frame's top edge, as a fraction of its height (0-1).")
    width = serializers.FloatField(help_text="As a fraction of the frame's width.")
    height = serializers.FloatField(help_text="As a fraction of the frame's height.")


class ScreenLineOutput(serializers.ModelSerializer[ScreenTextLine]):
    start = serializers.FloatField(help_text="When the line appears, in seconds from the start of the video.")
    end = serializers.FloatField(help_text="When it goes.")
    text = serializers.CharField(help_text="What it says.")
    box = serializers.SerializerMethodField()
    confidence = serializers.FloatField(help_text="How sure the reader was of the text, 0-1.")

    class Meta:
        model = ScreenTextLine
        fields = ["start", "end", "text", "box", "confidence"]
        read_only_fields = fields

    @extend_schema_field(BoxOutput(allow_null=True))
    def get_box(self, line: ScreenTextLine) -> Any:
        """Where on the picture; null when not known."""
        if len(line.box) != 4:
            return None
        left, top, width, height = line.box
        return BoxOutput({"left": left, "top": top, "width": width, "height": height}).data


class ScreenTextOutput(serializers.Serializer[Any]):
    state = serializers.ChoiceField(
        choices=ScreenTextState.choices,
        help_text="`waiting` (the video is ready and its screen is about to be read, or it was processed before "
        "screens were read), `reading` (see `percent`), `done`, `failed` (see `message`), or `none` (nothing to "
        "read: a YouTube video, or one that is not ready).",
    )
    percent = serializers.IntegerField(allow_null=True, help_text="How far the reading is, while `reading`.")
    message = serializers.CharField(help_text="Why there are no lines, when `failed`; empty otherwise.")
    lines = ScreenLineOutput(many=True)


class ScreenTextApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[_VIDEO_ID],
        responses={200: ScreenTextOutput, **error_responses(404)},
        summary="The text shown in a video",
        description="Lines of text read from the video's picture (slides, titles, lower thirds, signs) with when "
        "they appear and go, where they are on the picture and the reader's confidence, in time order. The screen "
        "is read once the video is ready, without delaying it (the video's `stage` is `screen_text` meanwhile); "
        "YouTube videos are not read. The lines are searched and cited beside the transcript.",
    )
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(acting_membership(request), video_id)
        state = screen_text_state(video)
        data = {
            "state": state.value,
            "percent": video.percent if state is ScreenTextState.READING else None,
            "message": FAILED_MESSAGE if state is ScreenTextState.FAILED else "",
            "lines": screen_lines_for_video(video),
        }
        return Response(ScreenTextOutput(data).data)


class TranscriptFileApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[
            _VIDEO_ID,
            OpenApiParameter(
                "file_type", str, OpenApiParameter.PATH, enum=list(CONTENT_TYPES), description="File type."
            ),
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The transcript as plain text."),
            (200, "text/vtt"): OpenApiResponse(OpenApiTypes.STR, description="The transcript as WebVTT."),
            **error_responses(404),
        },
        summary="Download a video's transcript",
        operation_id="videos_transcript_file_retrieve",
        description="What is said and what is shown on screen, in time order; a line of text shown on screen "
        f"starts with `{ON_SCREEN}`. `transcript.txt`: the title, then a `[mm:ss] text` line each. "
        "`transcript.vtt`: WebVTT, the captions' cues and a cue for each line shown on screen.",
    )
    def get(self, request: Request, video_id: int, file_type: str) -> HttpResponse:
        video = video_get_for_user(acting_membership(request), video_id)
        body = transcript_text(video) if file_type == "txt" else transcript_webvtt(video)
        response = HttpResponse(body, content_type=CONTENT_TYPES[file_type])
        response["Content-Disposition"] = f'attachment; filename="video-{video.pk}-transcript.{file_type}"'
        return response
