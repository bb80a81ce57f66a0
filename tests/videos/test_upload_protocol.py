"""The resumable upload protocol over the API, with the local store."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.services import api_token_create
from billing.models import Plan
from tests.factories import VideoFactory
from videos.models import Upload, UploadPart, Video
from videos.tasks import abort_idle_uploads

pytestmark = pytest.mark.django_db

PART = 64 * 1024
UPLOADS = "/api/v1/uploads"


@pytest.fixture(autouse=True)
def _small_parts(settings) -> None:
    settings.UPLOAD_PART_SIZE = PART


@pytest.fixture
def owner_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def payload(size: int) -> bytes:
    return os.urandom(size)


def start(client: APIClient, data: bytes, filename: str = "holiday.mp4", **extra) -> dict:
    response = client.post(UPLOADS, {"filename": filename, "size": len(data), **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def send(client: APIClient, upload: dict, number: int, data: bytes, **headers):
    start_byte = (number - 1) * upload["part_size"]
    chunk = data[start_byte : start_byte + upload["part_size"]]
    return client.put(
        f"{UPLOADS}/{upload['id']}/parts/{number}", chunk, content_type="application/octet-stream", **headers
    )


def test_an_upload_in_parts_sent_out_of_order_becomes_the_videos_file(owner_client, user, settings) -> None:
    data = payload(PART * 2 + 1000)
    upload = start(owner_client, data, title="Holiday")
    assert upload["part_count"] == 3
    assert upload["part_size"] == PART
    assert Video.objects.get(pk=upload["video_id"]).status == Video.Status.UPLOADING

    for number in (3, 1, 2):
        assert send(owner_client, upload, number, data).status_code == 200
    response = owner_client.post(f"{UPLOADS}/{upload['id']}/complete")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    video = Video.objects.get(pk=upload["video_id"])
    assert video.status == Video.Status.QUEUED
    assert video.title == "Holiday"
    assert video.size == len(data)
    assert (Path(settings.MEDIA_ROOT) / video.storage_key).read_bytes() == data
    assert not (Path(settings.MEDIA_ROOT) / "uploads" / upload["id"]).exists(), "parts are cleaned up"


def test_after_a_dropped_connection_the_client_learns_which_parts_arrived_and_resumes(owner_client) -> None:
    data = payload(PART * 3)
    upload = start(owner_client, data)
    send(owner_client, upload, 1, data)
    send(owner_client, upload, 3, data)

    state = owner_client.get(f"{UPLOADS}/{upload['id']}").json()

    assert [part["number"] for part in state["parts"]] == [1, 3]
    assert state["parts"][0]["etag"] == hashlib.sha256(data[:PART]).hexdigest()
    send(owner_client, upload, 2, data)
    assert owner_client.post(f"{UPLOADS}/{upload['id']}/complete").status_code == 200


def test_sending_a_part_again_replaces_it(owner_client, settings) -> None:
    data = payload(PART + 10)
    upload = start(owner_client, data)
    send(owner_client, upload, 1, payload(PART))  # corrupted in transit, say
    send(owner_client, upload, 1, data)
    send(owner_client, upload, 2, data)

    owner_client.post(f"{UPLOADS}/{upload['id']}/complete")

    video = Video.objects.get(pk=upload["video_id"])
    assert (Path(settings.MEDIA_ROOT) / video.storage_key).read_bytes() == data
    assert UploadPart.objects.filter(upload_id=upload["id"]).count() == 2


@pytest.mark.parametrize("number", [0, 3, 99])
def test_a_part_number_outside_the_upload_is_refused(owner_client, number: int) -> None:
    data = payload(PART * 2)
    upload = start(owner_client, data)

    response = owner_client.put(
        f"{UPLOADS}/{upload['id']}/parts/{number}", data[:PART], content_type="application/octet-stream"
    )

    assert response.status_code in (400, 404)
    assert not UploadPart.objects.exists()


@pytest.mark.parametrize("size", [PART - 1, PART + 1, 0])
def test_a_part_of_the_wrong_size_is_refused_and_nothing_is_kept(owner_client, settings, size: int) -> None:
    data = payload(PART * 2)
    upload = start(owner_client, data)

    response = owner_client.put(
        f"{UPLOADS}/{upload['id']}/parts/1", payload(size), content_type="application/octet-stream"
    )

    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert f"must be {PART} bytes" in body["fields"]["body"][0]
    assert not UploadPart.objects.exists()
    assert list((Path(settings.MEDIA_ROOT) / "uploads" / upload["id"]).glob("*")) == []


def test_a_part_whose_checksum_does_not_match_is_refused(owner_client) -> None:
    data = payload(PART)
    upload = start(owner_client, data)

    response = send(owner_client, upload, 1, data, HTTP_X_PART_SHA256="0" * 64)

    assert response.status_code == 400
    assert "damaged" in response.json()["error"]["message"]
    assert send(owner_client, upload, 1, data, HTTP_X_PART_SHA256=hashlib.sha256(data).hexdigest()).status_code == 200


def test_completing_with_missing_parts_names_them_and_changes_nothing(owner_client) -> None:
    data = payload(PART * 3)
    upload = start(owner_client, data)
    send(owner_client, upload, 2, data)

    response = owner_client.post(f"{UPLOADS}/{upload['id']}/complete")

    assert response.status_code == 400
    assert "Parts still missing: 1, 3." in response.json()["error"]["message"]
    assert Upload.objects.get(pk=upload["id"]).status == Upload.Status.ACTIVE
    assert Video.objects.get(pk=upload["video_id"]).status == Video.Status.UPLOADING


def test_completing_twice_is_harmless(owner_client) -> None:
    data = payload(PART)
    upload = start(owner_client, data)
    send(owner_client, upload, 1, data)

    first = owner_client.post(f"{UPLOADS}/{upload['id']}/complete")
    second = owner_client.post(f"{UPLOADS}/{upload['id']}/complete")

    assert first.status_code == second.status_code == 200
    assert Video.objects.filter(owner__uploads__id=upload["id"]).count() == 1


def test_abort_discards_the_parts_and_the_placeholder_video(
    owner_client, settings, django_capture_on_commit_callbacks
) -> None:
    data = payload(PART * 2)
    upload = start(owner_client, data)
    send(owner_client, upload, 1, data)

    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.delete(f"{UPLOADS}/{upload['id']}").status_code == 204

    assert Upload.objects.get(pk=upload["id"]).status == Upload.Status.ABORTED
    assert not Video.objects.filter(pk=upload["video_id"]).exists()
    assert not (Path(settings.MEDIA_ROOT) / "uploads" / upload["id"]).exists()
    late = send(owner_client, upload, 2, data)
    assert late.status_code == 400
    assert "aborted" in late.json()["error"]["message"]


def test_a_beat_task_aborts_uploads_idle_for_more_than_a_day(owner_client) -> None:
    data = payload(PART * 2)
    with time_machine.travel(dt.datetime(2031, 3, 1, 12, tzinfo=dt.UTC)):
        stale = start(owner_client, data)
    with time_machine.travel(dt.datetime(2031, 3, 2, 11, tzinfo=dt.UTC)):
        fresh = start(owner_client, data)

    with time_machine.travel(dt.datetime(2031, 3, 2, 13, tzinfo=dt.UTC)):
        assert abort_idle_uploads() == 1

    assert Upload.objects.get(pk=stale["id"]).status == Upload.Status.ABORTED
    assert Upload.objects.get(pk=fresh["id"]).status == Upload.Status.ACTIVE


# --- limits are checked before any byte is stored -------------------------------------------------


def free_plan() -> Plan:
    return Plan.objects.get(slug="free")


def test_a_file_larger_than_the_plan_allows_is_refused_up_front(owner_client) -> None:
    response = owner_client.post(
        UPLOADS, {"filename": "big.mp4", "size": free_plan().max_upload_bytes + 1}, format="json"
    )

    assert response.status_code == 400
    assert "your Free plan accepts files up to 500 MB" in response.json()["error"]["fields"]["size"][0]
    assert not Upload.objects.exists()
    assert not Video.objects.exists()


def test_storage_quota_counts_stored_videos_and_unfinished_uploads(owner_client, user) -> None:
    Plan.objects.filter(slug="free").update(storage_quota_bytes=10_000_000, max_upload_bytes=5_000_000)
    VideoFactory(owner=user, title="old", storage_key="videos/x/original.mp4", size=5_000_000)
    start(owner_client, b"x" * 2_500_000)

    response = owner_client.post(UPLOADS, {"filename": "more.mp4", "size": 3_000_000}, format="json")

    assert response.status_code == 400
    assert "Delete videos or change plan" in response.json()["error"]["message"]


def test_an_announced_length_over_the_plan_is_refused(owner_client) -> None:
    response = owner_client.post(
        UPLOADS,
        {"filename": "long.mp4", "size": 1000, "duration_seconds": free_plan().max_video_seconds + 1},
        format="json",
    )

    assert response.status_code == 400
    assert "duration_seconds" in response.json()["error"]["fields"]


@pytest.mark.parametrize("filename", ["notes.txt", "movie.avi", "archive.mp4.exe", "noextension"])
def test_only_video_containers_we_accept_may_be_uploaded(owner_client, filename: str) -> None:
    response = owner_client.post(UPLOADS, {"filename": filename, "size": 1000}, format="json")

    assert response.status_code == 400
    assert "filename" in response.json()["error"]["fields"]


def test_a_path_in_the_file_name_is_dropped(owner_client) -> None:
    upload = start(owner_client, b"x" * 10, filename="../../etc/evil.mp4")

    assert upload["filename"] == "evil.mp4"


# --- who may do what ------------------------------------------------------------------------------


def test_another_user_gets_404_for_every_upload_endpoint(owner_client, other_user) -> None:
    data = payload(PART)
    upload = start(owner_client, data)
    intruder = APIClient()
    intruder.force_authenticate(other_user)
    base = f"{UPLOADS}/{upload['id']}"

    assert intruder.get(base).status_code == 404
    assert intruder.put(f"{base}/parts/1", data, content_type="application/octet-stream").status_code == 404
    assert intruder.post(f"{base}/complete").status_code == 404
    assert intruder.delete(base).status_code == 404
    assert Upload.objects.get(pk=upload["id"]).status == Upload.Status.ACTIVE
    assert not UploadPart.objects.exists()


def test_uploading_with_a_token_needs_the_videos_write_scope(user) -> None:
    _, read_only = api_token_create(user=user, name="reader", scopes=["read"])
    _, writer = api_token_create(user=user, name="uploader", scopes=["read", "videos:write"])
    body = {"filename": "a.mp4", "size": 10}

    refused = APIClient().post(UPLOADS, body, format="json", HTTP_AUTHORIZATION=f"Bearer {read_only}")
    accepted = APIClient().post(UPLOADS, body, format="json", HTTP_AUTHORIZATION=f"Bearer {writer}")

    assert refused.status_code == 403
    assert "videos:write" in refused.json()["error"]["message"]
    assert accepted.status_code == 201
