"""`/api/v1/comparisons/{id}/changes` (the change list as JSON) and `changes.{edl,csv,otio,aaf}` (its
files): who may read them is who may read the comparison (`comparison_get_to_view`, the policy's
`video.view`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sage.api.errors import error_responses
from videos.api.comparisons import _COMPARISON_ID
from videos.compare.selectors import comparison_get_to_view
from videos.conform.aaf import change_aaf
from videos.conform.events import EventKind
from videos.conform.files import CSV_COLUMNS, change_csv, change_edl, change_otio
from videos.conform.rows import KIND_LABELS
from videos.conform.sheet import ChangeSheet, change_sheet, event_comments
from videos.models import Comparison
from videos.review_comments import comments_on_comparison
from videos.viewing import require_view
from workspaces.current import acting_membership, request_actor
from workspaces.policy import Actor

CHANGE_FILE_TYPES = ("edl", "csv", "otio", "aaf")
CONTENT_TYPES = {"edl": "text/plain", "csv": "text/csv", "otio": "application/json", "aaf": "application/octet-stream"}
KINDS: tuple[EventKind, ...] = tuple(KIND_LABELS)


class ChangeEventOutput(serializers.Serializer[Any]):
    number = serializers.IntegerField(help_text="1, 2, … in v2's order.")
    kind = serializers.ChoiceField(choices=KINDS)
    kind_label = serializers.CharField(help_text='The kind as the page says it: "Trimmed at head".')
    v1_in = serializers.CharField(help_text='Timecode on v1 (its own rate and start); "" for an insertion.')
    v1_out = serializers.CharField()
    v2_in = serializers.CharField(help_text="Timecode on v2; in and out are one point for what v2 no longer has.")
    v2_out = serializers.CharField()
    v1_start = serializers.FloatField(allow_null=True, help_text="Seconds on v1 (a frame edge); null: an insertion.")
    v1_end = serializers.FloatField(allow_null=True)
    v2_start = serializers.FloatField(help_text="Seconds on v2 (a frame edge).")
    v2_end = serializers.FloatField()
    v1_frame_in = serializers.IntegerField(allow_null=True, help_text="v1's frame (0: its first).")
    v1_frame_out = serializers.IntegerField(allow_null=True, help_text="The frame after the event's last.")
    v2_frame_in = serializers.IntegerField()
    v2_frame_out = serializers.IntegerField()
    duration_frames = serializers.IntegerField(help_text="Its length: on v2, or on v1 for what v2 no longer has.")
    offset_frames = serializers.IntegerField(
        help_text="v2 minus v1 at this event, in v2's frames (the running offset)."
    )
    speed = serializers.FloatField(help_text="How much faster v2 plays v1's stretch (1: as it was).")
    comments = serializers.IntegerField(help_text="Comment threads made on the event's stretch (v2's, or v1's).")
    unresolved = serializers.IntegerField(help_text="Of those, the ones not resolved.")


class ChangeSideOutput(serializers.Serializer[Any]):
    video = serializers.IntegerField()
    title = serializers.CharField()
    rate = serializers.CharField(help_text='Its exact frame rate, "30000/1001" or "25".')
    drop_frame = serializers.BooleanField()
    start_timecode = serializers.CharField(
        help_text="Its first frame's timecode: the one its file carries, else 01:00:00:00."
    )
    start_from_file = serializers.BooleanField(help_text="Whether the file carries it.")
    frames = serializers.IntegerField()


class ChangeListOutput(serializers.Serializer[Any]):
    comparison = serializers.IntegerField()
    review_status = serializers.CharField(help_text="The comparison's review status.")
    verified = serializers.BooleanField(help_text="False while the comparison's edges are the screening's.")
    v1 = ChangeSideOutput()
    v2 = ChangeSideOutput()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Events per kind.")
    events = ChangeEventOutput(many=True)


def change_list_body(sheet: ChangeSheet, *, actor: Actor) -> dict[str, Any]:
    comparison = sheet.comparison
    comments = event_comments(sheet, comments_on_comparison(comparison, actor=actor))

    def side(which: str) -> dict[str, Any]:
        video = sheet.video_v1 if which == "v1" else sheet.video_v2
        rate = sheet.rate_v1 if which == "v1" else sheet.rate_v2
        return {
            "video": video.pk,
            "title": video.label,
            "rate": str(rate.fps),
            "drop_frame": rate.drop_frame,
            "start_timecode": sheet.start_timecode_v1 if which == "v1" else sheet.start_timecode_v2,
            "start_from_file": bool(video.start_timecode),
            "frames": sheet.changes.frames_v1 if which == "v1" else sheet.changes.frames_v2,
        }

    def seconds(value: object) -> float | None:
        return None if value is None else round(float(value), 6)  # type: ignore[arg-type]

    events = []
    for row in sheet.rows:
        threads = [comment for comment in comments.get(row.number, []) if comment.parent_id is None]
        events.append(
            {
                "number": row.number,
                "kind": row.kind,
                "kind_label": row.label,
                "v1_in": row.v1_in,
                "v1_out": row.v1_out,
                "v2_in": row.v2_in,
                "v2_out": row.v2_out,
                "v1_start": seconds(row.event.v1_start),
                "v1_end": seconds(row.event.v1_end),
                "v2_start": seconds(row.event.v2_start),
                "v2_end": seconds(row.event.v2_end),
                "v1_frame_in": row.v1_frame_in,
                "v1_frame_out": row.v1_frame_out,
                "v2_frame_in": row.v2_frame_in,
                "v2_frame_out": row.v2_frame_out,
                "duration_frames": row.frames,
                "offset_frames": row.offset,
                "speed": round(float(row.event.speed), 6),
                "comments": len(threads),
                "unresolved": sum(1 for comment in threads if not comment.resolved),
            }
        )
    return {
        "comparison": comparison.pk,
        "review_status": comparison.review_status,
        "verified": comparison.verified,
        "v1": side("v1"),
        "v2": side("v2"),
        "counts": sheet.changes.counts(),
        "events": events,
    }


def _readable(request: Request, comparison_id: int) -> tuple[Comparison, Actor]:
    comparison = comparison_get_to_view(acting_membership(request), comparison_id)  # the shared sample too
    actor = request_actor(request)
    require_view(actor, comparison)
    return comparison, actor


CHANGES_HELP = (
    "The comparison read as a change list: numbered events in v2's order (v1 is the comparison's A, v2 its B) "
    "— kept, removed, inserted, moved, replaced, trimmed_head, trimmed_tail, speed — each with its v1 and v2 "
    "timecode in and out at each video's own rate and start timecode (drop-frame at 29.97 and 59.94), its "
    "length in frames and the running offset (v2 minus v1 there, in v2's frames). Edges are frame edges. "
    "It is derived from the stored comparison at every request. 409 `no_result` while the comparison has no "
    "result yet, `recomputing` while an older engine's result is being compared again, `unreadable` when its "
    "videos can no longer be read."
)


class ChangeListApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[_COMPARISON_ID],
        responses={200: ChangeListOutput, **error_responses(404, 409)},
        summary="The comparison's change list",
        description=CHANGES_HELP,
    )
    def get(self, request: Request, comparison_id: int) -> Response:
        comparison, actor = _readable(request, comparison_id)
        return Response(change_list_body(change_sheet(comparison), actor=actor))


FILES_HELP = (
    "The change list as a file (the URL's extension). `changes.edl`: a CMX 3600 change EDL as Nuendo's "
    "ReConform and Conformalizer read one — per stretch of v2 an event whose record side is v2's timecode and "
    "whose source side is v1's timecode on v1's reel (`V<version>` for a version, else v1's title in 8 "
    "capitals), new material on the `BL` (black) reel, a speed change as an `M2` line, every event's change "
    "number, kind and offset in a `* SAGE:` comment (what v2 no longer has only there); ASCII, CRLF. "
    "`changes.csv`: UTF-8 with a byte order mark, columns " + ", ".join(CSV_COLUMNS) + ". "
    "`changes.otio`: OpenTimelineIO JSON, v2 as a timeline of v1's file (a relative URL, the uploaded name) "
    "on a video and an audio track, gaps where v2 has new material, a marker where v1 material was taken out. "
    "`changes.aaf`: AAF for Pro Tools (Import Session Data) and Media Composer: a composition of v2 (its timecode, "
    "one sound track at v2's frame rate) whose clips are a MasterMob of v1's sound, read from a file SourceMob "
    "(48 kHz PCM, linked by the name `<v1's file name>.wav`, nothing embedded) on a tape SourceMob at v1's "
    "start timecode; fillers where v2 has new material; a speed change carried at speed 1. "
    "409 as for the change list."
)


class ChangeFileApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[
            _COMPARISON_ID,
            OpenApiParameter(
                "file_type", str, OpenApiParameter.PATH, enum=list(CHANGE_FILE_TYPES), description="File type."
            ),
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The change EDL."),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The events, a row each."),
            (200, "application/json"): OpenApiResponse(OpenApiTypes.STR, description="OpenTimelineIO JSON."),
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The AAF."),
            **error_responses(404, 409),
        },
        summary="Download the comparison's change list as a file",
        description=FILES_HELP,
    )
    def get(self, request: Request, comparison_id: int, file_type: str) -> HttpResponse:
        comparison, _ = _readable(request, comparison_id)
        sheet = change_sheet(comparison)
        writers: dict[str, Callable[[ChangeSheet], str | bytes]] = {
            "edl": change_edl,
            "csv": change_csv,
            "otio": change_otio,
            "aaf": change_aaf,
        }
        response = HttpResponse(writers[file_type](sheet), content_type=CONTENT_TYPES[file_type])
        response["Content-Disposition"] = f'attachment; filename="comparison-{comparison.pk}-changes.{file_type}"'
        return response
