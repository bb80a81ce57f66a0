"""`/api/v1/videos/{id}/transcript`, `…/subtitles` and `/api/v1/search`: the words of my videos."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sage.api.errors import error_responses
from sage.api.fields import IdField, TextField
from sage.errors import Conflict
from videos.models import Transcript, TranscriptChunk, TranscriptSegment
from videos.search import search_quotes
from videos.selectors import transcript_for_video, video_get_for_user
from videos.services import video_set_subtitles
from videos.timed_text import words_from_json
from videos.transcripts.languages import OTHER_LANGUAGE_NOTICE, OTHER_LANGUAGE_REMEDY
from workspaces.current import acting_membership

_VIDEO_ID = OpenApiParameter("video_id", int, OpenApiParameter.PATH, description="The video's id.")
# Each result's sentences are embedded at search time (~8 a result).
SEARCH_LIMIT_MAX = 20


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class WordOutput(serializers.Serializer[Any]):
    start = serializers.FloatField(help_text="Seconds from the start of the video (to 0.01 s).")
    end = serializers.FloatField()
    text = serializers.CharField(help_text="The word as recognised, with its punctuation.")
    probability = serializers.FloatField(help_text="How sure the recogniser was of the word, 0-1.")


class SegmentOutput(serializers.ModelSerializer[TranscriptSegment]):
    low_confidence = serializers.BooleanField(
        help_text="Speech recognition was unsure of this line: expect wrong words (summaries and answers leave "
        "such lines out or say they are uncertain)."
    )
    words = serializers.SerializerMethodField()

    class Meta:
        model = TranscriptSegment
        fields = ["start", "end", "text", "low_confidence", "words"]
        read_only_fields = fields

    @extend_schema_field(WordOutput(many=True, allow_null=True))
    def get_words(self, segment: TranscriptSegment) -> Any:
        """Each recognised word with its time; null for subtitles and captions (they have no word times)."""
        words = words_from_json(segment.words)
        return WordOutput(words, many=True).data if words else None


class TranscriptOutput(serializers.ModelSerializer[Transcript]):
    language = serializers.CharField(
        help_text="The spoken language (ISO 639-1, e.g. `en`) where the source says or speech recognition "
        "detected it; empty when unknown."
    )
    low_confidence = serializers.BooleanField(
        help_text="The transcript is uncertain as a whole: most of its speech is in low-confidence lines "
        "(or it was made by the older offline recogniser, `pocketsphinx`)."
    )
    other_language = serializers.BooleanField(
        help_text="Someone speaks, in a language the configured speech model does not know (the default model "
        "knows only English): `segments` is empty and `notice` says what to set."
    )
    notice = serializers.SerializerMethodField()
    segments = serializers.SerializerMethodField()

    class Meta:
        model = Transcript
        fields = ["source", "language", "low_confidence", "other_language", "notice", "text", "segments"]
        read_only_fields = fields

    def get_notice(self, transcript: Transcript) -> str:
        """What a person is told instead of lines, when the speech is in another language; else empty."""
        return f"{OTHER_LANGUAGE_NOTICE} {OTHER_LANGUAGE_REMEDY}" if transcript.other_language else ""

    @extend_schema_field(SegmentOutput(many=True))
    def get_segments(self, transcript: Transcript) -> Any:
        return SegmentOutput(transcript.segments.order_by("index"), many=True).data


class TranscriptApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[_VIDEO_ID],
        responses={200: TranscriptOutput, **error_responses(404, 409)},
        summary="A video's transcript",
        description="Lines (`segments`) with start/end seconds, and the full text. `source` says where it came "
        "from: `sidecar` (a subtitle file sent with the video), `stream` (a subtitle track in it), `youtube` "
        "(YouTube's captions), `gemini`, `whisper` (offline speech recognition), `pocketsphinx` (the older "
        "offline recogniser, on videos transcribed before Whisper) or `none` (nobody speaks); `other_language` "
        "marks speech in a language the speech model does not know (no lines). Speech "
        "recognition gives each line its `words` with their times and marks lines it was unsure of "
        "`low_confidence`. 409 while the transcript is still being made.",
    )
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(acting_membership(request), video_id)
        transcript = transcript_for_video(video)
        if transcript is None:
            raise Conflict("This video has no transcript yet: it is made while the video is processed.")
        return Response(TranscriptOutput(transcript).data)


class SubtitlesInput(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="An .srt or .vtt file.")


class SubtitlesApi(APIView):
    workspace_actions = {"PUT": "video.change"}
    parser_classes = [MultiPartParser]

    @extend_schema(
        parameters=[_VIDEO_ID],
        request={"multipart/form-data": SubtitlesInput},
        responses={204: None, **error_responses(400, 403, 404, 409)},
        summary="Send a subtitle file for a video",
        description="An .srt or .vtt file used as the transcript. Send it before completing the upload "
        "(or while the video waits in the queue); once the transcript is made it is refused with 409.",
    )
    def put(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(acting_membership(request), video_id)
        payload = SubtitlesInput(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        video_set_subtitles(video=video, data=upload.read(), filename=upload.name or "")
        return Response(status=204)


class SearchInput(serializers.Serializer[Any]):
    q = TextField(max_length=500, help_text="A question or phrase.")
    limit = serializers.IntegerField(min_value=1, max_value=SEARCH_LIMIT_MAX, default=10, required=False)
    video = IdField(required=False, help_text="Only this video's moments.")


class WindowOutput(serializers.Serializer[Any]):
    start = serializers.FloatField(help_text="Seconds from the start of the video.")
    end = serializers.FloatField()
    text = serializers.CharField()


class MomentOutput(serializers.Serializer[Any]):
    video_id = serializers.IntegerField()
    video_title = serializers.CharField(source="moment.video_title")
    start = serializers.FloatField(
        help_text="When the sentence that answers starts, in seconds from the start of the video."
    )
    end = serializers.FloatField(help_text="When that sentence ends.")
    text = serializers.CharField(help_text="The sentence that answers, or the line of text shown on screen.")
    kind = serializers.ChoiceField(
        choices=TranscriptChunk.Kind.choices,
        help_text="`said` (a sentence of the transcript) or `shown` (a line of text on screen from `start` to `end`).",
    )
    low_confidence = serializers.BooleanField(help_text="The speech recogniser was unsure of the sentence's words.")
    score = serializers.FloatField(
        source="moment.score", help_text="Cosine similarity of the question and the passage found, 1 = same meaning."
    )
    passage = WindowOutput(source="moment", help_text="The ~40 s of transcript the sentence was found in.")


class SearchApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[SearchInput],
        responses={200: MomentOutput(many=True), **error_responses(400, 404)},
        summary="Search my videos' transcripts",
        description=(
            "The sentences of my videos' transcripts that answer `q`, best first, each with when it is "
            "said and the passage around it. Passages not close enough in meaning are left out, so an "
            "unrelated question gets an empty list."
        ),
    )
    def get(self, request: Request) -> Response:
        payload = SearchInput(data=request.query_params.dict())  # as JSON: `?video=` is not "no video"
        payload.is_valid(raise_exception=True)
        member = acting_membership(request)
        video_id = payload.validated_data.get("video")
        video = video_get_for_user(member, video_id) if video_id else None
        quotes = search_quotes(member, payload.validated_data["q"], limit=payload.validated_data["limit"], video=video)
        return Response(MomentOutput(quotes, many=True).data)
