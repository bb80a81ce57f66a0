"""`/api/v1/comparisons/{id}/recuts` and `/api/v1/recuts/{id}[/file]`: sound laid to a comparison's
v1 sent, recut to v2 by its change list, null tested, downloaded (videos.conform)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sage.api.errors import error_responses
from sage.errors import Conflict
from videos.api.comparisons import _COMPARISON_ID
from videos.compare.selectors import comparison_get_for_user
from videos.conform.jobs import recut_job_create, uploaded_file_path
from videos.conform.selectors import recut_job_get_for_user, recut_jobs_of_comparison
from videos.conform.wav import MAX_CHANNELS
from videos.media import serve_stored_file
from videos.models import RecutJob
from workspaces.current import acting_membership

_RECUT_ID = OpenApiParameter("recut_id", int, OpenApiParameter.PATH, description="The recut job's id.")

RECUT_HELP = (
    "Sound laid to the comparison's v1 (video A: its first sample at A's first frame), recut to v2 (video B) "
    "by the comparison's change list. The file: WAV, Broadcast WAV, WAVE_FORMAT_EXTENSIBLE or RF64, 48 kHz, "
    f"1 to {MAX_CHANNELS} channels, 16- or 24-bit integer or 32-bit float samples, no longer than v1 and a "
    "frame from v1's first frame on (a Broadcast WAV's time reference places it when it falls within a minute "
    "before v1's start timecode or inside v1: a leader before the first frame is skipped); anything else is "
    "refused with 400 `sound_refused` saying why, and nothing is kept or charged. "
    "One stem a job (send dialogue, music and effects as three). Costs a token per started minute of the "
    "file, held now (402 when the workspace cannot pay), refunded in full if the recut fails. Answers 202 "
    "with the job; its progress comes on the comparison's socket group (`comparison.<id>`, event `recut`) "
    "and at `GET /api/v1/recuts/{id}`."
)


class RecutInput(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The WAV laid to v1.")
    stem = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text="What the file holds: dialogue, music, effects… (default: the file's name).",
    )


class ResidualOutput(serializers.Serializer[Any]):
    number = serializers.IntegerField(help_text="The change list event's number (0: a stretch no event names).")
    kind = serializers.CharField(help_text="The event's kind: kept, moved, speed, inserted, replaced…")
    residual_db = serializers.FloatField(
        allow_null=True,
        help_text="Energy of v2's own sound minus v1's sound recut, over v2's energy on the event, in dB (−140 at "
        "most: identical); null where v2 is silent. Kept and moved material nulls far below −40 dB when the "
        "videos' sound is lossless; compressed sound (AAC) leaves its coding noise, about −25 dB.",
    )
    measured_samples = serializers.IntegerField(help_text="Samples measured (48 kHz), crossfades left out.")
    note = serializers.CharField(help_text="Why the event cannot null, where it cannot (new material, a speed change).")


class SilenceOutput(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    kind = serializers.CharField()
    v2_start = serializers.FloatField(help_text="Seconds from v2's first frame.")
    v2_end = serializers.FloatField()


class RecutOutput(serializers.ModelSerializer[RecutJob]):
    null_test = ResidualOutput(many=True, help_text="Per event in v2's order; empty until ready.")
    silences = SilenceOutput(many=True, help_text="The stretches of v2 left silent: new material to fill.")
    file_url = serializers.SerializerMethodField(help_text="Where the recut is downloaded, once ready.")

    class Meta:
        model = RecutJob
        fields = [
            "id", "comparison", "stem", "file_name", "channels", "sample_format", "frames", "lead", "status", "percent",
            "error_message", "start_timecode", "time_reference", "silences", "null_test", "null_test_note",
            "file_url", "created_at", "updated_at",
        ]  # fmt: skip
        extra_kwargs = {
            "status": {"help_text": "queued, running, ready or failed (with `error_message`; its tokens refunded)."},
            "time_reference": {"help_text": "The result's bext time reference: samples since midnight at 48 kHz."},
            "start_timecode": {"help_text": "v2's first frame's timecode, where the result's time reference puts it."},
            "lead": {
                "help_text": "Samples of the upload before v1's first frame, as its Broadcast WAV time reference "
                "places it (a leader, a 2-pop: skipped); negative when it starts after v1's first frame "
                "(silence before it); 0 when it has none, or one not near v1's start (taken as laid from v1's "
                "first frame)."
            },
        }

    def get_file_url(self, job: RecutJob) -> str | None:
        return f"/api/v1/recuts/{job.pk}/file" if job.status == RecutJob.Status.READY else None


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class RecutListApi(APIView):
    workspace_actions = {"GET": "video.view", "POST": "recut.create"}
    parser_classes = [MultiPartParser]

    @extend_schema(
        parameters=[_COMPARISON_ID],
        responses={200: RecutOutput(many=True), **error_responses(404)},
        summary="A comparison's recut jobs",
    )
    def get(self, request: Request, comparison_id: int) -> Response:
        comparison = comparison_get_for_user(acting_membership(request), comparison_id)
        return Response(RecutOutput(recut_jobs_of_comparison(comparison), many=True).data)

    @extend_schema(
        parameters=[_COMPARISON_ID],
        request={"multipart/form-data": RecutInput},
        responses={202: RecutOutput, **error_responses(400, 402, 403, 404, 409)},
        summary="Recut sound laid to v1 to v2",
        description=RECUT_HELP,
    )
    def post(self, request: Request, comparison_id: int) -> Response:
        comparison = comparison_get_for_user(acting_membership(request), comparison_id)
        payload = RecutInput(data=request.data)
        payload.is_valid(raise_exception=True)
        upload: UploadedFile[Any] = payload.validated_data["file"]
        file_name = Path(upload.name or "sound.wav").name
        stem = payload.validated_data.get("stem") or file_name.rsplit(".", 1)[0]
        with uploaded_file_path(upload) as path:
            job = recut_job_create(
                user=_user(request), comparison=comparison, upload=path, file_name=file_name, stem=stem
            )
        return Response(RecutOutput(job).data, status=status.HTTP_202_ACCEPTED)


class RecutDetailApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[_RECUT_ID],
        responses={200: RecutOutput, **error_responses(404)},
        summary="A recut job: its progress, silences and null test",
    )
    def get(self, request: Request, recut_id: int) -> Response:
        return Response(RecutOutput(recut_job_get_for_user(acting_membership(request), recut_id)).data)


class RecutFileApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[_RECUT_ID],
        responses={
            (200, "audio/wav"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The recut: a Broadcast WAV (RF64 past 4 GiB) at the upload's channels and sample "
                "format, its bext time reference at v2's start timecode. On S3, a redirect to it.",
            ),
            **error_responses(404, 409),
        },
        summary="Download a recut",
        description="409 until the job is ready (and for a failed one).",
    )
    def get(self, request: Request, recut_id: int) -> HttpResponseBase:
        job = recut_job_get_for_user(acting_membership(request), recut_id)
        if job.status != RecutJob.Status.READY:
            raise Conflict(
                "This recut failed: send the file again." if job.status == RecutJob.Status.FAILED
                else "This recut is not ready yet."
            )  # fmt: skip
        return serve_stored_file(
            request, job.result_key, content_type="audio/wav", disposition=f'attachment; filename="{job.result_name}"'
        )
