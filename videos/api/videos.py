"""`/api/v1/videos…`: my videos — list and search, detail, delete, add from YouTube."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sage.api.errors import error_responses
from sage.api.fields import TextField
from sage.api.query import choice_filter, query_filters, text_filter
from sage.errors import Conflict
from videos.models import Project, Video
from videos.presenters import VideoView
from videos.selectors import video_get_for_user, videos_for_user
from videos.services import RETRYABLE_STATUSES, video_add_youtube, video_cancel, video_delete, video_retry
from videos.youtube import YOUTUBE_REF_PATTERN, YouTubeError, parse_youtube_id
from workspaces.current import acting_membership


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class VideoOutput(serializers.ModelSerializer[Video]):
    # A plain string: empty when there is no outside poster (a URLField would promise a URI).
    poster_url = serializers.CharField(read_only=True, help_text="YouTube's thumbnail URL; empty when there is none.")
    stack_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The version stack it is a version of (null: none)."
    )
    version = serializers.IntegerField(read_only=True, allow_null=True, help_text="Its version number in the stack.")
    project = serializers.PrimaryKeyRelatedField[Project](
        read_only=True,
        allow_null=True,
        help_text="The project it is in (null: none, the workspace's top level). See `…/move`.",
    )

    playback = serializers.ChoiceField(
        source="playback_state",
        choices=["ready", "preparing", "failed"],
        read_only=True,
        help_text="Whether a version every browser plays exists: `ready` (play `file_url`), `preparing` "
        "(being made: ask again later), `failed` (see `rendition_error`; `original_url` still downloads).",
    )
    file_url = serializers.SerializerMethodField(
        help_text="What a player plays (H.264/AAC MP4, the original's frame count and rate), for a browser "
        "signed in to the site (the media routes take the session, not API tokens); empty until `playback` is `ready`."
    )
    frame_rate = serializers.CharField(
        source="timebase.rate_text",
        read_only=True,
        help_text='The exact frame rate, a rational: "30000/1001" (29.97), "25". Times are seconds; the frame on '
        "screen at a time t is floor((t + 0.001) × rate), and a player shows frame k best at (k + 0.5) / rate.",
    )
    small_url = serializers.SerializerMethodField(
        help_text="A 360p copy for phones and slow links (same frames, lower bitrate); empty until made."
    )
    original_url = serializers.SerializerMethodField(
        help_text="The file as uploaded, for download (`Content-Disposition: attachment`); empty for YouTube videos."
    )

    class Meta:
        model = Video
        fields = [
            "id", "title", "source", "youtube_id", "status", "stage", "percent", "duration", "width", "height",
            "fps", "frame_rate", "video_codec", "audio_codec", "has_audio", "size", "poster_url", "error_code",
            "error_message", "summary", "backends", "created_at", "ready_at", "stack_id", "version", "review_status",
            "project", "playback", "rendition_error", "file_url", "small_url", "original_url",
        ]  # fmt: skip
        read_only_fields = fields

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if url and request is not None else url

    def get_file_url(self, video: Video) -> str:
        return self._absolute(VideoView(video).file_url)

    def get_small_url(self, video: Video) -> str:
        return self._absolute(VideoView(video).small_url)

    def get_original_url(self, video: Video) -> str:
        return self._absolute(VideoView(video).original_url)


class _YouTubeRefValidator(RegexValidator):
    """YOUTUBE_REF_PATTERN, published as the field's pattern; a refusal says why the text names no
    video (not YouTube, a playlist…)."""

    def __init__(self) -> None:
        super().__init__(YOUTUBE_REF_PATTERN)

    def __call__(self, value: Any) -> None:
        try:
            parse_youtube_id(str(value))
        except YouTubeError as exc:
            raise ValidationError(str(exc), code="invalid") from None


class YouTubeInput(serializers.Serializer[Any]):
    url = TextField(
        max_length=500,
        validators=[_YouTubeRefValidator()],
        help_text="A YouTube video's id, or a link to it: watch, youtu.be, shorts, embed or live (http or https).",
    )


_VIDEO_ID = OpenApiParameter("video_id", int, OpenApiParameter.PATH, description="The video's id.")


class VideoFilter(serializers.Serializer[Any]):
    q = text_filter("Words in the title.")
    status = choice_filter(Video.Status.values, "Only videos in this state.")
    youtube_id = serializers.RegexField(
        r"^[A-Za-z0-9_-]{11}$",
        required=False,
        help_text="Only my video added from this YouTube video id (at most one): how an extension on a watch page "
        "finds it.",
        error_messages={"invalid": "A YouTube video id is 11 characters: letters, digits, - and _."},
    )
    project = serializers.RegexField(
        r"^([0-9]{1,18}|none)$",
        required=False,
        help_text="Only the videos in this project (its id), or `none`: those in no project.",
        error_messages={"invalid": "A project's id, or none."},
    )


class VideoListApi(generics.ListAPIView[Video]):
    workspace_actions = {"GET": "video.view"}
    serializer_class = VideoOutput

    def get_queryset(self) -> QuerySet[Video]:
        filters = query_filters(VideoFilter, self.request)
        videos = videos_for_user(acting_membership(self.request)).order_by("-created_at", "-pk")
        if query := filters.get("q", ""):
            videos = videos.filter(title__icontains=query)
        if wanted := filters.get("status"):
            videos = videos.filter(status=wanted)
        if youtube_id := filters.get("youtube_id"):
            videos = videos.filter(source=Video.Source.YOUTUBE, youtube_id=youtube_id)
        project = filters.get("project")
        if project == "none":
            videos = videos.filter(project__isnull=True)
        elif project is not None:
            videos = videos.filter(project_id=int(project))  # another workspace's: nothing, as it holds none here
        return videos

    @extend_schema(
        parameters=[VideoFilter],
        responses={200: VideoOutput(many=True), **error_responses(400, 404)},
        summary="My videos",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class VideoYouTubeApi(APIView):
    workspace_actions = {"POST": "video.change"}

    @extend_schema(
        request=YouTubeInput,
        responses={201: VideoOutput, 200: VideoOutput, **error_responses(400, 403)},
        summary="Add a YouTube video",
        description="Free: only the video's captions are fetched (`GET /api/v1/prices` says `youtube_video`: 0). "
        "Returns 200 with the existing video when it was added before. Playlists are refused. Follow its "
        "processing by polling the video (`status`, `stage`, `percent`).",
    )
    def post(self, request: Request) -> Response:
        payload = YouTubeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        video, created = video_add_youtube(member=acting_membership(request), url=payload.validated_data["url"])
        return Response(VideoOutput(video).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class VideoDetailApi(APIView):
    workspace_actions = {"GET": "video.view", "DELETE": "video.change"}

    @extend_schema(parameters=[_VIDEO_ID], responses={200: VideoOutput, **error_responses(404)}, summary="A video")
    def get(self, request: Request, video_id: int) -> Response:
        return Response(VideoOutput(video_get_for_user(acting_membership(request), video_id)).data)

    @extend_schema(
        parameters=[_VIDEO_ID],
        responses={204: None, **error_responses(403, 404)},
        summary="Delete a video",
        description="Removes the file from storage and everything derived from it.",
    )
    def delete(self, request: Request, video_id: int) -> Response:
        video_delete(video=video_get_for_user(acting_membership(request), video_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class VideoCancelApi(APIView):
    workspace_actions = {"POST": "video.change"}

    @extend_schema(
        request=None,
        parameters=[_VIDEO_ID],
        responses={200: VideoOutput, **error_responses(403, 404, 409)},
        summary="Cancel processing",
        description="Stops a queued or processing video and refunds the tokens held for it.",
    )
    def post(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(acting_membership(request), video_id)
        if not video_cancel(video=video):
            raise Conflict(f"Only a queued or processing video can be cancelled; this one is {video.status}.")
        return Response(VideoOutput(video).data)


class VideoRetryApi(APIView):
    workspace_actions = {"POST": "video.change"}

    @extend_schema(
        request=None,
        parameters=[_VIDEO_ID],
        responses={200: VideoOutput, **error_responses(403, 404, 409)},
        summary="Retry processing",
        description="Queues a failed or cancelled video again; the steps it finished before are not redone.",
    )
    def post(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(acting_membership(request), video_id)
        if not video_retry(video=video):
            if video.status in RETRYABLE_STATUSES:  # an upload whose file is gone
                raise Conflict("This upload's file is gone, so it cannot be processed again: upload it again.")
            raise Conflict(f"Only a failed or cancelled video can be retried; this one is {video.status}.")
        return Response(VideoOutput(video).data)
