"""Parts sent by the client straight to S3 with presigned part URLs (S3 multipart upload).

Video bytes never pass through Django: the site creates the multipart upload, signs a URL per part,
asks S3 which parts arrived, and completes or aborts the upload. boto3 reads credentials the usual
way (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or an instance role).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings

from videos.models import Upload
from videos.uploads.errors import S3_UNREACHABLE, StoreUnavailable
from videos.uploads.local_store import ReceivedPart

PART_URL_SECONDS = 3600

F = TypeVar("F", bound=Callable[..., Any])


def _unreachable_is_unavailable(call: F) -> F:
    """S3 not answering (after botocore's own retries) is the store being unavailable, not a bug."""

    @functools.wraps(call)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except S3_UNREACHABLE as error:
            raise StoreUnavailable() from error

    return cast(F, checked)


def _client() -> Any:
    return boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL or None,
        region_name=settings.AWS_S3_REGION_NAME or None,
        # Retries with backoff for S3's transient errors (throttling, 5xx): botocore's standard mode.
        config=Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 5}),
    )


@_unreachable_is_unavailable
def begin(key: str, *, content_type: str) -> str:
    """Create the multipart upload at the video's final key; returns S3's upload id."""
    extra = {"ContentType": content_type} if content_type else {}
    response = _client().create_multipart_upload(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key, **extra)
    return str(response["UploadId"])


def part_url(upload: Upload, key: str, number: int) -> str:
    return str(
        _client().generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": settings.AWS_STORAGE_BUCKET_NAME,
                "Key": key,
                "UploadId": upload.s3_upload_id,
                "PartNumber": number,
            },
            ExpiresIn=PART_URL_SECONDS,
        )
    )


@_unreachable_is_unavailable
def received_parts(upload: Upload, key: str) -> list[ReceivedPart]:
    paginator = _client().get_paginator("list_parts")
    pages = paginator.paginate(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key, UploadId=upload.s3_upload_id)
    return [
        ReceivedPart(number=int(part["PartNumber"]), size=int(part["Size"]), etag=str(part["ETag"]))
        for page in pages
        for part in page.get("Parts", [])
    ]


@_unreachable_is_unavailable
def complete(upload: Upload, key: str, parts: list[ReceivedPart]) -> int:
    """Join the parts into one object; returns its size in bytes."""
    client = _client()
    client.complete_multipart_upload(
        Bucket=settings.AWS_STORAGE_BUCKET_NAME,
        Key=key,
        UploadId=upload.s3_upload_id,
        MultipartUpload={"Parts": [{"ETag": part.etag, "PartNumber": part.number} for part in parts]},
    )
    head = client.head_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key)
    return int(head["ContentLength"])


@_unreachable_is_unavailable
def whole_object_size(key: str) -> int | None:
    """The size of the object at `key`, None when there is none (yet)."""
    try:
        head = _client().head_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return int(head["ContentLength"])


@_unreachable_is_unavailable
def abort(upload: Upload, key: str) -> None:
    _client().abort_multipart_upload(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key, UploadId=upload.s3_upload_id)
