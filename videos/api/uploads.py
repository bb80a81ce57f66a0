"""`/api/v1/uploads…`: the resumable upload protocol for the upload page, extensions and scripts."""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sage.api.errors import error_responses
from sage.api.fields import SPACE_CHARACTERS, IdField, NumberField, TextField, any_case
from sage.text import BIDI_CONTROLS, refuse_bidi_controls
from videos.models import ALLOWED_EXTENSIONS, Upload
from videos.projects.selectors import project_get_for_user
from videos.selectors import upload_get_for_user, video_get_for_user
from videos.uploads.services import (
    upload_abort,
    upload_complete,
    upload_create,
    upload_part_url,
    upload_receive_part,
    upload_received_parts,
)
from workspaces.current import acting_membership, request_actor
from workspaces.policy import require


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _own_upload(request: Request, upload_id: uuid.UUID) -> Upload:
    """The uploader's upload, asked of the policy with its author (`upload.view`, `upload.change`:
    one's own only; the selector finds no one else's either)."""
    member = acting_membership(request)
    upload = upload_get_for_user(member, upload_id)
    action = "upload.view" if request.method in ("GET", "HEAD") else "upload.change"
    require(request_actor(request), action, workspace_id=upload.workspace_id, made_by=upload.owner_id)
    return upload


# A name whose last part (after any slash or backslash) has something before a video file type's
# extension, and only spaces after it: what the upload service takes the file type from.
# No direction control in it (`sage.text`): the title is taken from it, and "clip\u202eexe.mp4" shows
# as "clip4pm.exe".
VIDEO_FILENAME_PATTERN = (
    rf"^(?:[^\u0000{BIDI_CONTROLS}]*[/\\])?[^/\\\u0000{BIDI_CONTROLS}]*"
    rf"[^/\\\u0000{BIDI_CONTROLS}{SPACE_CHARACTERS}][^/\\\u0000{BIDI_CONTROLS}]*"
    rf"\.(?:{'|'.join(any_case(extension.lstrip('.')) for extension in ALLOWED_EXTENSIONS)})"
    rf"[{SPACE_CHARACTERS}]*$"
)
_ALLOWED = ", ".join(extension.lstrip(".").upper() for extension in ALLOWED_EXTENSIONS)


class _VideoFilenameValidator(RegexValidator):
    """VIDEO_FILENAME_PATTERN, published as the field's pattern, refusing with the file's name."""

    def __init__(self) -> None:
        super().__init__(VIDEO_FILENAME_PATTERN)

    def __call__(self, value: Any) -> None:
        refuse_bidi_controls(value)
        if not re.search(self.regex, str(value)):
            name = PurePath(str(value).replace("\\", "/")).name.strip() or str(value)
            raise ValidationError(f"“{name}” is not a video file we accept ({_ALLOWED}).", code="invalid")


class UploadCreateInput(serializers.Serializer[Any]):
    filename = TextField(
        max_length=255,
        validators=[_VideoFilenameValidator()],
        help_text=f"The file's name; its extension says its type ({_ALLOWED}).",
    )
    size = serializers.IntegerField(min_value=1, max_value=2**50, help_text="Bytes.")
    content_type = TextField(max_length=100, required=False, allow_blank=True, default="")
    title = TextField(max_length=200, required=False, allow_blank=True, default="", name=True)
    duration_seconds = NumberField(
        required=False, allow_null=True, min_value=0, max_value=10**7, help_text="If known, checked against the plan."
    )
    version_of = IdField(
        required=False,
        allow_null=True,
        help_text="A video of yours this upload is a new version of: it joins that video's stack as the next "
        "version (the video becomes v1 of a new stack if it had none) and keeps its title unless `title` is given. "
        "Another's video is a 404; a YouTube video a 400.",
    )
    project = IdField(
        required=False,
        allow_null=True,
        help_text="A project of the workspace the request acts in: the new video is filed in it (a new version "
        "goes where its stack is). Another workspace's project, or a deleted one, is a 404.",
    )


