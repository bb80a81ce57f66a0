"""`/api/v1/comparisons…`: compare two of my ready uploads, judge at another threshold, export."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken, User
from sage.api.errors import error_responses
from videos.compare.selectors import comparison_get_for_user, comparisons_for_user
from videos.compare.services import (
    MAX_THRESHOLD,
    ComparisonRefused,
    comparison_at,
    comparison_create,
    comparison_set_threshold,
    comparison_word_changes,
    segment_dicts,
)
from videos.models import Comparison
from videos.selectors import video_get_for_user

WRITE = ApiToken.Scope.VIDEOS_WRITE
_COMPARISON_ID = OpenApiParameter("comparison_id", int, OpenApiParameter.PATH, description="The comparison's id.")


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _refused(exc: ComparisonRefused) -> serializers.ValidationError:
    return serializers.ValidationError({exc.field: [exc.message]})


class ComparisonCreateInput(serializers.Serializer[Any]):
    video_a = serializers.IntegerField(min_value=1, help_text="One of my ready uploaded videos.")
    video_b = serializers.IntegerField(min_value=1, help_text="Another one.")
    metric = serializers.ChoiceField(choices=Comparison.Metric.choices, default=Comparison.Metric.COSINE)
    alignment = serializers.ChoiceField(choices=Comparison.Alignment.choices, default=Comparison.Alignment.CUTS)
    threshold = serializers.FloatField(
        required=False, min_value=0, max_value=MAX_THRESHOLD, help_text="Distance above which clips differ."
    )


class ThresholdInput(serializers.Serializer[Any]):
    threshold = serializers.FloatField(min_value=0, max_value=MAX_THRESHOLD)


class DifferenceOutput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["visual", "audio", "both", "only_a", "only_b"])
    a_start = serializers.FloatField(allow_null=True, help_text="Seconds on A.")
    a_end = serializers.FloatField(allow_null=True)
    b_start = serializers.FloatField(allow_null=True, help_text="Seconds on B.")
    b_end = serializers.FloatField(allow_null=True)
    peak = serializers.FloatField(allow_null=True, help_text="Largest distance (null when only one side has it).")
    mean = serializers.FloatField(allow_null=True)
    severity = serializers.ChoiceField(choices=["low", "medium", "high"], allow_null=True)
    first_pair = serializers.IntegerField()
    last_pair = serializers.IntegerField()


class VideoBrief(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    duration = serializers.FloatField(allow_null=True)


class ComparisonSummaryOutput(serializers.ModelSerializer[Comparison]):
    video_a = VideoBrief()
    video_b = VideoBrief()

    class Meta:
        model = Comparison
        fields = [
            "id", "video_a", "video_b", "metric", "alignment", "threshold", "similarity", "counts", "summary",
            "summary_backend", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CurveOutput(serializers.Serializer[Any]):
    a_time = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="Clip start on A.")
    b_time = serializers.ListField(child=serializers.FloatField(allow_null=True))
    visual = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="Per aligned pair.")
    audio = serializers.ListField(child=serializers.FloatField(allow_null=True))


class ComparisonOutput(ComparisonSummaryOutput):
    segments = DifferenceOutput(many=True)
    word_changes = serializers.DictField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        help_text="Per segment index: the words only A says there (`removed`) and only B says (`added`).",
    )
    curve = CurveOutput()

    class Meta(ComparisonSummaryOutput.Meta):
        fields = [*ComparisonSummaryOutput.Meta.fields, "segments", "word_changes", "curve"]
        read_only_fields = fields


def comparison_payload(comparison: Comparison, threshold: float | None = None) -> dict[str, Any]:
    """Everything about a comparison, judged at `threshold` (the stored one when None) without saving."""
    # From the row alone (clip times and word diff included): a preview reads no clip or transcript.
    result = comparison_at(comparison, threshold)
    data = dict(ComparisonSummaryOutput(comparison).data)
    if threshold is not None and threshold != comparison.threshold:
        segments = segment_dicts(result.segments)
        data.update(
            threshold=threshold,
            similarity=round(result.similarity, 2),
            counts=result.counts(),
            summary="",  # written for the stored threshold; remember this one (PATCH) for a new one
            summary_backend="",
        )
        changes = comparison_word_changes(comparison, segments)
    else:
        segments, changes = comparison.segments, comparison.word_changes
    data.update(segments=segments, word_changes=changes, curve=result.curve.as_lists())
    return data


class ComparisonListApi(generics.ListAPIView[Comparison]):
    serializer_class = ComparisonSummaryOutput
    token_scopes = {"POST": WRITE}

    def get_queryset(self) -> QuerySet[Comparison]:
        return comparisons_for_user(_user(self.request))

    @extend_schema(
        responses={200: ComparisonSummaryOutput(many=True), **error_responses(404)}, summary="My comparisons"
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ComparisonCreateInput,
        responses={201: ComparisonOutput, 200: ComparisonOutput, **error_responses(400, 403, 404)},
        summary="Compare two videos",
        description="Both must be my ready uploaded videos. The same pair with the same metric and alignment "
        "returns the stored comparison (200), judged at `threshold` when given.",
    )
    def post(self, request: Request) -> Response:
        payload = ComparisonCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        user = _user(request)
        values = payload.validated_data
        try:
            comparison, created = comparison_create(
                user=user,
                video_a=video_get_for_user(user, values["video_a"]),
                video_b=video_get_for_user(user, values["video_b"]),
                metric=values["metric"],
                alignment=values["alignment"],
                threshold=values.get("threshold"),
            )
        except ComparisonRefused as exc:
            raise _refused(exc) from None
        return Response(
            comparison_payload(comparison), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ComparisonDetailApi(APIView):
    token_scopes = {"PATCH": WRITE, "DELETE": WRITE}

    @extend_schema(
        parameters=[
            _COMPARISON_ID,
            OpenApiParameter(
                "threshold", float, description="Judge at this threshold without changing the stored one."
            ),
        ],
        responses={200: ComparisonOutput, **error_responses(400, 404)},
        summary="A comparison",
    )
    def get(self, request: Request, comparison_id: int) -> Response:
        comparison = comparison_get_for_user(_user(request), comparison_id)
        threshold = None
        if "threshold" in request.query_params:
            query = ThresholdInput(data=request.query_params)
            query.is_valid(raise_exception=True)
            threshold = query.validated_data["threshold"]
        return Response(comparison_payload(comparison, threshold))

    @extend_schema(
        parameters=[_COMPARISON_ID],
        request=ThresholdInput,
        responses={200: ComparisonOutput, **error_responses(400, 403, 404)},
        summary="Keep another threshold",
        description="Segments, counts and similarity are derived again from the stored distances.",
    )
    def patch(self, request: Request, comparison_id: int) -> Response:
        comparison = comparison_get_for_user(_user(request), comparison_id)
        payload = ThresholdInput(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            comparison_set_threshold(comparison=comparison, threshold=payload.validated_data["threshold"])
        except ComparisonRefused as exc:
            raise _refused(exc) from None
        return Response(comparison_payload(comparison))

    @extend_schema(parameters=[_COMPARISON_ID], responses={204: None, **error_responses(403, 404)}, summary="Delete")
    def delete(self, request: Request, comparison_id: int) -> Response:
        comparison_get_for_user(_user(request), comparison_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def export_json(comparison: Comparison) -> dict[str, Any]:
    data = comparison_payload(comparison)
    data["created_at"] = comparison.created_at.isoformat()
    data["updated_at"] = comparison.updated_at.isoformat()
    return data


CSV_COLUMNS = [
    "record", "kind", "severity", "a_start", "a_end", "b_start", "b_end", "peak", "mean",
    "visual_distance", "audio_distance", "words_only_in_a", "words_only_in_b",
]  # fmt: skip


def export_csv(comparison: Comparison) -> str:
    """One table: a `segment` row per difference, then a `clip` row per aligned clip pair."""
    data = comparison_payload(comparison)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for number, segment in enumerate(data["segments"]):
        words = data["word_changes"].get(str(number), {})
        writer.writerow(
            {
                "record": "segment",
                **segment,
                "words_only_in_a": " ".join(words.get("removed", [])),
                "words_only_in_b": " ".join(words.get("added", [])),
            }
        )
    curve = data["curve"]
    for a_time, b_time, visual, audio in zip(
        curve["a_time"], curve["b_time"], curve["visual"], curve["audio"], strict=True
    ):
        writer.writerow(
            {"record": "clip", "a_start": a_time, "b_start": b_time, "visual_distance": visual, "audio_distance": audio}
        )
    return out.getvalue()


class ComparisonExportApi(APIView):
    @extend_schema(
        parameters=[
            _COMPARISON_ID,
            OpenApiParameter("file_type", str, OpenApiParameter.PATH, enum=["json", "csv"], description="File type."),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="The whole report."),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="Segment rows, then clip rows."),
            **error_responses(404),
        },
        summary="Export a comparison report",
    )
    def get(self, request: Request, comparison_id: int, file_type: str) -> HttpResponse:
        comparison = comparison_get_for_user(_user(request), comparison_id)
        filename = f"comparison-{comparison.pk}.{file_type}"
        if file_type == "csv":
            response = HttpResponse(export_csv(comparison), content_type="text/csv; charset=utf-8")
        else:
            response = Response(export_json(comparison))
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
