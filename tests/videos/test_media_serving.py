"""A video's file, poster and sprite, for its owner only: byte ranges locally (what a browser needs
to seek), a presigned redirect with S3, and never a whole video in memory under ASGI."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import requests
from django.core.files.storage import default_storage
from django.test import Client

from tests.factories import VideoFactory
from videos.media import CHUNK_BYTES, FileRangeResponse, content_type_for
from videos.models import Video

pytestmark = pytest.mark.django_db

SIZE = 3 * CHUNK_BYTES + 1234  # a few chunks and a ragged end


@pytest.fixture
def owner_client(client, user) -> Client:
    client.force_login(user)
    return client


def store(settings, key: str, data: bytes) -> None:
    path = Path(settings.MEDIA_ROOT) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def stored(user, settings) -> tuple[Video, bytes]:
    data = os.urandom(SIZE)
    video = VideoFactory(owner=user, title="Clip", status=Video.Status.READY)
    video.storage_key = f"videos/{video.pk}/original.mp4"
    video.poster_key = f"videos/{video.pk}/poster.jpg"
    video.sprite_key = f"videos/{video.pk}/sprite.jpg"
    video.save()
    store(settings, video.storage_key, data)
    store(settings, video.poster_key, b"\xff\xd8poster\xff\xd9")
    store(settings, video.sprite_key, b"\xff\xd8sprite\xff\xd9")
    return video, data


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def file_url(video: Video) -> str:
    return f"/videos/{video.pk}/file"


# --- whole files -----------------------------------------------------------------------------------


def test_the_owner_gets_the_whole_file_with_its_type_and_private_caching(owner_client, stored) -> None:
    video, data = stored

    response = owner_client.get(file_url(video))

    assert response.status_code == 200
    assert body(response) == data
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, no-cache"


def test_poster_and_sprite_are_served_as_jpeg(owner_client, stored) -> None:
    video, _ = stored

    poster = owner_client.get(f"/videos/{video.pk}/poster.jpg")
    sprite = owner_client.get(f"/videos/{video.pk}/sprite.jpg")

    assert (poster.status_code, poster["Content-Type"], body(poster)) == (200, "image/jpeg", b"\xff\xd8poster\xff\xd9")
    assert (sprite.status_code, sprite["Content-Type"], body(sprite)) == (200, "image/jpeg", b"\xff\xd8sprite\xff\xd9")
    assert poster["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize(
    ("key", "content_type"),
    [("a/original.mp4", "video/mp4"), ("a/original.MOV", "video/quicktime"), ("a/original.m4v", "video/mp4"),
     ("a/original.webm", "video/webm"), ("a/original.mkv", "video/x-matroska"), ("a/poster.jpg", "image/jpeg"),
     ("a/original", "application/octet-stream")],
)  # fmt: skip
def test_the_content_type_follows_the_extension(key: str, content_type: str) -> None:
    assert content_type_for(key) == content_type


def test_head_answers_the_headers_without_the_bytes(owner_client, stored) -> None:
    video, _ = stored

    response = owner_client.head(file_url(video))

    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert body(response) == b""


def test_a_cached_copy_that_is_still_current_gets_304(owner_client, stored) -> None:
    video, _ = stored
    etag = owner_client.get(f"/videos/{video.pk}/poster.jpg")["ETag"]

    response = owner_client.get(f"/videos/{video.pk}/poster.jpg", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert body(response) == b""


# --- ranges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=100-199", 100, 199),
        ("bytes=0-0", 0, 0),
        (f"bytes={SIZE - 10}-", SIZE - 10, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        (f"bytes={CHUNK_BYTES - 5}-{2 * CHUNK_BYTES + 5}", CHUNK_BYTES - 5, 2 * CHUNK_BYTES + 5),  # across chunks
        (f"bytes=1000-{SIZE + 5000}", 1000, SIZE - 1),  # a last byte past the end means "to the end"
    ],
)
def test_a_range_gets_206_with_exactly_those_bytes(owner_client, stored, header: str, first: int, last: int) -> None:
    video, data = stored

    response = owner_client.get(file_url(video), HTTP_RANGE=header)

    assert response.status_code == 206
    assert body(response) == data[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "video/mp4"


def test_a_range_past_the_end_gets_416_with_the_size(owner_client, stored) -> None:
    video, _ = stored

    response = owner_client.get(file_url(video), HTTP_RANGE=f"bytes={SIZE}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=50-10", "items=0-10", "nonsense"])
def test_several_ranges_or_a_malformed_one_get_the_whole_file(owner_client, stored, header: str) -> None:
    video, data = stored

    response = owner_client.get(file_url(video), HTTP_RANGE=header)

    assert response.status_code == 200
    assert body(response) == data


def test_if_range_gives_a_part_only_while_the_file_is_unchanged(owner_client, stored) -> None:
    video, data = stored
    first = owner_client.get(file_url(video), HTTP_RANGE="bytes=0-9")
    etag, last_modified = first["ETag"], first["Last-Modified"]

    same_etag = owner_client.get(file_url(video), HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=etag)
    same_date = owner_client.get(file_url(video), HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=last_modified)
    changed = owner_client.get(file_url(video), HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE='"something-else"')
    weak = owner_client.get(file_url(video), HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=f"W/{etag}")

    assert (same_etag.status_code, body(same_etag)) == (206, data[10:20])
    assert (same_date.status_code, body(same_date)) == (206, data[10:20])
    assert (changed.status_code, body(changed)) == (200, data)
    assert (weak.status_code, body(weak)) == (200, data)


def test_under_asgi_the_file_is_read_chunk_by_chunk_as_it_is_sent(stored, settings) -> None:
    video, data = stored
    path = Path(settings.MEDIA_ROOT) / video.storage_key
    response = FileRangeResponse(path, start=5, length=SIZE - 10, status=206, content_type="video/mp4")

    async def send_all() -> list[bytes]:
        return [chunk async for chunk in response]  # what Django's ASGI handler does

    chunks = asyncio.run(send_all())
    response.close()

    assert b"".join(chunks) == data[5 : SIZE - 5]
    assert max(len(chunk) for chunk in chunks) == CHUNK_BYTES  # never the whole file at once
    assert len(chunks) == 4


# --- who may see it ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["file", "poster.jpg", "sprite.jpg"])
def test_another_user_gets_404_and_anonymous_is_sent_to_log_in(client, other_user, stored, path: str) -> None:
    video, _ = stored

    anonymous = client.get(f"/videos/{video.pk}/{path}")
    client.force_login(other_user)
    other = client.get(f"/videos/{video.pk}/{path}", HTTP_RANGE="bytes=0-10")

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert other.status_code == 404


def test_a_video_without_a_poster_or_file_yet_is_404(owner_client, user) -> None:
    video = VideoFactory(owner=user, title="Still uploading", status=Video.Status.UPLOADING)

    assert owner_client.get(file_url(video)).status_code == 404
    assert owner_client.get(f"/videos/{video.pk}/poster.jpg").status_code == 404


def test_a_file_missing_from_storage_is_404(owner_client, user) -> None:
    video = VideoFactory(owner=user, title="Lost", storage_key="videos/404/original.mp4")

    assert owner_client.get(file_url(video)).status_code == 404


def test_only_get_and_head_are_answered(owner_client, stored) -> None:
    video, _ = stored

    assert owner_client.post(file_url(video)).status_code == 405


# --- S3 --------------------------------------------------------------------------------------------


def test_with_s3_the_owner_is_redirected_to_a_presigned_url_that_serves_ranges(s3, owner_client, user) -> None:
    data = os.urandom(50_000)
    video = VideoFactory(owner=user, title="Clip", status=Video.Status.READY)
    video.storage_key = f"videos/{video.pk}/original.mp4"
    video.save()
    s3.client.put_object(Bucket=s3.bucket, Key=video.storage_key, Body=data, ContentType="video/mp4")

    response = owner_client.get(file_url(video), HTTP_RANGE="bytes=0-99")

    assert response.status_code == 302
    assert response["Cache-Control"] == "private"
    location = response["Location"]
    assert "X-Amz-Signature=" in location  # Signature V4
    assert location.startswith(f"{s3.client.meta.endpoint_url.rstrip('/')}/{s3.bucket}/{video.storage_key}?")
    # The browser follows it to S3, which answers the range itself.
    from_s3 = requests.get(location, headers={"Range": "bytes=1000-1999"}, timeout=30)
    assert from_s3.status_code == 206
    assert from_s3.content == data[1000:2000]
    assert default_storage.exists(video.storage_key)


def test_with_s3_another_user_still_gets_404(s3, client, other_user, user) -> None:
    video = VideoFactory(owner=user, title="Clip", storage_key="videos/1/original.mp4")
    client.force_login(other_user)

    assert client.get(file_url(video)).status_code == 404
