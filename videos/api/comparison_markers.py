"""`/api/v1/comparisons/{id}/markers.{csv,edl,fcpxml}`: a comparison's differences and reviewers'
comments as markers for editing programs (the writing is `videos.compare.markers`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from sage.api.errors import error_responses
from videos.api.comparisons import _COMPARISON_ID, _user
from videos.compare.markers import (
    CONTENT_TYPES,
    CSV_COLUMNS,
    MARKER_FILE_TYPES,
    MARKER_SOURCES,
    SIDES,
    comparison_markers_file,
)
from videos.compare.selectors import comparison_get_to_view


class MarkersInput(serializers.Serializer[Any]):
    side = serializers.ChoiceField(
        choices=SIDES,
        default="b",
        help_text="Whose timeline the markers sit on: `b` (the default, the new cut) or `a`.",
    )
    include = serializers.CharField(
        default=",".join(MARKER_SOURCES),
        help_text="What becomes markers, comma-separated: `differences`, `comments` (reviewers' comment threads "
        "on that side, from the share links), or both (the default).",
    )

    def validate_include(self, value: str) -> tuple[str, ...]:
        chosen = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        if not chosen or any(part not in MARKER_SOURCES for part in chosen):
            raise serializers.ValidationError("Name differences, comments, or both, separated by a comma.")
        return chosen


MARKERS_HELP = (
    "Every difference as a marker on one video's timeline, at its frame rate (the nearest standard "
    "timecode rate), timecode 00:00:00:00 at the video's start: a range where that video has the "
    "stretch, a one-frame point where the other video's stretch was removed or inserted. A marker's "
    "name says the difference's number, kind and severity; its note where it is on the other video, "
    "the picture and sound scores and the words that changed. The timeline's name says which video. "
    "`markers.edl`: CMX 3600, non-drop-frame timecode, a `* LOC:` line per marker (DaVinci Resolve, "
    "Avid; upper case, name and note on one line). `markers.fcpxml`: Final Cut Pro XML 1.8, a marker "
    "per difference with its duration and note. `markers.csv`: columns " + ", ".join(CSV_COLUMNS) + ". "
    "Reviewers' comments (`include=comments`, in the default) are orange markers named "
    '"Comment: <author>: <start of the comment>", the whole comment and its replies in the note.'
)


class ComparisonMarkersApi(APIView):
    @extend_schema(
        parameters=[
            _COMPARISON_ID,
            OpenApiParameter(
                "file_type", str, OpenApiParameter.PATH, enum=list(MARKER_FILE_TYPES), description="File type."
            ),
            MarkersInput,
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The markers, a row each."),
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The markers as a CMX 3600 EDL."),
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.STR, description="The markers as FCPXML."),
            **error_responses(400, 404),
        },
        summary="Export the differences as markers for an editing program",
        description=MARKERS_HELP,
    )
    def get(self, request: Request, comparison_id: int, file_type: str) -> HttpResponse:
        comparison = comparison_get_to_view(_user(request), comparison_id)  # the shared sample too
        query = MarkersInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        side = query.validated_data["side"]
        include = query.validated_data["include"]
        body = comparison_markers_file(comparison, side=side, file_type=file_type, include=include)  # type: ignore[arg-type]
        response = HttpResponse(body, content_type=CONTENT_TYPES[file_type])  # type: ignore[index]
        filename = f"comparison-{comparison.pk}-markers-{side}.{file_type}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
