"""The same upload protocol with S3: parts go straight to S3 (moto_server on 127.0.0.1) by presigned URLs."""

from __future__ import annotations

import os

import pytest
import requests
from rest_framework.test import APIClient

from videos.models import Upload, UploadPart, Video

pytestmark = pytest.mark.django_db

PART = 5 * 1024 * 1024  # S3's smallest part (but the last)
UPLOADS = "/api/v1/uploads"


@pytest.fixture
def s3(s3, settings):
    """The shared local S3 (tests/videos/conftest.py), with parts as small as S3 allows."""
    settings.UPLOAD_PART_SIZE = PART
    return s3


@pytest.fixture
def owner_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def put_part(client: APIClient, upload: dict, number: int, data: bytes) -> requests.Response:
    url = client.post(f"{UPLOADS}/{upload['id']}/parts/{number}/url").json()["url"]
    chunk = data[(number - 1) * PART : number * PART]
    return requests.put(url, data=chunk, timeout=30)  # what the browser does: straight to S3


def test_parts_go_straight_to_s3_and_complete_into_the_videos_object(s3, owner_client) -> None:
    data = os.urandom(PART * 2 + 12345)
    upload = owner_client.post(UPLOADS, {"filename": "clip.mp4", "size": len(data)}, format="json").json()
    assert upload["store"] == "s3"
    assert upload["part_count"] == 3

    for number in (2, 1, 3):
        assert put_part(owner_client, upload, number, data).status_code == 200
    state = owner_client.get(f"{UPLOADS}/{upload['id']}").json()
    assert [part["number"] for part in state["parts"]] == [1, 2, 3]

    response = owner_client.post(f"{UPLOADS}/{upload['id']}/complete")

    assert response.status_code == 200, response.content
    video = Video.objects.get(pk=upload["video_id"])
    assert video.status == Video.Status.QUEUED
    assert video.size == len(data)
    stored = s3.client.get_object(Bucket=s3.bucket, Key=video.storage_key)["Body"].read()
    assert stored == data
    assert not UploadPart.objects.exists(), "no bytes or part rows passed through Django"


def test_resume_lists_the_parts_s3_has_and_complete_refuses_while_one_is_missing(s3, owner_client) -> None:
    data = os.urandom(PART * 2 + 1)
    upload = owner_client.post(UPLOADS, {"filename": "clip.mp4", "size": len(data)}, format="json").json()
    put_part(owner_client, upload, 1, data)
    put_part(owner_client, upload, 3, data)

    state = owner_client.get(f"{UPLOADS}/{upload['id']}").json()
    incomplete = owner_client.post(f"{UPLOADS}/{upload['id']}/complete")

    assert [part["number"] for part in state["parts"]] == [1, 3]
    assert incomplete.status_code == 400
    assert "Parts still missing: 2." in incomplete.json()["error"]["message"]


def test_abort_aborts_the_multipart_upload_in_s3(s3, owner_client) -> None:
    data = os.urandom(PART + 1)
    upload = owner_client.post(UPLOADS, {"filename": "clip.mp4", "size": len(data)}, format="json").json()
    put_part(owner_client, upload, 1, data)

    assert owner_client.delete(f"{UPLOADS}/{upload['id']}").status_code == 204

    aborted = Upload.objects.get(pk=upload["id"])
    assert aborted.status == Upload.Status.ABORTED
    still_open = {item["UploadId"] for item in s3.client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", [])}
    assert aborted.s3_upload_id not in still_open


def test_an_s3_upload_refuses_parts_sent_to_django(s3, owner_client) -> None:
    data = os.urandom(PART)
    upload = owner_client.post(UPLOADS, {"filename": "clip.mp4", "size": len(data)}, format="json").json()

    response = owner_client.put(f"{UPLOADS}/{upload['id']}/parts/1", data, content_type="application/octet-stream")

    assert response.status_code == 400
    assert "ask for a part URL" in response.json()["error"]["message"]


def test_another_user_cannot_get_part_urls(s3, owner_client, other_user) -> None:
    upload = owner_client.post(UPLOADS, {"filename": "clip.mp4", "size": PART}, format="json").json()
    intruder = APIClient()
    intruder.force_authenticate(other_user)

    assert intruder.post(f"{UPLOADS}/{upload['id']}/parts/1/url").status_code == 404
