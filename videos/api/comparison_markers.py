"""`/api/v1/comparisons/{id}/markers.{edl,xml,fcpxml,txt,otio,csv}`: a comparison's differences and
reviewers' comments as markers for editing programs (the writing is `videos.compare.markers`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from sage.api.errors import error_responses
from videos.api.comparisons import _COMPARISON_ID
from videos.compare.edl import NAME_LIMIT, NOTE_LIMIT
from videos.compare.markers import (
    CONTENT_TYPES,
    CSV_COLUMNS,
    MARKER_FILE_TYPES,
    MARKER_SOURCES,
    SIDES,
    comparison_markers_file,
    comparison_markers_zip,
)
from videos.compare.selectors import comparison_get_to_view
from videos.compare.timecode import DEFAULT_START, TimecodeInvalid
from videos.viewing import require_view
from workspaces.current import acting_membership, request_actor


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

    stills = serializers.BooleanField(
        default=False,
        help_text="`1`/`true`: answer a ZIP (application/zip) of the marker file and the PNG still of each "
        "comment marker's drawing as `stills/<comment id>.png`, the name the marker's note gives.",
    )
    start_timecode = serializers.CharField(
        default=DEFAULT_START,
        max_length=12,
        help_text="The timecode of the video's first frame, HH:MM:SS:FF at the video's frame rate (default "
        "01:00:00:00, where Resolve's timelines start; 00:00:00:00 for the video's own time).",
    )

    def validate_include(self, value: str) -> tuple[str, ...]:
        chosen = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        if not chosen or any(part not in MARKER_SOURCES for part in chosen):
            raise serializers.ValidationError("Name differences, comments, or both, separated by a comma.")
        return chosen


MARKERS_HELP = (
    "Every difference as a marker on one video's timeline, in frames at the video's own frame rate "
    "(15 fps at 15; 23.976, 29.97 and 59.94 as 24000/1001, 30000/1001 and 60000/1001, drop-frame timecode "
    "at 29.97 and 59.94, non-drop at every other rate; timecode wraps at 24 hours), the video's first frame "
    "at `start_timecode` (default 01:00:00:00): a range where that video has the stretch, a one-frame point "
    "where the other video's stretch was removed or inserted. A marker's name says the difference's number, "
    "kind and severity; its note where it is on the other video, the picture and sound scores and the words "
    "that changed. The timeline's name says which video. The file type is the URL's extension. "
    "`markers.edl` (Resolve EDL): CMX 3600 that DaVinci Resolve imports as timeline markers (Timelines > "
    "Import > Timeline Markers from EDL) and OpenTimelineIO reads: `TITLE:`, `FCM:`, then per marker a "
    "one-frame event, Resolve's line ` |C:<colour> |M:<name> |D:<frames>`, a `* LOC: <timecode> <colour> "
    "<name>` locator and the note as `* COMMENT:` lines; ASCII, lines of at most 80 characters ending CRLF, "
    f'the name cut to {NAME_LIMIT} characters and the note to {NOTE_LIMIT} (ending "..."). '
    "`markers.xml` (Premiere Pro): Final Cut Pro 7 XML (xmeml), a sequence holding the video with a "
    "sequence marker per difference (name, comment, in and out frames, Premiere's colour), its rate "
    "(`<timebase>` and `<ntsc>`) and timecode (drop-frame at 29.97 and 59.94). "
    "`markers.fcpxml` (Final Cut Pro): FCPXML 1.8, a marker per difference with its duration and note, "
    "the asset's `src` a relative `file:` URL of the uploaded file's name. "
    "`markers.txt` (Avid Media Composer, Markers window > Import Markers): a tab-separated line per marker, "
    "`<user> <timecode> V1 <colour> <name: note> <duration in frames>`, CRLF. "
    "`markers.otio`: the timeline as OpenTimelineIO JSON, notes in each marker's `sage` metadata. "
    "`markers.csv`: UTF-8 with a byte order mark, columns "
    + ", ".join(CSV_COLUMNS)
    + " (timecodes as in the EDL, seconds from the video's start). "
    "Reviewers' comments (`include=comments`, in the default) are orange markers named "
    '"Comment: <author>", the comment and its replies in the note. People\'s text has no bidi controls in '
    "any file, and a CSV cell that would start like a formula starts with a single quote. A comment with a "
    'drawing says "Drawing: on the review page" in its note; with `stills=1` the answer is a ZIP holding the '
    'file, whose notes say "Drawing: stills/<comment id>.png", and those stills.'
)


class ComparisonMarkersApi(APIView):
    workspace_actions = {"GET": "video.view"}

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
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="The markers as a CMX 3600 EDL (`edl`) or Avid marker text (`txt`)."
            ),
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.STR, description="The markers as FCPXML (`fcpxml`) or FCP7 XML (`xml`)."
            ),
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.STR, description="The timeline as OpenTimelineIO JSON (`otio`)."
            ),
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="`stills=1`: the marker file and the drawings' stills."
            ),
            **error_responses(400, 404),
        },
        summary="Export the differences as markers for an editing program",
        description=MARKERS_HELP,
    )
    def get(self, request: Request, comparison_id: int, file_type: str) -> HttpResponse:
        comparison = comparison_get_to_view(acting_membership(request), comparison_id)  # the shared sample too
        actor = request_actor(request)
        require_view(actor, comparison)
        query = MarkersInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        side = query.validated_data["side"]
        include = query.validated_data["include"]
        filename = f"comparison-{comparison.pk}-markers-{side}.{file_type}"
        options: dict[str, Any] = {
            "actor": actor,
            "side": side,
            "file_type": file_type,
            "include": include,
            "start_timecode": query.validated_data["start_timecode"],
        }
        try:
            if query.validated_data["stills"]:
                archive = comparison_markers_zip(comparison, filename=filename, **options)
                response = HttpResponse(archive, content_type="application/zip")
                filename = f"comparison-{comparison.pk}-markers-{side}-{file_type}-stills.zip"
            else:
                body = comparison_markers_file(comparison, **options)
                response = HttpResponse(body, content_type=CONTENT_TYPES[file_type])  # type: ignore[index]
        except TimecodeInvalid as exc:
            # The rate is the video's: only here is it known whether a frame number fits a second.
            raise serializers.ValidationError({"start_timecode": [str(exc)]}) from exc
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