class UploadPartOutput(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    size = serializers.IntegerField()
    etag = serializers.CharField()


class UploadOutput(serializers.ModelSerializer[Upload]):
    video_id = serializers.IntegerField(allow_null=True, read_only=True)
    parts = serializers.SerializerMethodField(help_text="Parts received so far: resume from here.")

    class Meta:
        model = Upload
        fields = [
            "id", "video_id", "filename", "size", "part_size", "part_count", "store", "status", "parts", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(UploadPartOutput(many=True))
    def get_parts(self, upload: Upload) -> list[dict[str, Any]]:
        return [asdict(part) for part in upload_received_parts(upload)]


def _upload_output(upload: Upload) -> dict[str, Any]:
    return dict(UploadOutput(Upload.objects.prefetch_related("parts").get(pk=upload.pk)).data)


class UploadListApi(APIView):
    workspace_actions = {"POST": "video.change"}

    @extend_schema(
        request=UploadCreateInput,
        responses={201: UploadOutput, **error_responses(400, 402, 403, 404)},
        summary="Start a resumable upload",
        description="Plan limits (file size, storage, announced length) are checked here, before any byte is sent, "
        "and so is paying for processing: while tokens are owed, or when the balance does not cover "
        "`duration_seconds` (at least 1 token when it is not given), the answer is a 402 with `buy_url`.",
    )
    def post(self, request: Request) -> Response:
        payload = UploadCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        _user(request)
        member = acting_membership(request)
        version_of_id = fields.pop("version_of", None)
        version_of = video_get_for_user(member, version_of_id) if version_of_id is not None else None
        project_id = fields.pop("project", None)
        project = project_get_for_user(member, project_id) if project_id is not None else None
        upload = upload_create(member=member, **fields, version_of=version_of, project=project)
        return Response(_upload_output(upload), status=status.HTTP_201_CREATED)


_UPLOAD_ID = OpenApiParameter("upload_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The upload's id.")


class UploadDetailApi(APIView):
    workspace_actions = {"GET": "upload.view", "DELETE": "upload.change"}

    @extend_schema(parameters=[_UPLOAD_ID], responses={200: UploadOutput, **error_responses(404)}, summary="An upload")
    def get(self, request: Request, upload_id: uuid.UUID) -> Response:
        return Response(_upload_output(_own_upload(request, upload_id)))

    @extend_schema(
        parameters=[_UPLOAD_ID],
        responses={204: None, **error_responses(403, 404)},
        summary="Abort an upload",
        description="Discards the parts received so far. A completed upload is not affected.",
    )
    def delete(self, request: Request, upload_id: uuid.UUID) -> Response:
        upload_abort(upload=_own_upload(request, upload_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadPartApi(APIView):
    workspace_actions = {"PUT": "upload.change"}
    # The body is the part's raw bytes, read as a stream: DRF must not parse or buffer it.
    parser_classes: list[Any] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # A method this view lacks is a 405 before authentication: the session's CSRF check reads a
        # POST's form fields, which with no parser here answered 415, and a token's scope check 403.
        if request.method not in self.allowed_methods:
            raise exceptions.MethodNotAllowed(str(request.method))
        super().initial(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            _UPLOAD_ID,
            OpenApiParameter("number", int, OpenApiParameter.PATH, description="1-based part number."),
            OpenApiParameter(
                "X-Part-SHA256", str, OpenApiParameter.HEADER, required=False, description="Hex SHA-256 of the part."
            ),
        ],
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={200: UploadPartOutput, **error_responses(400, 403, 404)},
        summary="Send one part",
        description="Every part is `part_size` bytes except the last. Sending a part again replaces it.",
    )
    def put(self, request: Request, upload_id: uuid.UUID, number: int) -> Response:
        upload = _own_upload(request, upload_id)
        part = upload_receive_part(
            upload=upload, number=number, stream=request._request, sha256=request.headers.get("X-Part-SHA256")
        )
        return Response(UploadPartOutput(part).data)


class PartUrlOutput(serializers.Serializer[Any]):
    url = serializers.URLField(help_text="PUT the part's bytes here; valid for an hour.")


class UploadPartUrlApi(APIView):
    workspace_actions = {"POST": "upload.change"}

    @extend_schema(
        parameters=[_UPLOAD_ID, OpenApiParameter("number", int, OpenApiParameter.PATH, description="1-based part.")],
        request=None,
        responses={200: PartUrlOutput, **error_responses(400, 403, 404)},
        summary="A presigned URL for one part (S3 uploads)",
        description="When the upload's `store` is `s3`, parts go straight to S3: PUT each part to its URL.",
    )
    def post(self, request: Request, upload_id: uuid.UUID, number: int) -> Response:
        upload = _own_upload(request, upload_id)
        url = upload_part_url(upload=upload, number=number)
        return Response({"url": url})


class UploadCompleteApi(APIView):
    workspace_actions = {"POST": "upload.change"}

    @extend_schema(
        parameters=[_UPLOAD_ID],
        request=None,
        responses={200: UploadOutput, **error_responses(400, 403, 404)},
        summary="Finish an upload",
        description="Checks that every part has arrived, joins them and queues the video for processing.",
    )
    def post(self, request: Request, upload_id: uuid.UUID) -> Response:
        upload = _own_upload(request, upload_id)
        upload_complete(upload=upload)
        return Response(_upload_output(upload))
