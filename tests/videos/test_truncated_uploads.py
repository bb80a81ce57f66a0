"""A file cut short, in every container the probe accepts (MP4, MOV, M4V with the index at the end
or at the front; Matroska and WebM), is refused with the reason once it is uploaded; the whole file
passes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from billing.ledger import ledger_grant
from billing.models import Wallet
from sage.synthetic_media import make_video
from sage.synthetic_media.mp4 import faststart
from tests.factories import empty_wallet_user, member_in
from videos.models import Video
from videos.pipeline import runner
from videos.probe import probe_media
from videos.uploads.services import upload_complete, upload_create, upload_receive_part

pytestmark = pytest.mark.django_db

PART = 64 * 1024
# (file name, index moved to the front): FFmpeg writes the MP4 family's index at the end by
# default; a "faststart" file has it at the front, so a cut leaves an index that points past the end.
CONTAINERS = [
    ("clip.mp4", False),
    ("clip.mp4", True),
    ("clip.mov", False),
    ("clip.mov", True),
    ("clip.m4v", True),
    ("clip.mkv", False),
    ("clip.webm", False),
]


@pytest.fixture(scope="module")
def whole_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    directory = tmp_path_factory.mktemp("truncated")
    files = {}
    for name in {name for name, _ in CONTAINERS}:
        files[name] = make_video(directory / name, seconds=2, width=160, height=120).read_bytes()
    return files


def _uploaded_and_processed(data: bytes, filename: str, settings) -> Video:
    settings.UPLOAD_PART_SIZE = PART
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key=f"grant:{user.pk}", memo="test")
    upload = upload_create(member=member_in(user), filename=filename, size=len(data))
    for number in range(1, upload.part_count + 1):
        upload_receive_part(upload=upload, number=number, stream=io.BytesIO(data[(number - 1) * PART : number * PART]))
    video = upload_complete(upload=upload)
    runner.process_video(video.pk)  # the on_commit enqueue does not fire inside the test transaction
    video.refresh_from_db()
    return video


@pytest.mark.parametrize("cut", [0.5, 0.95])
@pytest.mark.parametrize(("name", "index_first"), CONTAINERS)
def test_a_file_cut_short_is_refused_with_the_reason_and_costs_nothing(
    whole_files: dict[str, bytes], settings, name: str, index_first: bool, cut: float
) -> None:
    data = faststart(whole_files[name]) if index_first else whole_files[name]

    video = _uploaded_and_processed(data[: int(len(data) * cut)], name, settings)

    assert (video.status, video.error_code) == (Video.Status.FAILED, "damaged")
    assert video.error_message == "The file is cut short or damaged."
    assert Wallet.objects.get(user=video.owner).balance == 100


@pytest.mark.parametrize(("name", "index_first"), CONTAINERS)
def test_the_whole_file_passes_the_probe(
    whole_files: dict[str, bytes], tmp_path: Path, name: str, index_first: bool
) -> None:
    data = faststart(whole_files[name]) if index_first else whole_files[name]
    path = tmp_path / name
    path.write_bytes(data)

    assert probe_media(path, max_seconds=60).duration == pytest.approx(2, abs=0.1)
