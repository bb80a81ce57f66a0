"""The video store goes away in the middle of an upload (issue 49, part 4): S3 unreachable, or the
disk under MEDIA_ROOT full. The part being sent fails clearly (503 with Retry-After), nothing of it
is kept, and once the store is back the same upload resumes from the parts that arrived and
completes, through the resumable upload API (docs/api.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import boto3
import httpx
import pytest
from django.conf import settings

from devtools import processes
from devtools.fault_site import SERVER_ENV, database_proxy, fault_site_create
from devtools.faults import tcp_proxy
from tests.servers import moto_server

OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "3"))
RECOVERY_WITHIN = 30.0
S3_ENV = {
    "AWS_STORAGE_BUCKET_NAME": "faults",
    "AWS_S3_REGION_NAME": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def part_bytes(number: int, size: int) -> bytes:
    return bytes([number % 256]) * size


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    assert response.json()["error"]["code"] == "store_unavailable"


def create_upload(client: httpx.Client) -> tuple[str, int, int]:
    """A two-part upload; its id, whole size and part size."""
    part_size = int(settings.UPLOAD_PART_SIZE)
    size = part_size + 1000
    created = client.post("/api/v1/uploads", json={"filename": "walk.mp4", "size": size, "duration_seconds": 5})
    assert created.status_code == 201, created.text
    return created.json()["id"], size, part_size


def test_s3_unreachable_fails_a_part_clearly_and_the_upload_resumes(transactional_db) -> None:
    site = fault_site_create()
    # Through a proxy: stopping moto itself would lose its buckets and the multipart upload with them.
    with moto_server() as moto, tcp_proxy(("127.0.0.1", int(moto.rsplit(":", 1)[1]))) as proxy:
        endpoint = f"http://{proxy.address}"
        boto3.client("s3", endpoint_url=endpoint, **_boto_credentials()).create_bucket(Bucket="faults")
        env = {**SERVER_ENV, **S3_ENV, "AWS_S3_ENDPOINT_URL": endpoint}
        with (
            processes.daphne_process(env, stdout=subprocess.DEVNULL) as (url, _),
            httpx.Client(base_url=url, headers=site.headers, timeout=60) as client,
        ):
            upload_id, size, part_size = create_upload(client)
            first = client.post(f"/api/v1/uploads/{upload_id}/parts/1/url").json()["url"]
            assert httpx.put(first, content=part_bytes(1, part_size)).status_code == 200

            proxy.cut()
            second = client.post(f"/api/v1/uploads/{upload_id}/parts/2/url").json()["url"]  # signed locally
            with pytest.raises(httpx.TransportError):
                httpx.put(second, content=part_bytes(2, size - part_size))
            assert_unavailable(client.get(f"/api/v1/uploads/{upload_id}"))  # it asks S3 for the parts
            assert_unavailable(client.post(f"/api/v1/uploads/{upload_id}/complete"))
            time.sleep(OUTAGE_SECONDS)
            proxy.restore()

            resumed = _wait_for(lambda: client.get(f"/api/v1/uploads/{upload_id}"), within=RECOVERY_WITHIN)
            assert [part["number"] for part in resumed.json()["parts"]] == [1]
            assert httpx.put(second, content=part_bytes(2, size - part_size)).status_code == 200
            completed = client.post(f"/api/v1/uploads/{upload_id}/complete")
            assert completed.status_code == 200, completed.text
            assert completed.json()["status"] == "completed"
        stored = boto3.client("s3", endpoint_url=endpoint, **_boto_credentials()).head_object(
            Bucket="faults", Key=f"videos/{completed.json()['video_id']}/original.mp4"
        )
        assert stored["ContentLength"] == size
    assert site.ledger_problems() == []


def _boto_credentials() -> dict[str, str]:
    return {
        "region_name": S3_ENV["AWS_S3_REGION_NAME"],
        "aws_access_key_id": S3_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_ENV["AWS_SECRET_ACCESS_KEY"],
    }


def _wait_for(request: object, *, within: float) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        response: httpx.Response = request()  # type: ignore[operator]
        if response.status_code == 200 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return response
        time.sleep(0.2)


# A real full filesystem without privileges: a tmpfs of a few MiB mounted on daphne's MEDIA_ROOT in a
# mount namespace of its own (an unprivileged user namespace maps us to its root, which may mount
# tmpfs). Writes there fail with the kernel's own ENOSPC. RLIMIT_FSIZE would give EFBIG and a signal,
# not what a full disk does. The test reaches the namespace's files through /proc/<pid>/root.
SMALL_FILESYSTEM_MIB = 20


def _user_namespaces_work() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run([unshare, "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _user_namespaces_work(), reason="needs unprivileged user namespaces (unshare) for a tmpfs")
def test_a_full_disk_fails_a_part_clearly_keeps_nothing_and_the_upload_resumes(transactional_db, tmp_path) -> None:
    site = fault_site_create()
    media = tmp_path / "media"
    media.mkdir()
    mount_then_exec = f'mount -t tmpfs -o size={SMALL_FILESYSTEM_MIB}m tmpfs "$0" && exec "$@"'
    wrapper = [str(shutil.which("unshare")), "--user", "--map-root-user", "--mount", "sh", "-c", mount_then_exec]
    with (
        # Over TCP: in its own user namespace daphne may not open the database's Unix socket.
        database_proxy() as (_proxy, database_url),
        processes.daphne_process(
            {**SERVER_ENV, "MEDIA_ROOT": str(media), "DATABASE_URL": database_url},
            wrapper=[*wrapper, str(media)],
            stdout=subprocess.DEVNULL,
        ) as (url, daphne),
        httpx.Client(base_url=url, headers=site.headers, timeout=60) as client,
    ):
        seen = Path(f"/proc/{daphne.pid}/root") / media.relative_to("/")  # the tmpfs, as daphne sees it
        upload_id, size, part_size = create_upload(client)
        filler = seen / "filler"
        _fill(filler, leave=part_size // 2)

        refused = client.put(f"/api/v1/uploads/{upload_id}/parts/1", content=part_bytes(1, part_size))
        assert_unavailable(refused)
        assert list((seen / "uploads" / upload_id).iterdir()) == []  # no half part left behind
        assert client.get(f"/api/v1/uploads/{upload_id}").json()["parts"] == []

        filler.unlink()  # the operator frees space
        for number, length in ((1, part_size), (2, size - part_size)):
            sent = client.put(f"/api/v1/uploads/{upload_id}/parts/{number}", content=part_bytes(number, length))
            assert sent.status_code == 200, sent.text
        completed = client.post(f"/api/v1/uploads/{upload_id}/complete")
        assert completed.status_code == 200, completed.text
        assert (seen / "videos" / str(completed.json()["video_id"]) / "original.mp4").stat().st_size == size
    assert site.ledger_problems() == []


def _fill(path: Path, *, leave: int) -> None:
    """Write `path` until its filesystem has less than `leave` bytes free."""
    block = b"\0" * (1024 * 1024)
    with path.open("wb") as out:
        while shutil.disk_usage(path.parent).free > leave + len(block):
            out.write(block)
            out.flush()
