"""Fixtures shared by the videos tests: a local S3 (moto) that the storage settings point at, and each
rendered file fingerprinted once however many comparisons it is in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files import File
from storages.backends.s3 import S3Storage  # type: ignore[import-untyped]  # django-storages ships no stubs

from tests import servers
from videos.compare import files
from videos.embeddings.fingerprint import Fingerprint


@dataclass(frozen=True)
class MotoS3:
    """A boto3 client on the local S3 and the bucket the settings name."""

    client: Any
    bucket: str


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with servers.moto_server() as url:
        yield url


@pytest.fixture
def s3(moto_url: str, settings, monkeypatch: pytest.MonkeyPatch) -> MotoS3:
    """Configure the site as production does when AWS_STORAGE_BUCKET_NAME is set, on moto's S3."""
    bucket = "sage-test-media"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = moto_url
    settings.AWS_S3_REGION_NAME = "us-east-1"
    # default_storage is built from STORAGES when first used: setting it makes it S3 for this test.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {}}}
    client = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    return MotoS3(client=client, bucket=bucket)


@pytest.fixture
def s3_reads(s3: MotoS3, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Keys opened through the S3 storage from now on: a copy of a file made through Django (a
    download) shows here; FFmpeg reading a presigned address does not."""
    opened: list[str] = []
    real_open = S3Storage._open

    def recording_open(self: S3Storage, name: str, mode: str = "rb") -> File:
        opened.append(name)
        return real_open(self, name, mode)

    monkeypatch.setattr(S3Storage, "_open", recording_open)
    return opened


@pytest.fixture(scope="session", autouse=True)
def _each_file_fingerprinted_once() -> Iterator[None]:
    """`compare_files` fingerprints both files of every comparison, and the engine tests compare one
    rendered original with many copies: a 60 s file's fingerprint is half a second or more. Each
    file (its path, size and modification time) is fingerprinted once; the arrays are made read-only,
    so a comparison that wrote to a shared one would fail rather than pass on what another left."""
    made: dict[tuple[Path, int, int], Fingerprint] = {}
    fingerprint_file = files.fingerprint_file

    def fingerprint_once(path: Path) -> Fingerprint:
        stat = Path(path).stat()
        key = (Path(path).resolve(), stat.st_size, stat.st_mtime_ns)
        if key not in made:
            fingerprint = fingerprint_file(path)
            for samples in (fingerprint.visual, fingerprint.audio):
                if samples is not None:
                    samples.flags.writeable = False
            made[key] = fingerprint
        return made[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(files, "fingerprint_file", fingerprint_once)
        yield
