"""Completing an upload: the store's side (S3's CompleteMultipartUpload, or joining local parts)
runs outside any database transaction, and a crash between the store and the database is finished
by completing again (the client's retry) or by the hourly sweep."""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any

import pytest
import requests
from django.db import connection
from django.utils import timezone

import videos.uploads.services
from tests.factories import UserFactory, member_in
from videos.models import Upload, Video
from videos.uploads import s3_store
from videos.uploads.services import (
    upload_complete,
    upload_create,
    upload_part_url,
    upload_receive_part,
    uploads_abort_idle,
)

PART = 5 * 1024 * 1024  # S3's smallest part (but the last)


@pytest.fixture
def s3(s3, settings):
    settings.UPLOAD_PART_SIZE = PART
    return s3


def _s3_upload(data: bytes) -> Upload:
    upload = upload_create(member=member_in(UserFactory()), filename="clip.mp4", size=len(data))
    for number in range(1, upload.part_count + 1):
        url = upload_part_url(upload=upload, number=number)
        assert requests.put(url, data=data[(number - 1) * PART : number * PART], timeout=30).status_code == 200
    return upload


def _local_upload(data: bytes) -> Upload:
    upload = upload_create(member=member_in(UserFactory()), filename="clip.mp4", size=len(data))
    for number in range(1, upload.part_count + 1):
        upload_receive_part(upload=upload, number=number, stream=io.BytesIO(data[(number - 1) * PART : number * PART]))
    return upload


def _crash_after_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies once the store has the whole file, before the database says so (here:
    queueing the video raises, which rolls back what the database step wrote)."""

    def dies(**kwargs: Any) -> None:
        raise RuntimeError("the web process died here")

    monkeypatch.setattr(videos.uploads.services, "video_enqueue", dies)


def test_s3_completion_runs_outside_any_database_transaction(
    transactional_db, s3, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(PART + 4321)
    upload = _s3_upload(data)
    in_transaction: list[bool] = []
    complete = s3_store.complete

    def watched(*args: Any, **kwargs: Any) -> int:
        in_transaction.append(connection.in_atomic_block)
        return complete(*args, **kwargs)

    monkeypatch.setattr(s3_store, "complete", watched)

    video = upload_complete(upload=upload)

    assert in_transaction == [False]  # no row lock or transaction held across S3's answer
    assert (video.status, video.size) == (Video.Status.QUEUED, len(data))
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.COMPLETED


def test_a_crash_between_s3_and_the_database_is_finished_by_completing_again(
    transactional_db, s3, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(PART * 2 + 99)
    upload = _s3_upload(data)
    with monkeypatch.context() as patch:
        _crash_after_the_store(patch)
        with pytest.raises(RuntimeError):
            upload_complete(upload=upload)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.COMPLETING  # the row says what is left to do
    assert upload.video_id is not None
    assert Video.objects.get(pk=upload.video_id).status == Video.Status.UPLOADING

    video = upload_complete(upload=upload)  # the client's retry; S3's multipart upload is gone by now

    assert (video.status, video.size) == (Video.Status.QUEUED, len(data))
    assert s3.client.get_object(Bucket=s3.bucket, Key=video.storage_key)["Body"].read() == data
    assert upload_complete(upload=upload).pk == video.pk  # and once more: nothing changes


def test_an_upload_left_completing_is_finished_by_the_sweep(transactional_db, s3, monkeypatch) -> None:
    data = os.urandom(PART + 7)
    upload = _s3_upload(data)
    with monkeypatch.context() as patch:
        _crash_after_the_store(patch)
        with pytest.raises(RuntimeError):
            upload_complete(upload=upload)
    # Left so for longer than a completion takes (one still under way is not run twice).
    Upload.objects.filter(pk=upload.pk).update(last_activity_at=timezone.now() - dt.timedelta(minutes=10))

    uploads_abort_idle()

    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.COMPLETED
    assert upload.video_id is not None
    video = Video.objects.get(pk=upload.video_id)
    # Queued, and processed at once by the suite's inline Celery (random bytes: refused as no video).
    assert video.status != Video.Status.UPLOADING
    assert (video.storage_key, video.size) == (f"videos/{video.pk}/original.mp4", len(data))


def test_a_crash_after_the_local_parts_were_joined_is_finished_by_completing_again(
    transactional_db, settings, monkeypatch
) -> None:
    settings.UPLOAD_PART_SIZE = PART
    data = os.urandom(PART + 55)
    upload = _local_upload(data)
    with monkeypatch.context() as patch:
        _crash_after_the_store(patch)
        with pytest.raises(RuntimeError):
            upload_complete(upload=upload)

    video = upload_complete(upload=upload)  # the parts are gone: the joined file is taken as done

    assert (video.status, video.size) == (Video.Status.QUEUED, len(data))
    assert (settings.MEDIA_ROOT / video.storage_key).read_bytes() == data
